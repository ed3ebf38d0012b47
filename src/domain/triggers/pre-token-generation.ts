import type { App } from '../../app.ts';
import type { Claims } from '../tokens/jwt.ts';
import { groupRoles } from '../tokens/token-claims.ts';
import type { AppClient, Group, User, UserPool } from '../types.ts';
import { clientMetadataOf, eventUserAttributes, invalidLambdaResponse, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * PreTokenGeneration: runs before every ID and access token pair (sign-in, refresh), and its
 * answer changes the claims. The pool's PreTokenGenerationConfig.LambdaVersion picks the event:
 * V1_0 (default; event version "1", `claimsOverrideDetails`, ID token only, plus groups) or
 * V2_0 / V3_0 (event version "2" / "3", `request.scopes`, `claimsAndScopeOverrideDetails` with
 * an idTokenGeneration and an accessTokenGeneration part). cognito-protocols.md §1.8; developer
 * guide "Pre token generation Lambda trigger".
 */
export type TokenGenerationSource =
  | 'TokenGeneration_HostedAuth'
  | 'TokenGeneration_Authentication'
  | 'TokenGeneration_NewPasswordChallenge'
  | 'TokenGeneration_AuthenticateDevice'
  | 'TokenGeneration_RefreshTokens';

/** What the answer changes, applied by applyTokenOverrides when the tokens are signed. */
export interface TokenOverrides {
  id: { add: Record<string, unknown>; suppress: string[] };
  access: { add: Record<string, unknown>; suppress: string[]; scopesToAdd: string[]; scopesToSuppress: string[] };
  /** groupOverrideDetails replaces cognito:groups, cognito:roles and cognito:preferred_role. */
  groups?: { groups: string[]; roles: string[]; preferredRole: string | null };
}

/**
 * Claims no answer may add, change or suppress (the developer guide's list for the ID token);
 * Tobira keeps its own values for them. For the access token also the claims that other fields
 * of the answer own (scope: scopesToAdd / scopesToSuppress; cognito:groups: groupOverrideDetails)
 * and those that bind it to its client and device.
 */
const PROTECTED = new Set([
  'acr', 'amr', 'aud', 'at_hash', 'auth_time', 'azp', 'cognito:username', 'exp', 'iat', 'identities', 'iss', 'jti', 'nbf', 'nonce',
  'origin_jti', 'sub', 'token_use', 'event_id',
]);
const ACCESS_PROTECTED = new Set([...PROTECTED, 'client_id', 'scope', 'username', 'cognito:groups', 'version', 'device_key']);
// In the ID token these keep Cognito's types whatever a V2 answer says (cognito-protocols.md §1.8).
const ID_STRING_ONLY = new Set(['phone_number_verified', 'email_verified', 'updated_at', 'address']);

type Version = '1' | '2' | '3';

function versionOf(pool: UserPool): Version {
  const v = (pool.config.LambdaConfig as { PreTokenGenerationConfig?: { LambdaVersion?: string } } | undefined)?.PreTokenGenerationConfig?.LambdaVersion;
  return v === 'V2_0' ? '2' : v === 'V3_0' ? '3' : '1';
}

export async function preTokenGeneration(
  app: App,
  pool: UserPool,
  a: {
    source: TokenGenerationSource;
    user: User;
    client: AppClient;
    groups: Group[];
    /** The scopes about to go in the access token (V2/V3 events). */
    scopes: string[];
    clientMetadata?: Record<string, string>;
  },
): Promise<TokenOverrides | undefined> {
  const fn = triggerFunction(pool, 'PreTokenGeneration');
  if (!fn) return undefined;
  const version = versionOf(pool);
  const { roles, preferred } = groupRoles(a.groups);
  const request: Record<string, unknown> = {
    userAttributes: eventUserAttributes(a.user),
    groupConfiguration: {
      groupsToOverride: a.groups.map((g) => g.groupName),
      iamRolesToOverride: roles,
      preferredRole: preferred ?? null,
    },
  };
  if (version !== '1') request.scopes = a.scopes;
  if (clientMetadataOf(a.clientMetadata)) request.clientMetadata = a.clientMetadata;
  const event = triggerEvent(pool, {
    version,
    triggerSource: a.source,
    userName: a.user.username,
    clientId: a.client.clientId,
    request,
    response: version === '1' ? { claimsOverrideDetails: null } : { claimsAndScopeOverrideDetails: null },
  });
  const answer = await invokeTrigger(app, 'PreTokenGeneration', fn, event);
  const response = (answer.response ?? {}) as Record<string, unknown>;
  return version === '1' ? fromV1(response.claimsOverrideDetails) : fromV2(response.claimsAndScopeOverrideDetails);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw invalidLambdaResponse();
  return v as string[];
}

function object(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw invalidLambdaResponse();
  return v;
}

/** A V2 claim value: string, number, boolean, an array of those, or a JSON object. */
function isClaimValue(v: unknown): boolean {
  const scalar = (x: unknown) => typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x));
  return scalar(v) || (Array.isArray(v) && v.every(scalar)) || isObject(v);
}

function groupOverride(v: unknown): TokenOverrides['groups'] {
  if (v === undefined) return undefined;
  // Returned empty or null, the groups are suppressed (cognito-protocols.md §1.8): to keep them,
  // the function echoes request.groupConfiguration.
  if (v === null) return { groups: [], roles: [], preferredRole: null };
  const g = object(v);
  const preferred = g.preferredRole;
  if (preferred !== undefined && preferred !== null && typeof preferred !== 'string') throw invalidLambdaResponse();
  return { groups: stringList(g.groupsToOverride), roles: stringList(g.iamRolesToOverride), preferredRole: (preferred as string | null | undefined) ?? null };
}

function fromV1(details: unknown): TokenOverrides | undefined {
  if (details === undefined || details === null) return undefined;
  const d = object(details);
  const add = object(d.claimsToAddOrOverride);
  // V1 claims are strings only.
  if (Object.values(add).some((v) => typeof v !== 'string')) throw invalidLambdaResponse();
  return {
    id: { add, suppress: stringList(d.claimsToSuppress) },
    access: { add: {}, suppress: [], scopesToAdd: [], scopesToSuppress: [] },
    groups: 'groupOverrideDetails' in d ? groupOverride(d.groupOverrideDetails) : undefined,
  };
}

function fromV2(details: unknown): TokenOverrides | undefined {
  if (details === undefined || details === null) return undefined;
  const d = object(details);
  const id = object(d.idTokenGeneration);
  const access = object(d.accessTokenGeneration);
  const idAdd = object(id.claimsToAddOrOverride);
  const accessAdd = object(access.claimsToAddOrOverride);
  for (const [name, value] of Object.entries(idAdd)) {
    if (!isClaimValue(value) || (ID_STRING_ONLY.has(name) && typeof value !== 'string')) throw invalidLambdaResponse();
  }
  if (Object.values(accessAdd).some((v) => !isClaimValue(v))) throw invalidLambdaResponse();
  return {
    id: { add: idAdd, suppress: stringList(id.claimsToSuppress) },
    access: {
      add: accessAdd,
      suppress: stringList(access.claimsToSuppress),
      scopesToAdd: stringList(access.scopesToAdd),
      scopesToSuppress: stringList(access.scopesToSuppress),
    },
    groups: 'groupOverrideDetails' in d ? groupOverride(d.groupOverrideDetails) : undefined,
  };
}

function applyClaims(claims: Claims, add: Record<string, unknown>, suppress: string[], protectedNames: Set<string>): void {
  for (const [name, value] of Object.entries(add)) if (!protectedNames.has(name)) claims[name] = value;
  // A claim both added and suppressed is suppressed.
  for (const name of suppress) if (!protectedNames.has(name)) delete claims[name];
}

/** Applies an answer to the claims of the ID and access tokens about to be signed. */
export function applyTokenOverrides(idClaims: Claims, accessClaims: Claims, o: TokenOverrides): void {
  if (o.groups) {
    for (const claims of [idClaims, accessClaims]) {
      if (o.groups.groups.length) claims['cognito:groups'] = o.groups.groups;
      else delete claims['cognito:groups'];
    }
    if (o.groups.roles.length) idClaims['cognito:roles'] = o.groups.roles;
    else delete idClaims['cognito:roles'];
    if (o.groups.preferredRole) idClaims['cognito:preferred_role'] = o.groups.preferredRole;
    else delete idClaims['cognito:preferred_role'];
  }
  applyClaims(idClaims, o.id.add, o.id.suppress, PROTECTED);
  applyClaims(accessClaims, o.access.add, o.access.suppress, ACCESS_PROTECTED);
  if (o.access.scopesToAdd.length || o.access.scopesToSuppress.length) {
    const scopes = String(accessClaims.scope ?? '').split(' ').filter(Boolean);
    const suppressed = new Set(o.access.scopesToSuppress);
    const next = [...new Set([...scopes, ...o.access.scopesToAdd])].filter((s) => !suppressed.has(s));
    if (next.length) accessClaims.scope = next.join(' ');
    else delete accessClaims.scope;
  }
}
