import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { handlers, identityHandlers } from '../api/index.ts';
import type { RequestContext } from '../api/context.ts';
import { CognitoError } from '../errors.ts';
import * as idpModel from '../generated/cognito-idp.ts';
import * as identityModel from '../generated/cognito-identity.ts';
import { authorizeAdminCall, callTarget } from '../http/admin-credentials.ts';
import { ModelValidator } from '../http/validate.ts';
import { originOfCall } from '../domain/threat/origin.ts';
import type { Principal } from './access.ts';

/**
 * Every console action is an API operation, run as `POST /` would run it: the key's IAM policy,
 * the model's validation, then the very handler of src/api/. So the console shows the same
 * Cognito error (name and message) the API would answer.
 */

const idpValidator = new ModelValidator(idpModel.SHAPES);
const identityValidator = new ModelValidator(identityModel.SHAPES, 'ValidationException');

export interface Caller {
  app: App;
  req: FastifyRequest;
  principal: Principal;
}

type AnyHandler = (input: unknown, ctx: RequestContext) => Promise<unknown>;

async function run(
  c: Caller,
  signingName: string,
  operation: string,
  shape: string | undefined,
  validator: ModelValidator,
  handler: AnyHandler | undefined,
  input: Record<string, unknown>,
): Promise<unknown> {
  const { app, req } = c;
  const requestId = randomUUID();
  // Fields left empty in a form are absent, as a CLI user would leave them out.
  const body = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
  try {
    if (c.principal.kind === 'key') {
      authorizeAdminCall(app.config.adminCredentials, c.principal.accessKeyId, app.config.accountId, callTarget(signingName, operation, body, app.config.accountId));
    }
    validator.validate(shape, body);
    if (!handler) throw new CognitoError('InvalidParameterException', `Tobira does not support the ${operation} operation yet.`);
    const ctx: RequestContext = {
      app,
      requestId,
      region: app.config.region,
      sourceIp: req.ip,
      origin: originOfCall({ sourceIp: req.ip, headers: req.headers, requestId }, body),
    };
    const result = (await handler(body, ctx)) ?? {};
    app.log.info({ requestId, operation, via: 'console', status: 200 }, 'request');
    return result;
  } catch (err) {
    if (err instanceof CognitoError) {
      app.log.info({ requestId, operation, via: 'console', status: err.status, error: err.type }, 'request');
      throw err;
    }
    // The cause goes to the log with the request id, never to the page.
    app.log.error({ requestId, operation, via: 'console', err }, 'unexpected error');
    throw new CognitoError('InternalErrorException', `An internal error occurred. Request id: ${requestId}`);
  }
}

/** One cognito-idp operation, as the API runs it. */
export function idp<K extends idpModel.OperationName>(c: Caller, op: K, input: idpModel.OperationIO[K]['input']): Promise<idpModel.OperationIO[K]['output']> {
  const handler = Object.hasOwn(handlers, op) ? (handlers[op] as unknown as AnyHandler) : undefined;
  return run(c, 'cognito-idp', op, idpModel.OPERATIONS[op].input, idpValidator, handler, input as Record<string, unknown>) as Promise<idpModel.OperationIO[K]['output']>;
}

/** One cognito-identity operation (identity pools), as the API runs it. */
export function identity<K extends identityModel.OperationName>(
  c: Caller,
  op: K,
  input: identityModel.OperationIO[K]['input'],
): Promise<identityModel.OperationIO[K]['output']> {
  const handler = Object.hasOwn(identityHandlers, op) ? (identityHandlers[op] as unknown as AnyHandler) : undefined;
  return run(c, 'cognito-identity', op, identityModel.OPERATIONS[op].input, identityValidator, handler, input as unknown as Record<string, unknown>) as Promise<
    identityModel.OperationIO[K]['output']
  >;
}
