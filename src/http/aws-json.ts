import { randomUUID } from 'node:crypto';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import * as idp from '../generated/cognito-idp.ts';
import * as identity from '../generated/cognito-identity.ts';
import { handlers, identityHandlers } from '../api/index.ts';
import type { RequestContext } from '../api/context.ts';
import { jsonTextOf } from '../api/json-answer.ts';
import { ModelValidator } from './validate.ts';
import { parseJsonObject } from '../util/json.ts';
import { authenticate } from './sigv4.ts';
import { originOfCall } from '../domain/threat/origin.ts';
import { authorizeAdminCall, callTarget } from './admin-credentials.ts';

export interface WireRequest {
  target: string | undefined;
  body: string;
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  sourceIp: string;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** One awsJson 1.1 service served on `POST /`: what its X-Amz-Target prefix selects. */
interface Service {
  /** The SigV4 signing name the credential scope must carry. */
  signingName: string;
  operations: Record<string, { input?: string; auth: 'none' | 'sigv4' }>;
  validator: ModelValidator;
  handlers: Record<string, ((input: never, ctx: RequestContext) => Promise<unknown>) | undefined>;
}

/**
 * The services by target prefix. The AWS CLI and SDKs post both to the one endpoint URL they
 * are given, so the target alone tells them apart.
 */
const SERVICES: Record<string, Service> = {
  [idp.TARGET_PREFIX]: {
    signingName: 'cognito-idp',
    operations: idp.OPERATIONS,
    validator: new ModelValidator(idp.SHAPES),
    handlers,
  },
  [identity.TARGET_PREFIX]: {
    signingName: 'cognito-identity',
    operations: identity.OPERATIONS,
    validator: new ModelValidator(identity.SHAPES, 'ValidationException'),
    handlers: identityHandlers,
  },
};


/**
 * Handles one awsJson1_1 call of cognito-idp or cognito-identity: picks the service and the
 * operation from X-Amz-Target, parses and validates the body against that service's model, runs
 * the handler, and encodes the answer or the error as AWS does.
 */
export async function handleAwsJson(app: App, req: WireRequest): Promise<WireResponse> {
  const requestId = randomUUID();
  const started = performance.now();
  let operation = '-';
  // Metric labels only from the model's names, never from what a caller sent (unbounded series).
  let signingName = 'unknown';
  let known = 'unknown';
  let body: Record<string, unknown> | undefined;
  try {
    const target = req.target ?? '';
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    operation = target.slice(dot + 1);
    const service = dot < 0 || !Object.hasOwn(SERVICES, prefix) ? undefined : SERVICES[prefix];
    if (!service || !Object.hasOwn(service.operations, operation)) {
      throw new CognitoError('UnknownOperationException', `Unknown operation: ${target || '(no X-Amz-Target header)'}`);
    }
    const spec = service.operations[operation];
    signingName = service.signingName;
    known = operation;
    // The signature is checked first, as AWS's front end does: an unsigned admin call learns
    // nothing about its body.
    const scope = authenticate(
      { operationAuth: spec.auth, service: service.signingName, method: req.method, url: req.url, headers: req.headers, body: req.body },
      app.config.adminCredentials,
      app.clock.now(),
    );
    // The server's body parser checked the body's shape already (http/server.ts).
    body = parseJsonObject(req.body, { shapeChecked: true });
    // Then the key's IAM policy, when it has one (http/admin-credentials.ts): IAM decides before
    // the service looks at the values, so a refused caller learns nothing from validation.
    if (scope && spec.auth === 'sigv4' && app.config.adminCredentials) {
      authorizeAdminCall(app.config.adminCredentials, scope.accessKeyId, app.config.accountId, callTarget(service.signingName, operation, body, app.config.accountId));
    }
    service.validator.validate(spec.input, body);
    const handler = (Object.hasOwn(service.handlers, operation) ? service.handlers[operation] : undefined) as
      | ((input: unknown, ctx: RequestContext) => Promise<unknown>)
      | undefined;
    if (!handler) {
      throw new CognitoError(
        'InvalidParameterException',
        `Tobira does not support the ${operation} operation yet.`,
      );
    }
    const ctx: RequestContext = {
      app,
      requestId,
      region: scope?.region ?? app.config.region,
      sourceIp: req.sourceIp,
      // Built for every operation, though only the sign-in, sign-up, recovery and password ones read it.
      origin: originOfCall({ sourceIp: req.sourceIp, headers: req.headers, requestId }, body),
    };
    const result = (await handler(body, ctx)) ?? {};
    const seconds = (performance.now() - started) / 1000;
    app.metrics.request(signingName, known, 'OK', seconds, body, result);
    app.log.info({ requestId, operation, status: 200, ms: Math.round(seconds * 1000) }, 'request');
    return { status: 200, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, body: jsonTextOf(result) ?? JSON.stringify(result) };
  } catch (err) {
    let error: CognitoError;
    if (err instanceof CognitoError) {
      error = err;
    } else {
      // The cause goes to the log with the request id, never to the client.
      app.log.error({ requestId, operation, err }, 'unexpected error');
      error = new CognitoError('InternalErrorException', `An internal error occurred. Request id: ${requestId}`);
    }
    const seconds = (performance.now() - started) / 1000;
    app.metrics.request(signingName, known, error.type, seconds, body);
    if (error.type === 'NotAuthorizedException' && error.message === 'Password attempts exceeded') app.metrics.lockout();
    app.log.info({ requestId, operation, status: error.status, error: error.type, ms: Math.round(seconds * 1000) }, 'request');
    return encodeError(error, requestId);
  }
}

/**
 * Past this many bytes the x-amzn-ErrorMessage header is cut (the body keeps the whole message):
 * a header of many kilobytes overflows clients (Node's fetch fails at 16 KB of headers,
 * UND_ERR_HEADERS_OVERFLOW; boto3 drops the connection earlier).
 */
export const MAX_HEADER_MESSAGE = 1024;

/** The message as a header value: printable ASCII only (else empty), at most MAX_HEADER_MESSAGE bytes. */
function headerMessage(message: string): string {
  const cut = message.length > MAX_HEADER_MESSAGE ? `${message.slice(0, MAX_HEADER_MESSAGE - 3)}...` : message;
  return /^[\x20-\x7e]*$/.test(cut) ? cut : '';
}

export function encodeError(error: CognitoError, requestId: string): WireResponse {
  return {
    status: error.status,
    headers: {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': `${error.type}:`,
      'x-amzn-errormessage': headerMessage(error.message),
    },
    body: JSON.stringify({ __type: error.type, message: error.message, ...error.extra }),
  };
}
