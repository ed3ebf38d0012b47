import pino from 'pino';
import { loadGatewayConfigFile, normalizeGatewayConfig, type GatewayConfig } from '../gateway/config.ts';
import { startGateway, type RunningGateway } from '../gateway/server.ts';
import { defaultFunctionsDir, LIMIT_SETTINGS, type ListenerLimits } from '../config.ts';
import { flagString, limitsFromArgs, type ParsedArgs } from './args.ts';
import type { FunctionRegistry } from '../functions/registry.ts';
import { commandHelp } from './flags.ts';

/** This command's flags, from their one declaration (flags.ts). */
export const GATEWAY_USAGE = commandHelp('gateway');

/** Flag names and the configuration keys they set. */
const FLAGS: Record<string, string> = {
  port: 'port',
  host: 'host',
  endpoint: 'endpoint',
  'user-pool-id': 'userPoolId',
  'client-ids': 'clientIds',
  'client-id': 'clientIds',
  scopes: 'scopes',
  'api-type': 'apiType',
  'payload-format': 'payloadFormat',
  stage: 'stage',
  'token-source': 'tokenSource',
  'claims-header': 'claimsHeader',
  'revocation-cache-seconds': 'revocationCacheSeconds',
  'log-level': 'logLevel',
};

/** The gateway configuration from `--config` and/or flags (flags win over the file's top level). */
export function gatewayConfigFromArgs(args: ParsedArgs, cwd: string = process.cwd()): GatewayConfig {
  const overrides: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    if (args.flags[flag] === true) throw new Error(`--${flag} needs a value`);
    const v = flagString(args, flag);
    if (v !== undefined && key !== 'logLevel') overrides[key] = v;
  }
  const check = flagString(args, 'check-revocation');
  if (check !== undefined) overrides.checkRevocation = check !== 'false';
  const known = new Set([...Object.keys(FLAGS), ...LIMIT_SETTINGS.map((s) => s.flag), 'config', 'lambda', 'upstream', 'check-revocation', 'functions-dir', 'lambda-endpoint']);
  const unknown = Object.keys(args.flags).filter((f) => !known.has(f));
  if (unknown.length) throw new Error(`unknown option --${unknown[0]}`);
  if (args.positional.length) throw new Error(`unexpected argument ${args.positional[0]}`);

  const file = flagString(args, 'config');
  const lambda = flagString(args, 'lambda');
  const upstream = flagString(args, 'upstream');
  if (file) {
    if (lambda || upstream) throw new Error('--lambda and --upstream describe the single route of a gateway without --config');
    return loadGatewayConfigFile(file, {}, overrides);
  }
  if (!lambda && !upstream) throw new Error('give --lambda <file.mjs#handler> or --upstream <URL> (or --config <file>)');
  if (lambda && upstream) throw new Error('give exactly one of --lambda or --upstream');
  return normalizeGatewayConfig({ ...overrides, routes: [{ route: 'ANY /{proxy+}', ...(lambda ? { lambda } : { upstream }) }] }, cwd);
}

export async function gateway(args: ParsedArgs): Promise<void> {
  const config = gatewayConfigFromArgs(args);
  const limits = limitsFromArgs(args);
  const level = flagString(args, 'log-level') ?? process.env.TOBIRA_LOG_LEVEL ?? 'info';
  const log = pino({ level, base: undefined });
  // Routes naming a "function" resolve it as `tobira start` does: functions directory, the
  // --config file's `functions` mapping, --lambda-endpoint.
  const functionsDir = flagString(args, 'functions-dir') ?? defaultFunctionsDir();
  const running = await startGateway(config, { log, limits, functionsDir, functionsConfigFile: flagString(args, 'config'), lambdaEndpoint: flagString(args, 'lambda-endpoint') });
  logRoutes(running, log);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

export function logRoutes(running: RunningGateway, log: pino.Logger): void {
  const c = running.config;
  const routes = c.routes.map((r) => {
    const i = r.integration;
    const target = i.type === 'lambda' ? `lambda ${i.file}#${i.handler}` : i.type === 'function' ? `function ${i.name}` : `upstream ${i.url}`;
    return `${r.key} -> ${target} (${r.authorizer === 'none' ? 'no authorizer' : `${r.authorizer} authorizer, pool ${r.userPoolId}`})`;
  });
  log.info({ url: running.url, apiType: c.apiType, routes }, `Tobira gateway listening on ${running.url}${c.stage ? `/${c.stage}` : ''}`);
}

/**
 * `tobira start --gateway-config <file>`: the gateway section served on its own port from the
 * server's process; routes without an endpoint use this server.
 */
export async function startGatewayBeside(
  file: string,
  tobiraUrl: string,
  log: pino.Logger,
  limits?: ListenerLimits,
  functions?: FunctionRegistry,
): Promise<RunningGateway> {
  const config = loadGatewayConfigFile(file, { endpoint: tobiraUrl });
  const running = await startGateway(config, { log, limits, functions });
  logRoutes(running, log);
  return running;
}
