import { readFileSync } from 'node:fs';
import pino from 'pino';
import { defaultConfig } from '../config.ts';
import { FunctionFailed, FunctionInvocationError } from '../functions/errors.ts';
import { FunctionRegistry } from '../functions/registry.ts';
import { flagString, type ParsedArgs } from './args.ts';
import { commandHelp } from './flags.ts';

/** This command's flags, from their one declaration (flags.ts). */
export const FUNCTIONS_USAGE = commandHelp('functions');

/** `tobira functions invoke <name> --event file.json`. */
export async function functions(
  args: ParsedArgs,
  out: (text: string) => void = (t) => process.stdout.write(t),
  stdin: () => string = () => readFileSync(0, 'utf8'),
): Promise<void> {
  const [sub, name, ...extra] = args.positional;
  if (sub !== 'invoke' || !name || extra.length) throw new Error(`usage: tobira functions invoke <name or ARN> [--event file.json]\n${FUNCTIONS_USAGE}`);
  const known = new Set(['event', 'timeout-seconds', 'functions-dir', 'config', 'lambda-endpoint', 'region', 'log-level']);
  const unknown = Object.keys(args.flags).find((f) => !known.has(f));
  if (unknown) throw new Error(`unknown option --${unknown}`);
  for (const f of known) if (args.flags[f] === true) throw new Error(`--${f} needs a value`);

  const eventFile = flagString(args, 'event');
  let event: unknown = {};
  if (eventFile !== undefined) {
    const text = eventFile === '-' ? stdin() : readText(eventFile);
    try {
      event = JSON.parse(text);
    } catch (err) {
      throw new Error(`the event ${eventFile === '-' ? 'on stdin' : eventFile} is not JSON: ${(err as Error).message}`);
    }
  }
  const seconds = Number(flagString(args, 'timeout-seconds') ?? 5);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`invalid --timeout-seconds: ${flagString(args, 'timeout-seconds')}`);

  const config = defaultConfig();
  // Log lines (one per invocation) go to stderr: stdout is the answer alone.
  const log = pino({ level: flagString(args, 'log-level') ?? process.env.TOBIRA_LOG_LEVEL ?? 'info', base: undefined }, pino.destination(2));
  const registry = new FunctionRegistry({
    region: flagString(args, 'region') ?? config.region,
    accountId: config.accountId,
    log,
    functionsDir: flagString(args, 'functions-dir') ?? config.functionsDir,
    configFile: flagString(args, 'config') ?? config.configFile,
    lambdaEndpoint: flagString(args, 'lambda-endpoint') ?? config.lambdaEndpoint,
  });
  try {
    const answer = await registry.invoke(name, event, { timeoutMs: Math.round(seconds * 1000) });
    out(`${JSON.stringify(answer ?? null, null, 2)}\n`);
  } catch (err) {
    if (err instanceof FunctionFailed) throw new Error(`${err.name}: ${err.errorType}: ${err.errorMessage}`);
    if (err instanceof FunctionInvocationError) throw new Error(`${err.name}: ${err.message}`);
    throw err;
  } finally {
    await registry.close();
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the event ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
