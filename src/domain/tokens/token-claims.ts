import type { AppClient, Group, User } from '../types.ts';
import type { Claims } from './jwt.ts';
import { identitiesClaim } from '../federation/identities.ts';

/**
 * The claims of Cognito's ID and access tokens, in the order Cognito writes them (reference
 * cognito-protocols.md 1.2 and 1.3), so our tokens look alike when decoded side by side.
 */

/** The scope of every API-issued access token (InitiateAuth and friends). */
export const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

export interface ClaimInput {
  iss: string;
  client: AppClient;
  user: User;
  /** The user's groups in cognito:groups order (domain/groups.ts groupsOfUser). */
  groups: Group[];
  originJti: string;
  eventId: string;
  /** Seconds. */
  authTime: number;
  iat: number;
  idExp: number;
  accessExp: number;
  idJti: string;
  accessJti: string;
  deviceKey?: string;
  /** Access token scope; API sign-ins get ADMIN_SCOPE. */
  scope?: string;
  /** OAuth (hosted UI, /oauth2/token) tokens carry `version: 2` in the access token. */
  oauth?: boolean;
  /** ID token nonce from /oauth2/authorize. */
  nonce?: string;
}

/**
 * The attributes a client may read: its ReadAttributes, or every attribute when it has none
 * (Cognito shows custom attributes in ID tokens of such clients). Developer-only attributes
 * (`dev:custom:*`) never reach a client.
 */
export function readableAttributes(client: Pick<AppClient, 'config'> | undefined, attributes: Record<string, string>): Record<string, string> {
  const allowed = client?.config.ReadAttributes;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith('dev:')) continue;
    if (name !== 'sub' && allowed?.length && !allowed.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * cognito:roles lists every role of the user's groups; cognito:preferred_role is the role of the
 * best-precedence group (lowest number, groups without one last), left out when groups tie for
 * best with different roles; with one role in all, that one.
 */
export function groupRoles(groups: Group[]): { roles: string[]; preferred?: string } {
  const withRole = groups.filter((g) => g.roleArn);
  const roles = [...new Set(withRole.map((g) => g.roleArn!))];
  if (roles.length <= 1) return { roles, preferred: roles[0] };
  const rank = (g: Group) => g.precedence ?? Number.POSITIVE_INFINITY;
  const best = Math.min(...withRole.map(rank));
  const top = new Set(withRole.filter((g) => rank(g) === best).map((g) => g.roleArn!));
  return { roles, preferred: top.size === 1 ? [...top][0] : undefined };
}

const asBoolean = (v: string) => v.toLowerCase() === 'true';

export function idTokenClaims(c: ClaimInput): Claims {
  const attrs = readableAttributes(c.client, c.user.attributes);
  const groupNames = c.groups.map((g) => g.groupName);
  const { roles, preferred } = groupRoles(c.groups);
  const out: Claims = { sub: c.user.sub };
  if (groupNames.length) out['cognito:groups'] = groupNames;
  if (attrs.email_verified !== undefined) out.email_verified = asBoolean(attrs.email_verified);
  out.iss = c.iss;
  if (attrs.phone_number_verified !== undefined) out.phone_number_verified = asBoolean(attrs.phone_number_verified);
  // Custom attribute values are strings in tokens whatever their declared type.
  for (const [name, value] of Object.entries(attrs)) if (name.startsWith('custom:')) out[name] = value;
  out['cognito:username'] = c.user.username;
  if (c.nonce !== undefined) out.nonce = c.nonce;
  out.origin_jti = c.originJti;
  if (roles.length) out['cognito:roles'] = roles;
  if (preferred) out['cognito:preferred_role'] = preferred;
  out.aud = c.client.clientId;
  out.event_id = c.eventId;
  out.token_use = 'id';
  out.auth_time = c.authTime;
  const placed = new Set(['sub', 'email', 'email_verified', 'phone_number_verified']);
  for (const [name, value] of Object.entries(attrs)) {
    if (placed.has(name) || name.startsWith('custom:')) continue;
    // updated_at is a JSON number in Cognito's ID tokens, as OIDC has it (floci#985, checked
    // against AWS), and address an object whose `formatted` member is the stored string
    // (amplify-js#4935); every other standard attribute stays a string.
    if (name === 'address') out.address = { formatted: value };
    // A federated user's identities: an array of objects, as Cognito's ID tokens carry them.
    else if (name === 'identities') out.identities = identitiesClaim(value) as Claims[string];
    else out[name] = name === 'updated_at' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  }
  out.exp = c.idExp;
  out.iat = c.iat;
  out.jti = c.idJti;
  if (attrs.email !== undefined) out.email = attrs.email;
  return out;
}

export function accessTokenClaims(c: ClaimInput): Claims {
  const out: Claims = { sub: c.user.sub };
  if (c.deviceKey) out.device_key = c.deviceKey;
  if (c.groups.length) out['cognito:groups'] = c.groups.map((g) => g.groupName);
  out.iss = c.iss;
  if (c.oauth) out.version = 2;
  out.client_id = c.client.clientId;
  out.origin_jti = c.originJti;
  out.event_id = c.eventId;
  out.token_use = 'access';
  out.scope = c.scope ?? ADMIN_SCOPE;
  out.auth_time = c.authTime;
  out.exp = c.accessExp;
  out.iat = c.iat;
  out.jti = c.accessJti;
  out.username = c.user.username;
  return out;
}
