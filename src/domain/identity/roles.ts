import { CognitoError, notAuthorized } from '../../errors.ts';
import type { MappingRule, RoleMapping } from '../../generated/cognito-identity.ts';
import type { IdentityPool } from '../types.ts';
import type { VerifiedLogin } from './identities.ts';

/**
 * Which IAM role an identity's credentials are for, as Cognito chooses it (developer guide,
 * "Role-based access control"): a guest gets the pool's unauthenticated role; a signed-in
 * identity gets what the role mapping of its provider says (Token: the ID token's
 * `cognito:preferred_role` / `cognito:roles`; Rules: the first rule whose claim matches), and the
 * pool's authenticated role when the provider has no mapping or the mapping's
 * AmbiguousRoleResolution is AuthenticatedRole. Pure: the pool and verified logins come in.
 */

/**
 * The live service's answer when the role it needs is not set (or, on AWS, not trusted):
 * InvalidIdentityPoolConfigurationException, 400 (aws-amplify/amplify-swift#3124,
 * awslabs/aws-sdk-ios-samples#274; aws-samples/aws-sdk-unity-samples#6 for a pool without roles).
 */
export const invalidPoolConfiguration = () =>
  new CognitoError('InvalidIdentityPoolConfigurationException', 'Invalid identity pool configuration. Check assigned IAM roles for this pool.');

/**
 * AmbiguousRoleResolution Deny: NotAuthorizedException "The ambiguous role mapping rules for: ...
 * denied this request." (seen with the provider elided, amplify-js#8644 and a public script's
 * log); what stands after "for:" is guessed to be the mapping's provider key.
 */
const ambiguousDenied = (provider: string) => notAuthorized(`The ambiguous role mapping rules for: ${provider} denied this request.`);

export interface RoleRequest {
  pool: IdentityPool;
  /** The request's verified logins; none for a guest (unauthenticated) identity. */
  logins: VerifiedLogin[];
  /** GetCredentialsForIdentity's CustomRoleArn. */
  customRoleArn?: string;
}

export function resolveRole({ pool, logins, customRoleArn }: RoleRequest): string {
  if (logins.length === 0) {
    const role = pool.roles.unauthenticated;
    if (!role) throw invalidPoolConfiguration();
    return role;
  }
  // The first login whose provider has a mapping decides (Cognito does not document the order
  // among several mapped providers; Tobira takes the Logins map's order).
  for (const login of logins) {
    const found = mappingOf(pool, login);
    if (!found) continue;
    const chosen = found.mapping.Type === 'Token' ? fromToken(login.claims, customRoleArn) : fromRules(found.mapping, login.claims, customRoleArn);
    if (chosen) return chosen;
    // A CustomRoleArn the mapping does not allow is denied (the guide: "deny access"), with the
    // same words (the live text for that case was not found).
    if (found.mapping.AmbiguousRoleResolution === 'Deny' || customRoleArn) throw ambiguousDenied(found.key);
    return authenticatedRole(pool);
  }
  return authenticatedRole(pool);
}

function authenticatedRole(pool: IdentityPool): string {
  const role = pool.roles.authenticated;
  if (!role) throw invalidPoolConfiguration();
  return role;
}

/**
 * A Cognito user pool's mapping is keyed `<provider>:<app client id>` (SetIdentityPoolRoles), the
 * client being the ID token's `aud`; other providers' by their name alone.
 */
function mappingOf(pool: IdentityPool, login: VerifiedLogin): { key: string; mapping: RoleMapping } | undefined {
  const aud = typeof login.claims.aud === 'string' ? login.claims.aud : undefined;
  const keys = aud ? [`${login.providerName}:${aud}`, login.providerName] : [login.providerName];
  for (const key of keys) {
    if (Object.hasOwn(pool.roleMappings, key)) return { key, mapping: pool.roleMappings[key] };
  }
  return undefined;
}

/**
 * Type Token: CustomRoleArn when it is one of `cognito:roles` (otherwise access is denied), else
 * `cognito:preferred_role`, else ambiguous (undefined).
 */
function fromToken(claims: Record<string, unknown>, customRoleArn: string | undefined): string | undefined {
  const roles = listClaim(claims['cognito:roles']);
  if (customRoleArn !== undefined) return roles.includes(customRoleArn) ? customRoleArn : undefined;
  const preferred = claims['cognito:preferred_role'];
  return typeof preferred === 'string' && preferred ? preferred : undefined;
}

/**
 * Type Rules: the role of the first matching rule; with CustomRoleArn, that role if some rule
 * naming it matches (the guide: CustomRoleArn overrides the order), else undefined.
 */
function fromRules(mapping: RoleMapping, claims: Record<string, unknown>, customRoleArn: string | undefined): string | undefined {
  for (const rule of mapping.RulesConfiguration?.Rules ?? []) {
    if (customRoleArn !== undefined && rule.RoleARN !== customRoleArn) continue;
    if (ruleMatches(rule, claims[rule.Claim])) return rule.RoleARN;
  }
  return undefined;
}

/**
 * One rule against one claim. A missing claim matches nothing, NotEqual included (the guide: "If
 * the match type is NotEqual and the claim doesn't exist, the rule is not evaluated"). A claim
 * holding a list (`cognito:groups`) matches when one of its members does (for NotEqual: when none
 * equals the value); Cognito does not document lists, so this reading is Tobira's.
 */
export function ruleMatches(rule: Pick<MappingRule, 'MatchType' | 'Value'>, claim: unknown): boolean {
  if (claim === undefined || claim === null) return false;
  const values = Array.isArray(claim) ? claim.map(String) : [String(claim)];
  const v = rule.Value;
  switch (rule.MatchType) {
    case 'Equals':
      return values.includes(v);
    case 'Contains':
      return values.some((x) => x.includes(v));
    case 'StartsWith':
      return values.some((x) => x.startsWith(v));
    case 'NotEqual':
      return values.every((x) => x !== v);
    default:
      return false;
  }
}

/** `cognito:roles` as the ID token carries it (a list), or a comma-separated string as the guide describes it. */
function listClaim(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  return [];
}

/** Every role a pool may hand an authenticated identity: its authenticated role and its rules' roles. */
export function authenticatedRoles(pool: IdentityPool): Set<string> {
  const roles = new Set<string>();
  if (pool.roles.authenticated) roles.add(pool.roles.authenticated);
  for (const m of Object.values(pool.roleMappings)) for (const r of m.RulesConfiguration?.Rules ?? []) roles.add(r.RoleARN);
  return roles;
}
