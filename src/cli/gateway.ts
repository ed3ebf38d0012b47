import pino from 'pino';
import { loadGatewayConfigFile, normalizeGatewayConfig, type GatewayConfig } from '../gateway/config.ts';
import { startGateway, type RunningGateway } from '../gateway/server.ts';
import { defaultFunctionsDir, LIMIT_SETTINGS, type ListenerLimits } from '../config.ts';
import { flagString, limitsFromArgs, type ParsedArgs } from './args.ts';
import type { FunctionRegistry } from '../functions/registry.ts';

export const GATEWAY_USAGE = `  gateway    API Gateway's Cognito authorizer in front of a Lambda handler or an upstream URL
             --config <file>            routes from a JSON file (see README); or one route ANY /{proxy+}:
             --port <P>                 port (default 8080)
             --host <H>                 address (default 127.0.0.1)
             --endpoint <URL>           Tobira's URL (JWKS, discovery, token status)
             --user-pool-id <ID>        the pool whose tokens are accepted
             --client-ids <a,b>         accept only tokens of these app clients
             --lambda <file.mjs#handler> | --upstream <URL>
             --functions-dir <DIR>, --lambda-endpoint <URL>  where routes with "function": "<name or ARN>"
                                        find it, as for start (the --config file's "functions" mapping too)
             --scopes <a,b>             want an access token with one of these scopes (else an ID token)
             --api-type rest|http       REST API + Cognito authorizer (default) or HTTP API + JWT authorizer
             --payload-format 1.0|2.0   Lambda event format (HTTP APIs only may use 2.0)
             --stage <name>             serve under /<name>/ like a REST API stage
             --token-source <header>    header holding the token (default Authorization)
             --claims-header <header>   header carrying verified claims to an upstream (default x-tobira-claims)
             --revocation-cache-seconds <S>  reuse Tobira's token-status answers (default 2)
             --check-revocation false   do not ask Tobira about revoked tokens
             --log-level <L>            silent|error|warn|info|debug (debug logs each request, never tokens)
             --request-timeout-seconds <S>, --headers-timeout-seconds <S>, --keep-alive-timeout-seconds <S>,
             --max-connections <N>      listener limits, as for start (env TOBIRA_REQUEST_TIMEOUT_SECONDS ...)
`;

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
