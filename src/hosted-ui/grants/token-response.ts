import type { AuthenticationResultType } from '../../generated/cognito-idp.ts';

/** The token endpoint's success body, in Cognito's member order; id_token only with openid. */
export function tokenResponse(t: AuthenticationResultType, withIdToken: boolean): Record<string, string | number> {
  return {
    ...(withIdToken && t.IdToken ? { id_token: t.IdToken } : {}),
    access_token: t.AccessToken!,
    ...(t.RefreshToken ? { refresh_token: t.RefreshToken } : {}),
    expires_in: t.ExpiresIn!,
    token_type: 'Bearer',
  };
}
