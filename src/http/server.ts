import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { encodeError, handleAwsJson } from './aws-json.ts';
import { randomUUID } from 'node:crypto';
import { DEFAULT_LIMITS } from '../config.ts';
import { applyListenerLimits, listenerOptions } from './limits.ts';
import { handleSts, isStsRequest } from './sts.ts';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { apiRoute, bodyText, CORS_HEADERS } from './api-route.ts';

const BODY_LIMIT = 1024 * 1024;
/** A preflight's answer adds what the browser may send, and for how long it may trust that (read only from preflights, Fetch standard's CORS protocol). */
const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'GET,POST,OPTIONS',
  'access-control-allow-headers':
    'content-type,x-amz-target,x-amz-user-agent,x-amz-date,x-amz-security-token,authorization,cache-control,amz-sdk-invocation-id,amz-sdk-request',
  'access-control-max-age': '86400',
};

/** Operator endpoints, also as `//_tobira/...` (duplicate slashes reach the same routes). */
const OPERATOR_PATH = /^\/+(_tobira(\/|$)|metrics(\?|$))/;

/** Extra routes that feature modules mount on the server (JWKS, outbox, hosted UI ...). */
export type RouteModule = (server: FastifyInstance, app: App) => void;
const routeModules: RouteModule[] = [];
export function registerRoutes(mod: RouteModule): void {
  routeModules.push(mod);
}

/** `tls`: serve HTTPS with this certificate and key (PEM; http/tls.ts). */
/** A compiler factory for schemas Tobira never declares: using one is a programming error. */
const noSchemas = () => () => {
  throw new Error('Tobira routes declare no JSON schemas (see http/validate.ts)');
};

export function buildServer(app: App, tls?: { cert: string; key: string }): FastifyInstance {
  const limits = app.config.limits ?? DEFAULT_LIMITS;
  // Cognito calls are answered by the API's own lane (http/api-route.ts) before fastify sees
  // them; everything else is fastify's. HTTPS through the same factory keeps the instance typed
  // as the HTTP one the routes are written for; an https.Server takes the same limits and
  // requests see `req.protocol === 'https'`.
  const api = apiRoute(app, BODY_LIMIT);
  const serverFactory: FastifyServerFactory = (handler) => {
    const serve: typeof handler = (req, res) => {
      if (!api.serve(req, res)) handler(req, res);
    };
    return tls
      ? (createHttpsServer({ ...listenerOptions(limits), cert: tls.cert, key: tls.key }, serve) as unknown as Server)
      : createHttpServer(listenerOptions(limits), serve);
  };
  const server = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Keep connections from hanging the shutdown.
    forceCloseConnections: 'idle',
    // A client sending slowly or not at all cannot hold a socket (http/limits.ts: the factory's
    // server is built with them, and they are set again below).
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // An endpoint URL ending in `/` makes some clients post to `//`: it reaches the API like `/`
    // (the SigV4 check still signs the path as sent, http/sigv4.ts).
    routerOptions: { ignoreDuplicateSlashes: true },
    // No route declares a JSON schema (bodies are checked against the service models instead,
    // http/validate.ts), so fastify's Ajv and fast-json-stringify compilers, ~100 modules loaded
    // at every start, are replaced by ones that refuse a schema should one ever appear.
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    serverFactory,
  });
  applyListenerLimits(server.server, limits);
  // While closing, fastify answers 503 to new requests: the API's lane leaves them to it.
  server.addHook('preClose', (done) => {
    api.stop();
    done();
  });

  // Bodies are read as bytes and parsed by us, so a malformed body is a Cognito
  // SerializationException rather than a framework error. A body that is not UTF-8 is refused
  // here, before any handler: decoded leniently, different byte strings would become the same
  // text (`bad\xff` and `bad\xfe` both `bad\ufffd`).
  server.removeAllContentTypeParsers();
  // A refusal is an error with status 400, which the error handler answers as a SerializationException.
  const refuse = (message: string) => Object.assign(new Error(message), { statusCode: 400 });
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    const text = bodyText(body as Buffer);
    if (typeof text !== 'string') return done(refuse(text.refused), undefined);
    done(null, text);
  });

  // Browsers may call the API, the JWKS and the OAuth endpoints from any origin, as Cognito's
  // allow; never the operator endpoints (/_tobira/..., /metrics): a web page in the operator's
  // own browser, which reaches this machine on loopback, must not read the outbox's codes.
  // A callback hook rather than an async one: no promise per reply.
  server.addHook('onSend', (req, reply, payload, done) => {
    if (!OPERATOR_PATH.test(req.url)) reply.headers(req.method === 'OPTIONS' ? PREFLIGHT_HEADERS : CORS_HEADERS);
    done(null, payload);
  });

  server.options('/*', async (_req, reply) => reply.code(204).send());

  server.post('/', async (req, reply) => {
    // STS's Query protocol shares POST / with the JSON services (http/sts.ts): a form-encoded body
    // naming an Action goes to Tobira's STS endpoint; everything else is an awsJson call.
    if (isStsRequest(req.headers['content-type'], req.body)) {
      const sts = await handleSts(app, { target: undefined, body: req.body as string, method: req.method, url: req.raw.url ?? '/', headers: req.headers, sourceIp: req.ip });
      return reply.code(sts.status).headers(sts.headers).send(Buffer.from(sts.body));
    }
    const res = await handleAwsJson(app, {
      target: header(req.headers['x-amz-target']),
      body: typeof req.body === 'string' ? req.body : '',
      method: req.method,
      url: req.raw.url ?? '/',
      headers: req.headers,
      sourceIp: req.ip,
    });
    // A Buffer, so fastify adds no "; charset=utf-8" that Cognito does not send. Returned: an
    // async handler that sends without returning the reply makes fastify send a second time
    // (caught inside fastify, but a thrown ERR_HTTP_HEADERS_SENT with its stack on every request).
    return reply.code(res.status).headers(res.headers).send(Buffer.from(res.body));
  });

  server.get('/health', async () => ({ status: 'ok' }));

  for (const mod of routeModules) mod(server, app);

  server.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const requestId = randomUUID();
    const status = err.statusCode ?? 500;
    if (status >= 500) app.log.error({ requestId, err }, 'unexpected error');
    const error =
      status === 413
        ? new CognitoError('InvalidParameterException', 'The request body is too large.')
        : status < 500
          ? new CognitoError('SerializationException', err.message)
          : new CognitoError('InternalErrorException', `An internal error occurred. Request id: ${requestId}`);
    const res = encodeError(error, requestId);
    // A Buffer, so fastify adds no "; charset=utf-8" that Cognito does not send. Returned: an
    // async handler that sends without returning the reply makes fastify send a second time
    // (caught inside fastify, but a thrown ERR_HTTP_HEADERS_SENT with its stack on every request).
    return reply.code(res.status).headers(res.headers).send(Buffer.from(res.body));
  });

  return server;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
