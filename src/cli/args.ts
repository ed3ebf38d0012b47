import { parseArgs as parseNodeArgs } from 'node:util';
import { limitsFrom, type ListenerLimits } from '../config.ts';
import { COMMANDS, HELP, type FlagSpec } from './flags.ts';

/** A command's arguments: its positionals, and its flags by name (`true` for a switch). */
export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | true>;
}

/** A mistake on the command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/**
 * Parses a command's arguments strictly against its declaration (flags.ts) with Node's
 * util.parseArgs: an unknown flag is an error naming the nearest known one, a flag that takes a
 * value and has none is an error, a switch given a value is an error. `--name value` and
 * `--name=value` both work.
 */
export function parseArgs(argv: string[], command = 'start'): ParsedArgs {
  const spec = COMMANDS[command];
  if (!spec) throw new Error(`no flags are declared for the command ${command} (src/cli/flags.ts)`);
  const flags = [...spec.flags, HELP];
  const options = Object.fromEntries(flags.map((f) => [f.name, { type: f.value ? ('string' as const) : ('boolean' as const) }]));
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(explain(err as Error & { code?: string }, flags));
  }
  const out: ParsedArgs = { positional: parsed.positionals, flags: {} };
  for (const [name, value] of Object.entries(parsed.values)) {
    // A repeated flag: the last one wins, as with most command lines.
    const v = Array.isArray(value) ? value[value.length - 1] : value;
    if (v === false || v === undefined) continue;
    out.flags[name] = v === true ? true : String(v);
  }
  return out;
}

/** util.parseArgs's error, said for a person, with the nearest known flag for a typo. */
function explain(err: Error & { code?: string }, flags: FlagSpec[]): string {
  const name = /'(-[^' ]+)/.exec(err.message)?.[1]?.replace(/^-+/, '').split('=')[0];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const near = nearest(name ?? '', flags.map((f) => f.name));
      return `unknown option --${name}${near ? `; did you mean --${near}?` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = flags.find((f) => f.name === name);
      if (flag && !flag.value) return `--${name} takes no value`;
      return `--${name} needs a value${flag?.value ? ` ${flag.value}` : ''}`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return err.message;
    default:
      return err.message;
  }
}

/** The known name closest to a typo (edit distance at most a third of its length, or a prefix), if any. */
export function nearest(typo: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(typo) || typo.startsWith(k) ? Math.abs(k.length - typo.length) / 2 : distance(typo, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.ceil(typo.length / 3)) ? best : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counting one (Damerau's restricted form). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The listener limits (config.ts's LIMIT_SETTINGS) from `--request-timeout-seconds` ... over
 * TOBIRA_REQUEST_TIMEOUT_SECONDS ... over the defaults.
 */
export function limitsFromArgs(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): ListenerLimits {
  return limitsFrom((name) => {
    if (args.flags[name] === true) throw new Error(`--${name} needs a value`);
    return flagString(args, name);
  }, env);
}
