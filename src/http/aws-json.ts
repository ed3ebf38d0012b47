import { randomUUID } from 'node:crypto';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { OPERATIONS, SHAPES, TARGET_PREFIX, type OperationName } from '../generated/cognito-idp.ts';
import { handlers } from '../api/index.ts';
import type { RequestContext } from '../api/context.ts';
import { ModelValidator } from './validate.ts';
import { parseJsonObject } from '../util/json.ts';
import { authenticate } from './sigv4.ts';

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

const validator = new ModelValidator(SHAPES);
const CONTENT_TYPE = 'application/x-amz-json-1.1';


/**
 * Handles one awsJson1_1 call: picks the operation from X-Amz-Target, parses and validates the
 * body against the model, runs the handler, and encodes the answer or the error as AWS does.
 */
export async function handleCognitoIdp(app: App, req: WireRequest): Promise<WireResponse> {
  const requestId = randomUUID();
  const started = performance.now();
  let operation = '-';
  try {
    const target = req.target ?? '';
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    operation = target.slice(dot + 1);
    if (dot < 0 || prefix !== TARGET_PREFIX || !Object.hasOwn(OPERATIONS, operation)) {
      throw new CognitoError('UnknownOperationException', `Unknown operation: ${target || '(no X-Amz-Target header)'}`);
    }
    const op = operation as OperationName;
    // The signature is checked first, as AWS's front end does: an unsigned admin call learns
    // nothing about its body.
    const scope = authenticate(
      { operationAuth: OPERATIONS[op].auth, method: req.method, url: req.url, headers: req.headers, body: req.body },
      app.config.adminCredentials,
      app.clock.now(),
    );
    const body = parseJsonObject(req.body);
    validator.validate(OPERATIONS[op].input, body);
    const handler = handlers[op] as ((input: unknown, ctx: RequestContext) => Promise<unknown>) | undefined;
    if (!handler) {
      throw new CognitoError(
        'InvalidParameterException',
        `Tobira does not support the ${op} operation yet.`,
      );
    }
    const ctx: RequestContext = {
      app,
      requestId,
      region: scope?.region ?? app.config.region,
      sourceIp: req.sourceIp,
    };
    const result = (await handler(body, ctx)) ?? {};
    app.log.info({ requestId, operation, status: 200, ms: Math.round(performance.now() - started) }, 'request');
    return { status: 200, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, body: JSON.stringify(result) };
  } catch (err) {
    let error: CognitoError;
    if (err instanceof CognitoError) {
      error = err;
    } else {
      // The cause goes to the log with the request id, never to the client.
      app.log.error({ requestId, operation, err }, 'unexpected error');
      error = new CognitoError('InternalErrorException', `An internal error occurred. Request id: ${requestId}`);
    }
    app.log.info({ requestId, operation, status: error.status, error: error.type, ms: Math.round(performance.now() - started) }, 'request');
    return encodeError(error, requestId);
  }
}

export function encodeError(error: CognitoError, requestId: string): WireResponse {
  return {
    status: error.status,
    headers: {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': `${error.type}:`,
      'x-amzn-errormessage': /^[\x20-\x7e]*$/.test(error.message) ? error.message : '',
    },
    body: JSON.stringify({ __type: error.type, message: error.message, ...error.extra }),
  };
}
