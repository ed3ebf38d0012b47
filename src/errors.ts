import type { EXCEPTIONS } from './generated/cognito-idp.ts';
import type { EXCEPTIONS as IDENTITY_EXCEPTIONS } from './generated/cognito-identity.ts';

/** Errors that the AWS front end sends, outside Cognito's own model. */
type FrontEndError =
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'IncompleteSignatureException'
  | 'MissingAuthenticationTokenException'
  | 'AccessDeniedException'
  // cognito-identity's front end answers constraint failures with this (getmoto/moto#1979).
  | 'ValidationException';

export type CognitoErrorName = (typeof EXCEPTIONS)[number] | (typeof IDENTITY_EXCEPTIONS)[number] | FrontEndError;

/**
 * One Cognito exception as it goes on the wire: `__type`, message and HTTP status. The domain
 * throws these; only the HTTP layer encodes them. Real Cognito answers 400 for every client
 * error and 500 only for InternalErrorException (see shared/reference/cognito-idp-operations.md).
 */
export class CognitoError extends Error {
  readonly type: CognitoErrorName;
  readonly status: number;
  readonly extra?: Record<string, unknown>;

  constructor(type: CognitoErrorName, message: string, extra?: Record<string, unknown>) {
    super(message);
    this.type = type;
    this.status = type === 'InternalErrorException' || type === 'InternalServerException' ? 500 : 400;
    this.extra = extra;
  }
}

export const invalidParameter = (message: string) => new CognitoError('InvalidParameterException', message);
export const notAuthorized = (message: string) => new CognitoError('NotAuthorizedException', message);
export const resourceNotFound = (message: string) => new CognitoError('ResourceNotFoundException', message);
export const userNotFound = () => new CognitoError('UserNotFoundException', 'User does not exist.');
export const poolNotFound = (poolId: string) => resourceNotFound(`User pool ${poolId} does not exist.`);
export const clientNotFound = (clientId: string) => resourceNotFound(`User pool client ${clientId} does not exist.`);
