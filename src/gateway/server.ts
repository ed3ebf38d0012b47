import { randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import { DEFAULT_LIMITS, type ListenerLimits } from '../config.ts';
import { applyListenerLimits, listenerOptions } from '../http/limits.ts';
import { Authorizer, type AuthResult } from './authorizer.ts';
import type { GatewayConfig, GatewayRoute } from './config.ts';
import { corsHeaders, isPreflight, preflight } from './cors.ts';
import { PoolKeys } from './jwks.ts';
import { FunctionInvalidAnswer, FunctionTimedOut } from '../functions/errors.ts';
import { FunctionRegistry } from '../functions/registry.ts';
import { httpApiResult, MalformedLambdaResponse, restResult } from './lambda-result.ts';
import { httpApiEvent, restEvent } from './lambda-event.ts';
import type { GatewayRequest } from './request.ts';
import { gatewayError, type GatewayResponse } from './responses.ts';
import { HTTP_METHODS, matchTemplate } from './routes.ts';
import { TokenStatusClient } from './token-status.ts';
import { BadUpstreamPath, forward, upstreamUrl, UpstreamTimeout } from './upstream.ts';

// API Gateway's payload quota: 10 MB.
const MAX_BODY = 10 * 1024 * 1024;

export interface GatewayOptions {
  clock?: Clock;
  log?: Logger;
  region?: string;
  accountId?: string;
  apiId?: string;
  /** Time and connection bounds of the listener (config.ts; default DEFAULT_LIMITS). */
  limits?: ListenerLimits;
  /**
   * The function runtime that runs the Lambda routes (src/functions/): Tobira's own when the
   * gateway runs beside it; else the gateway makes one of these settings and closes it with itself.
   */
  functions?: FunctionRegistry;
  functionsDir?: string | null;
  functionsConfigFile?: string | null;
  lambdaEndpoint?: string | null;
}

export interface RunningGateway {
  url: string;
  config: GatewayConfig;
  close(): Promise<void>;
}

/** Starts `tobira gateway`: an HTTP server with API Gateway's user-pool authorizers in front of the routes. */
export async function startGateway(config: GatewayConfig, opts: GatewayOptions = {}): Promise<RunningGateway> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? pino({ level: 'info', base: undefined });
  const keys = new PoolKeys(clock, log, config.jwksMinRefreshMs);
  const status = config.checkRevocation ? new TokenStatusClient(clock, log, config.revocationCacheMs) : null;
  const authorizer = new Authorizer(keys, status, clock, log);
  const region = opts.region ?? regionOf(config) ?? 'us-east-1';
  const accountId = opts.accountId ?? '000000000000';
  const functions =
    opts.functions ??
    new FunctionRegistry({ region, accountId, log, functionsDir: opts.functionsDir, configFile: opts.functionsConfigFile, lambdaEndpoint: opts.lambdaEndpoint });
  const apiId = opts.apiId ?? 'tobiragw';

  const dispatch = async (req: GatewayRequest): Promise<GatewayResponse> => {
    const found = findRoute(config, req);
    if (!found) {
      const corsRoute = isPreflight(req.method, req.headers) ? findCorsRoute(config, req.path) : null;
      if (corsRoute) return preflight(corsRoute.cors!, req.headers);
      return gatewayError(config.apiType, 'unknownRoute');
    }
    const { route, pathParameters } = found;
    const withCors = (r: GatewayResponse): GatewayResponse =>
      route.cors ? { ...r, headers: { ...r.headers, ...corsHeaders(route.cors, req.headers) } } : r;
    if (route.cors && route.method === 'ANY' && isPreflight(req.method, req.headers)) return preflight(route.cors, req.headers);

    let auth: Extract<AuthResult, { ok: true }> | null = null;
    if (route.authorizer !== 'none') {
      const result = await authorizer.authorize(route, headerValues(req.rawHeaders, route.tokenSource));
      if (!result.ok) {
        log.debug({ requestId: req.requestId, route: route.key, reason: result.reason }, 'gateway: refused');
        const kind = result.status === 403 ? 'forbidden' : 'unauthorized';
        const wwwAuthenticate =
          result.status === 403
            ? `Bearer scope="${route.scopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: [${route.scopes.join(' ')}]"`
            : result.reason === 'no token'
              ? undefined
              : `Bearer scope="" error="invalid_token" error_description="${result.reason}"`;
        return withCors(gatewayError(config.apiType, kind, { wwwAuthenticate }));
      }
      auth = result;
    }

    const integration = route.integration;
    try {
      if (integration.type === 'upstream') {
        const greedy = route.template.segments.find((s) => s.kind === 'greedy');
        const url = upstreamUrl(integration.url, req, pathParameters, greedy?.kind === 'greedy' ? greedy.name : null);
        return withCors(await forward(url, req, auth?.claims ?? null, route.claimsHeader, integration.timeoutMs));
      }
      const ctx = { apiId, accountId, stage: config.stage, pathParameters, auth };
      const v1 = integration.payloadFormat === '1.0';
      const event = v1 ? restEvent(route, req, ctx) : httpApiEvent(route, req, ctx);
      const invokeOpts = { timeoutMs: integration.timeoutMs };
      const result =
        integration.type === 'function'
          ? await functions.invoke(integration.name, event, invokeOpts)
          : await functions.invokeHandler(integration.file, integration.handler, event, invokeOpts);
      return withCors(v1 ? restResult(result) : httpApiResult(result));
    } catch (err) {
      if (err instanceof BadUpstreamPath) return withCors(gatewayError(config.apiType, 'unknownRoute'));
      const timedOut = err instanceof FunctionTimedOut || err instanceof UpstreamTimeout;
      const what = err instanceof MalformedLambdaResponse || err instanceof FunctionInvalidAnswer ? 'malformed Lambda proxy response' : timedOut ? 'integration timed out' : 'integration failed';
      // The handler's own error goes to the log, never to the client (API Gateway hides it too).
      log.error({ requestId: req.requestId, route: route.key, err: errorText(err) }, `gateway: ${what}`);
      return withCors(gatewayError(config.apiType, timedOut ? 'timeout' : 'integrationFailed'));
    }
  };

  // A client sending slowly or not at all cannot hold a socket (http/limits.ts).
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const server = http.createServer(listenerOptions(limits), (req, res) => {
    void handle(req, res);
  });
  applyListenerLimits(server, limits);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const shortId = randomBytes(11).toString('base64');
    const started = performance.now();
    let response: GatewayResponse;
    try {
      const body = await readBody(req);
      if (body === null) {
        response = gatewayError(config.apiType, 'tooLarge');
      } else {
        const gwReq = toGatewayRequest(req, body, { requestId, shortId }, clock.now(), config.stage);
        response = gwReq ? await dispatch(gwReq) : gatewayError(config.apiType, 'unknownRoute');
      }
    } catch (err) {
      log.error({ requestId, err: errorText(err) }, 'gateway: unexpected error');
      response = gatewayError(config.apiType, 'integrationFailed');
    }
    send(res, response, requestId, shortId);
    log.debug({ requestId, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) }, 'gateway');
  }

  function send(res: ServerResponse, r: GatewayResponse, requestId: string, shortId: string): void {
    try {
      res.statusCode = r.status;
      for (const [k, v] of Object.entries(r.headers)) {
        const lk = k.toLowerCase();
        if (lk === 'content-length' || lk === 'transfer-encoding' || lk === 'connection') continue;
        res.setHeader(k, v);
      }
      if (config.apiType === 'rest') {
        res.setHeader('x-amzn-RequestId', requestId);
        res.setHeader('x-amz-apigw-id', shortId);
        res.setHeader('X-Amzn-Trace-Id', `Root=1-${Math.floor(clock.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`);
      } else {
        res.setHeader('apigw-requestid', shortId);
      }
      res.end(r.body);
    } catch (err) {
      // An unsendable header from a handler (a newline in a value ...): answer as a bad integration.
      log.error({ requestId, err: errorText(err) }, 'gateway: cannot send the response');
      if (!res.headersSent) {
        const e = gatewayError(config.apiType, 'integrationFailed');
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        res.statusCode = e.status;
        for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
        res.end(e.body);
      } else {
        res.destroy();
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return {
    url,
    config,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          if (!opts.functions) void functions.close();
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function findRoute(config: GatewayConfig, req: GatewayRequest): { route: GatewayRoute; pathParameters: Record<string, string> | null } | null {
  // ANY stands for API Gateway's seven methods; TRACE, PROPFIND ... have no method on any
  // resource, and a method a resource lacks is 403 Missing Authentication Token.
  if (!HTTP_METHODS.includes(req.method)) return null;
  for (const route of config.routes) {
    if (route.method !== 'ANY' && route.method !== req.method) continue;
    const m = matchTemplate(route.template, req.path);
    if (m) return { route, pathParameters: m.pathParameters };
  }
  return null;
}

function findCorsRoute(config: GatewayConfig, path: string): GatewayRoute | null {
  return config.routes.find((r) => r.cors && matchTemplate(r.template, path)) ?? null;
}

/** The request with its body; null when the path is outside the stage. */
function toGatewayRequest(
  req: IncomingMessage,
  body: Buffer,
  ids: { requestId: string; shortId: string },
  now: number,
  stage: string | null,
): GatewayRequest | null {
  const rawUrl = req.url ?? '/';
  // `OPTIONS *` and proxy-style `GET http://host/...` name no resource of the API.
  if (!rawUrl.startsWith('/')) return null;
  const q = rawUrl.indexOf('?');
  const fullPath = (q >= 0 ? rawUrl.slice(0, q) : rawUrl) || '/';
  let path = fullPath;
  if (stage) {
    if (fullPath !== `/${stage}` && !fullPath.startsWith(`/${stage}/`)) return null;
    path = fullPath.slice(stage.length + 1) || '/';
  }
  // `/prod//orders` reaches `/orders` on AWS (localstack#11253, #11304); requestContext.path keeps them.
  path = path.replace(/^\/{2,}/, '/');
  return {
    ...ids,
    protocol: `HTTP/${req.httpVersion}`,
    method: (req.method ?? 'GET').toUpperCase(),
    fullPath,
    path,
    rawQuery: q >= 0 ? rawUrl.slice(q + 1) : '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body,
    sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    receivedAt: now,
    host: String(req.headers.host ?? 'localhost').replace(/:\d+$/, ''),
  };
}

/** Every value the client sent for a header, in order; a string when it sent one. */
function headerValues(rawHeaders: string[], name: string): string | string[] | undefined {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1]);
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
}

/** The whole body, or null past API Gateway's 10 MB limit. */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function regionOf(config: GatewayConfig): string | null {
  const id = config.routes.find((r) => r.userPoolId)?.userPoolId;
  return id ? id.slice(0, id.indexOf('_')) : null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
