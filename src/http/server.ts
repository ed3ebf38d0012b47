import Fastify, { type FastifyInstance } from 'fastify';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { encodeError, handleAwsJson } from './aws-json.ts';
import { randomUUID } from 'node:crypto';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET,POST,OPTIONS',
  'access-control-allow-headers':
    'content-type,x-amz-target,x-amz-user-agent,x-amz-date,x-amz-security-token,authorization,cache-control,amz-sdk-invocation-id,amz-sdk-request',
  'access-control-expose-headers': 'x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date',
  'access-control-max-age': '86400',
};

/** Extra routes that feature modules mount on the server (JWKS, outbox, hosted UI ...). */
export type RouteModule = (server: FastifyInstance, app: App) => void;
const routeModules: RouteModule[] = [];
export function registerRoutes(mod: RouteModule): void {
  routeModules.push(mod);
}

export function buildServer(app: App): FastifyInstance {
  const server = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Keep connections from hanging the shutdown.
    forceCloseConnections: 'idle',
  });

  // Bodies are read as text and parsed by us, so a malformed body is a Cognito
  // SerializationException rather than a framework error.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  server.addHook('onSend', async (_req, reply) => {
    reply.headers(CORS_HEADERS);
  });

  server.options('/*', async (_req, reply) => reply.code(204).send());

  server.post('/', async (req, reply) => {
    const res = await handleAwsJson(app, {
      target: header(req.headers['x-amz-target']),
      body: typeof req.body === 'string' ? req.body : '',
      method: req.method,
      url: req.raw.url ?? '/',
      headers: req.headers,
      sourceIp: req.ip,
    });
    // A Buffer, so fastify adds no "; charset=utf-8" that Cognito does not send.
    reply.code(res.status).headers(res.headers).send(Buffer.from(res.body));
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
    // A Buffer, so fastify adds no "; charset=utf-8" that Cognito does not send.
    reply.code(res.status).headers(res.headers).send(Buffer.from(res.body));
  });

  return server;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
