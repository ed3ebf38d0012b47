import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { compareSpecificity, parseRouteKey, type PathTemplate } from './routes.ts';

/**
 * The gateway's configuration. `apiType` picks whose behaviour it copies:
 * - `rest`: a REST API with a COGNITO_USER_POOLS authorizer (ID token without scopes, access
 *   token with scopes, 401 for everything refused, 403 "Missing Authentication Token" for an
 *   unknown route, Lambda proxy payload 1.0);
 * - `http`: an HTTP API with a JWT authorizer (audience = aud or client_id, 403 for a missing
 *   scope, 404 "Not Found" for an unknown route, payload 2.0).
 */
export interface GatewayConfig {
  host: string;
  port: number;
  apiType: 'rest' | 'http';
  /** REST stage name that prefixes every path (`/test/...`); null serves paths as they are. */
  stage: string | null;
  routes: GatewayRoute[];
  /** How long a token-status answer from Tobira is reused (ms); 0 asks every time. */
  revocationCacheMs: number;
  /** Whether revoked tokens (GlobalSignOut, RevokeToken) are refused; asks Tobira. */
  checkRevocation: boolean;
  /** Smallest interval between two JWKS fetches for an unknown kid (ms). */
  jwksMinRefreshMs: number;
}

export interface CorsConfig {
  allowOrigins: string[];
  allowHeaders: string[];
  allowMethods: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  maxAge: number | null;
}

export type Integration =
  | { type: 'lambda'; file: string; handler: string; payloadFormat: '1.0' | '2.0'; timeoutMs: number }
  /** A function by name or ARN, resolved as the triggers' are (src/functions/registry.ts). */
  | { type: 'function'; name: string; payloadFormat: '1.0' | '2.0'; timeoutMs: number }
  | { type: 'upstream'; url: string; timeoutMs: number };

export interface GatewayRoute {
  key: string;
  method: string;
  template: PathTemplate;
  /** `cognito` (REST), `jwt` (HTTP API) or `none` (no authorizer on the route). */
  authorizer: 'cognito' | 'jwt' | 'none';
  /** Tobira's base URL: JWKS, discovery and token status are read from there. */
  endpoint: string;
  userPoolId: string;
  /** App clients whose tokens are accepted; null accepts any client of the pool. */
  clientIds: string[] | null;
  /** Lower-case header name holding the token. */
  tokenSource: string;
  /** OAuth scopes of which the access token must hold one; empty = the Cognito authorizer wants an ID token. */
  scopes: string[];
  /** Issuer the tokens must name; null reads it from the pool's openid-configuration. */
  issuer: string | null;
  integration: Integration;
  /** Header that carries the verified claims (JSON) to an upstream; null sends none. */
  claimsHeader: string | null;
  cors: CorsConfig | null;
}

const DEFAULT_TIMEOUT_MS = 29_000; // API Gateway's integration timeout

type Raw = Record<string, unknown>;

/**
 * Reads a gateway configuration file (JSON); relative Lambda paths are relative to the file.
 * `defaults` fill what the file leaves out; `overrides` (command-line flags) win over it.
 */
export function loadGatewayConfigFile(file: string, defaults: Raw = {}, overrides: Raw = {}): GatewayConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read gateway configuration ${file}: ${(err as Error).message}`);
  }
  if (!isObject(raw)) throw new Error(`gateway configuration ${file}: expected a JSON object`);
  // A server configuration may hold the gateway under a `gateway` key.
  const body = isObject(raw.gateway) ? raw.gateway : raw;
  return normalizeGatewayConfig({ ...defaults, ...body, ...overrides }, dirname(resolve(file)));
}

/** Validates a raw configuration object and fills in API Gateway's defaults. */
export function normalizeGatewayConfig(raw: Raw, baseDir: string = process.cwd()): GatewayConfig {
  const apiType = optEnum(raw, 'apiType', ['rest', 'http'], 'rest');
  const port = optNumber(raw, 'port', 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${String(raw.port)}`);
  const stage = optString(raw, 'stage');
  if (stage !== null && !/^[A-Za-z0-9_-]+$/.test(stage)) throw new Error(`invalid stage name: ${stage}`);
  if (!Array.isArray(raw.routes) || raw.routes.length === 0) throw new Error('the gateway needs at least one route');
  const routes = raw.routes.map((r, i) => {
    if (!isObject(r)) throw new Error(`routes[${i}]: expected an object`);
    return normalizeRoute({ ...inherited(raw), ...r }, apiType, baseDir, `routes[${i}]`);
  });
  routes.sort(compareSpecificity);
  return {
    host: optString(raw, 'host') ?? '127.0.0.1',
    port,
    apiType,
    stage,
    routes,
    revocationCacheMs: optNumber(raw, 'revocationCacheSeconds', 2) * 1000,
    checkRevocation: raw.checkRevocation !== false,
    jwksMinRefreshMs: optNumber(raw, 'jwksMinRefreshSeconds', 10) * 1000,
  };
}

/** Route settings that may be given once at the top and apply to every route. */
function inherited(raw: Raw): Raw {
  const keys = ['endpoint', 'userPoolId', 'clientIds', 'tokenSource', 'scopes', 'issuer', 'claimsHeader', 'cors', 'payloadFormat', 'authorizer', 'timeoutSeconds'];
  return Object.fromEntries(keys.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]]));
}

function normalizeRoute(r: Raw, apiType: 'rest' | 'http', baseDir: string, where: string): GatewayRoute {
  const key = optString(r, 'route') ?? 'ANY /{proxy+}';
  let parsed;
  try {
    parsed = parseRouteKey(key);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  const authorizer = optEnum(r, 'authorizer', ['cognito', 'jwt', 'none'], apiType === 'rest' ? 'cognito' : 'jwt');
  const endpoint = optString(r, 'endpoint');
  const userPoolId = optString(r, 'userPoolId');
  if (authorizer !== 'none') {
    if (!endpoint) throw new Error(`${where}: "endpoint" (Tobira's URL) is required`);
    if (!userPoolId) throw new Error(`${where}: "userPoolId" is required`);
    if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(userPoolId)) throw new Error(`${where}: invalid user pool id ${userPoolId}`);
  }
  if (endpoint) checkUrl(endpoint, `${where}: endpoint`);
  const timeoutMs = optNumber(r, 'timeoutSeconds', DEFAULT_TIMEOUT_MS / 1000) * 1000;
  const lambda = optString(r, 'lambda');
  const upstream = optString(r, 'upstream');
  const fn = optString(r, 'function');
  if ([lambda, upstream, fn].filter(Boolean).length !== 1) {
    throw new Error(`${where}: give exactly one of "lambda" (file.mjs#handler), "function" (a function name or ARN) or "upstream" (URL)`);
  }
  let integration: Integration;
  /** The event format of a Lambda route (upstream routes send none). */
  const payloadFormat = () => {
    const format = optEnum(r, 'payloadFormat', ['1.0', '2.0'], apiType === 'rest' ? '1.0' : '2.0');
    if (apiType === 'rest' && format === '2.0') throw new Error(`${where}: REST APIs only send payload format 1.0`);
    return format;
  };
  if (fn) {
    integration = { type: 'function', name: fn, payloadFormat: payloadFormat(), timeoutMs };
  } else if (lambda) {
    const hash = lambda.lastIndexOf('#');
    const file = hash > 0 ? lambda.slice(0, hash) : lambda;
    const handler = hash > 0 ? lambda.slice(hash + 1) : 'handler';
    if (!/^[A-Za-z_$][\w$]*$/.test(handler)) throw new Error(`${where}: invalid handler name "${handler}"`);
    integration = { type: 'lambda', file: isAbsolute(file) ? file : resolve(baseDir, file), handler, payloadFormat: payloadFormat(), timeoutMs };
  } else {
    checkUrl(upstream!, `${where}: upstream`);
    integration = { type: 'upstream', url: upstream!, timeoutMs };
  }
  const clientIds = optStringList(r, 'clientIds', where);
  const claimsHeader = r.claimsHeader === null || r.claimsHeader === false ? null : (optString(r, 'claimsHeader') ?? 'x-tobira-claims');
  return {
    key: `${parsed.method} ${parsed.template.template}`,
    method: parsed.method,
    template: parsed.template,
    authorizer,
    endpoint: (endpoint ?? '').replace(/\/+$/, ''),
    userPoolId: userPoolId ?? '',
    clientIds: clientIds && clientIds.length > 0 ? clientIds : null,
    tokenSource: (optString(r, 'tokenSource') ?? 'Authorization').toLowerCase(),
    scopes: optStringList(r, 'scopes', where) ?? [],
    issuer: optString(r, 'issuer'),
    integration,
    claimsHeader: claimsHeader?.toLowerCase() ?? null,
    cors: r.cors ? normalizeCors(r.cors, where) : null,
  };
}

function normalizeCors(c: unknown, where: string): CorsConfig {
  if (!isObject(c)) throw new Error(`${where}: cors must be an object`);
  const list = (k: string, dflt: string[]) => optStringList(c, k, `${where}.cors`) ?? dflt;
  return {
    allowOrigins: list('allowOrigins', ['*']),
    allowHeaders: list('allowHeaders', ['authorization', 'content-type']).map((h) => h.toLowerCase()),
    allowMethods: list('allowMethods', ['*']).map((m) => m.toUpperCase()),
    exposeHeaders: list('exposeHeaders', []),
    allowCredentials: c.allowCredentials === true,
    maxAge: typeof c.maxAge === 'number' ? c.maxAge : null,
  };
}

function checkUrl(u: string, what: string): void {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new Error(`${what}: not a URL: ${u}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what}: must be http:// or https://`);
}

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(r: Raw, k: string): string | null {
  const v = r[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Error(`"${k}" must be a string`);
  return v;
}

function optNumber(r: Raw, k: string, dflt: number): number {
  const v = r[k];
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`"${k}" must be a non-negative number`);
  return n;
}

function optEnum<T extends string>(r: Raw, k: string, values: T[], dflt: T): T {
  const v = r[k];
  if (v === undefined || v === null) return dflt;
  if (!values.includes(v as T)) throw new Error(`"${k}" must be one of ${values.join(', ')}`);
  return v as T;
}

/** A list given as a JSON array or a comma-separated string. */
function optStringList(r: Raw, k: string, where: string): string[] | null {
  const v = r[k];
  if (v === undefined || v === null) return null;
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new Error(`${where}: "${k}" must be a list of strings`);
  return list.map((x: string) => x.trim()).filter((x: string) => x !== '');
}
