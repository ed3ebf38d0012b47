/**
 * The OAuth 2.0 errors of a user pool domain (RFC 6749 5.2 / 4.1.2.1, RFC 7009, RFC 6750), beside
 * the Cognito exceptions of src/errors.ts. Each carries its RFC code and HTTP status; the
 * description is sent only where Cognito sends one (`expose`).
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly status: number,
    readonly description?: string,
    readonly expose = description !== undefined,
  ) {
    super(description ?? error);
  }

  /** The JSON body of the token and revocation endpoints. */
  body(): Record<string, string> {
    return this.expose && this.description ? { error: this.error, error_description: this.description } : { error: this.error };
  }
}

export const invalidRequest = (description?: string) => new OAuthError('invalid_request', 400, description, false);
/** 400 at the token endpoint (Cognito's documented status), 401 at revocation. */
export const invalidClient = (status = 400) => new OAuthError('invalid_client', status);
export const invalidGrant = () => new OAuthError('invalid_grant', 400);
export const unauthorizedClient = () => new OAuthError('unauthorized_client', 400);
export const unsupportedGrantType = () => new OAuthError('unsupported_grant_type', 400);
export const unsupportedResponseType = () => new OAuthError('unsupported_response_type', 400);
export const unsupportedTokenType = () => new OAuthError('unsupported_token_type', 400);
export const invalidScope = () => new OAuthError('invalid_scope', 400);
export const loginRequired = () => new OAuthError('login_required', 400);
export const serverError = () => new OAuthError('server_error', 500);
