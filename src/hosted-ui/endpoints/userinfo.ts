import { CognitoError } from '../../errors.ts';
import { verifyAccessToken } from '../../domain/tokens/access-tokens.ts';
import { readableAttributes } from '../../domain/tokens/token-claims.ts';
import type { HostedContext } from '../context.ts';
import { sendJson } from '../request.ts';

export const parameters = new Set<string>();

// Cognito's WWW-Authenticate texts (cognito-protocols.md 3.5).
const BAD_REQUEST = 'error="invalid_request", error_description="Bad OAuth2 request at UserInfo Endpoint"';
const BAD_TOKEN = 'error="invalid_token", error_description="Access token is expired, disabled, or deleted, or the user has globally signed out."';

// What each scope opens (developer guide, "The user attributes endpoint"): profile the OIDC
// profile claims and the custom attributes; email and phone their attribute and its flag.
const PROFILE = ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'];
const SCOPE_ATTRIBUTES: Record<string, string[]> = {
  profile: PROFILE,
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

/**
 * GET or POST /oauth2/userInfo with `Authorization: Bearer <access token>`: a token of this pool
 * from the OAuth endpoints with the openid scope. It answers sub, the attributes the scopes allow
 * and the client may read (all of them with openid alone; with profile, email or phone, the
 * ones each opens), and username; every value a string, as Cognito answers.
 */
export async function userInfo(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+([A-Za-z0-9\-_=.]+)\s*$/i.exec(header) : null;
  if (!m) return reply.header('www-authenticate', BAD_REQUEST).code(400).send();
  let verified;
  try {
    verified = await verifyAccessToken(app, m[1]!);
  } catch (err) {
    if (err instanceof CognitoError) return reply.header('www-authenticate', BAD_TOKEN).code(401).send();
    throw err;
  }
  const { pool, user, claims } = verified;
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (pool.id !== hd.pool.id || !scopes.includes('openid')) return reply.header('www-authenticate', BAD_TOKEN).code(401).send();
  const client = await app.store.clients.get(String(claims.client_id));
  const readable = readableAttributes(client, user.attributes);
  // openid alone: every attribute the client can read; with profile, email or phone: theirs.
  const narrowed = scopes.some((s) => Object.hasOwn(SCOPE_ATTRIBUTES, s));
  const allowed = narrowed ? new Set(scopes.flatMap((s) => (Object.hasOwn(SCOPE_ATTRIBUTES, s) ? SCOPE_ATTRIBUTES[s]! : []))) : undefined;
  const withCustom = scopes.includes('profile');
  const out: Record<string, string> = { sub: user.sub };
  for (const [name, value] of Object.entries(readable)) {
    if (name === 'sub' || (allowed && !allowed.has(name) && !(withCustom && name.startsWith('custom:')))) continue;
    out[name] = value;
  }
  out.username = user.username;
  return sendJson(reply, 200, out);
}
