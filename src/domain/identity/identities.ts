import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized, resourceNotFound } from '../../errors.ts';
import type { IdentityDescription } from '../../generated/cognito-identity.ts';
import type { IdentityRecord, LoginRecord } from '../../store/repos/identities.ts';
import type { Store } from '../../store/store.ts';
import { uuid } from '../../util/ids.ts';
import type { IdentityPool } from '../types.ts';
import { getIdentityPool } from './identity-pools.ts';
import { canonicalProviderName, COGNITO_IDENTITY_PROVIDER, verifyLogin } from './logins.ts';
import { openIdIssuer, OPEN_ID_TOKEN_SECONDS, signOpenIdToken, verifyOpenIdJwt } from './open-id-tokens.ts';

/**
 * Identities of an identity pool (GetId, GetOpenIdToken, UnlinkIdentity, ListIdentities,
 * DescribeIdentity, DeleteIdentities) and the seam the credentials half calls: getIdentity,
 * verifyLogins, issueOpenIdToken, verifyOpenIdToken. An identity is `<region>:<uuid>`; a login
 * (provider, user there) belongs to one identity of a pool at most. Developer identities are in
 * developer-identities.ts.
 *
 * For GetCredentialsForIdentity, `authorizeIdentity` does what GetOpenIdToken does before it
 * signs: the identity found, its Logins verified and matched (or linked), guest access checked.
 */

/** One identity: `<region>:<uuid>`, its pool and the logins linked to it. */
export interface Identity {
  id: string;
  poolId: string;
  /** Provider name as a Logins key (e.g. `cognito-idp.us-east-1.amazonaws.com/us-east-1_abc`, `accounts.google.com`, the developer provider name) -> the user's id there. */
  logins: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  /** Every developer user identifier of the identity (MergeDeveloperIdentities may give it several; `logins` has the first). */
  developerUserIdentifiers?: string[];
  /** Its last login was unlinked (UnlinkIdentity, UnlinkDeveloperIdentity): no one may use it any more. */
  disabled?: boolean;
  /** The pool's developer provider name, when it has one. */
  developerProviderName?: string;
}

/** A Logins entry whose token was verified: the claims role mapping reads (`cognito:groups`, `cognito:preferred_role` ...). */
export interface VerifiedLogin {
  /** The Logins key, normalised to the pool's own spelling of the provider. */
  providerName: string;
  /** The user's id at the provider (the token's `sub`, or the developer user identifier). */
  subject: string;
  claims: Record<string, unknown>;
}

/** At most this many logins on one identity (MergeDeveloperIdentities' API reference: "The number of linked logins is limited to 20."). */
export const MAX_LINKED_LOGINS = 20;

/**
 * Not found: `Identity '<id>' not found.`, shaped after the live service's "IdentityPool '<id>' not
 * found." (guessed for identities).
 */
export const identityNotFound = (id: string) => resourceNotFound(`Identity '${id}' not found.`);
/** The live service's refusal of an identity one may not use (aws-amplify/aws-sdk-android#52). */
export const identityForbidden = (id: string) => notAuthorized(`Access to Identity '${id}' is forbidden.`);
/** Cognito's words when the Logins given are none of the identity's (aws-amplify/amplify-js#2443, aws/aws-sdk-js#2327). */
export const loginsDontMatch = () => notAuthorized("Logins don't match. Please include at least one valid login for this identity or identity pool.");
/** Guests refused (aws/aws-sdk-js-v3#3113, boto/botocore#329). */
export const guestsRefused = () => notAuthorized('Unauthenticated access is not supported for this identity pool.');

function toIdentity(rec: IdentityRecord, logins: LoginRecord[], developerProvider?: string): Identity {
  const map: Record<string, string> = {};
  for (const l of logins) if (!Object.hasOwn(map, l.provider)) map[l.provider] = l.subject;
  const developer = developerProvider ? logins.filter((l) => l.provider === developerProvider).map((l) => l.subject) : [];
  return {
    id: rec.id,
    poolId: rec.poolId,
    logins: map,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    developerUserIdentifiers: developer,
    disabled: rec.disabled,
    ...(developerProvider ? { developerProviderName: developerProvider } : {}),
  };
}

async function loadIdentity(store: Store, id: string): Promise<{ rec: IdentityRecord; logins: LoginRecord[] } | undefined> {
  const rec = await store.identities.get(id);
  return rec && { rec, logins: await store.identities.logins(id) };
}

/** The identity, or ResourceNotFoundException as Cognito words it. */
export async function getIdentity(app: App, identityId: string, store: Store = app.store): Promise<Identity> {
  const found = await loadIdentity(store, identityId);
  if (!found) throw identityNotFound(identityId);
  const pool = await store.identityPools.get(found.rec.poolId);
  return toIdentity(found.rec, found.logins, pool?.config.DeveloperProviderName);
}

/**
 * Verifies every token of a Logins map for the pool (signature, issuer, audience, expiry,
 * ServerSideTokenCheck) and answers the verified logins, or throws NotAuthorizedException /
 * InvalidParameterException / ResourceConflictException as Cognito does.
 */
export async function verifyLogins(app: App, pool: IdentityPool, logins: Record<string, string>): Promise<VerifiedLogin[]> {
  const out: VerifiedLogin[] = [];
  for (const [key, token] of Object.entries(logins)) {
    const login = await verifyLogin(app, pool, key, token);
    const twin = out.find((l) => l.providerName === login.providerName);
    if (twin && twin.subject !== login.subject) throw conflict();
    if (!twin) out.push(login);
  }
  return out;
}

/** Two users of one provider on one identity (text guessed: the model's description of the exception). */
export const conflict = () => new CognitoError('ResourceConflictException', 'A login of this request is already linked to another identity of the same provider.');

/** Claims of an OpenID token that GetOpenIdToken (or ...ForDeveloperIdentity) issued, verified; throws when not valid. */
export interface OpenIdTokenClaims {
  identityId: string;
  identityPoolId: string;
  /** `authenticated` or `unauthenticated`, then the provider names. */
  amr: string[];
  expiresAt: number;
  claims: Record<string, unknown>;
}

/**
 * Verifies an OpenID token of Tobira's identity service (for STS AssumeRoleWithWebIdentity): our
 * key, our issuer, not expired, with an identity pool audience, an identity subject and an amr.
 */
export async function verifyOpenIdToken(app: App, token: string): Promise<OpenIdTokenClaims> {
  const claims = await verifyOpenIdJwt(app, token);
  const { sub, aud, amr, exp } = claims;
  if (typeof sub !== 'string' || typeof aud !== 'string' || !Array.isArray(amr) || !amr.every((a) => typeof a === 'string') || typeof exp !== 'number') {
    throw notAuthorized("Invalid login token. Couldn't verify signed token.");
  }
  return { identityId: sub, identityPoolId: aud, amr: amr as string[], expiresAt: exp * 1000, claims };
}

/**
 * The amr of a token: `unauthenticated` for a guest; else `authenticated`, then each provider, and
 * for user pools and developer providers also Cognito's `<provider>:CognitoSignIn:<sub>` /
 * `<provider>:<poolId>:<user>` forms (as the tokens Cognito issues carry them; the second form guessed).
 */
function amrOf(identity: Identity, logins: VerifiedLogin[]): string[] {
  // The logins of this request; else (none, or only the service's own token) the identity's.
  const given = logins.filter((l) => l.providerName !== COGNITO_IDENTITY_PROVIDER);
  const authenticated = given.length > 0 ? given : Object.entries(identity.logins).map(([providerName, subject]) => ({ providerName, subject }));
  if (authenticated.length === 0) return ['unauthenticated'];
  const amr = ['authenticated'];
  for (const l of authenticated) {
    amr.push(l.providerName);
    if (l.providerName.startsWith('cognito-idp.')) amr.push(`${l.providerName}:CognitoSignIn:${l.subject}`);
    else if (l.providerName === identity.developerProviderName) amr.push(`${l.providerName}:${identity.poolId}:${l.subject}`);
  }
  return amr;
}

/**
 * An OpenID token for the identity (GetOpenIdToken's answer), valid for `durationSeconds`. Claims
 * in the order Cognito's tokens have them (sub, aud, iss, amr, exp, iat, as awslabs/aws-jwt-verify#89
 * shows one); `extra` adds more (the principal tags claim of ...ForDeveloperIdentity).
 */
export async function issueOpenIdToken(
  app: App,
  identity: Identity,
  logins: VerifiedLogin[],
  durationSeconds: number,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const iat = Math.floor(app.clock.now() / 1000);
  return signOpenIdToken(app, {
    sub: identity.id,
    aud: identity.poolId,
    ...extra,
    iss: openIdIssuer(app),
    amr: amrOf(identity, logins),
    exp: iat + durationSeconds,
    iat,
  });
}

/** One login to link: verified, or a developer user identifier from an IAM-signed call. */
export interface LinkLogin {
  providerName: string;
  subject: string;
}

/**
 * Finds or makes the identity for logins, in the caller's transaction: the identity they are
 * linked to, their new logins linked to it. When they are linked to several identities, those
 * are merged into one (the target when given and already authenticated, else the oldest), as
 * Cognito merges identities whose logins meet ("the IdentityId returned may not match the one
 * passed on input", GetOpenIdToken's API reference); two users of one provider on the merged
 * identity are refused with ResourceConflictException, as MergeDeveloperIdentities documents. A
 * target that is authenticated must hold at least one of the logins ("Logins don't match").
 */
export async function linkLogins(
  app: App,
  s: Store,
  pool: IdentityPool,
  logins: LinkLogin[],
  target?: IdentityRecord,
): Promise<IdentityRecord> {
  const now = app.clock.now();
  const owners = new Map<string, IdentityRecord>();
  const known = new Set<string>();
  for (const l of logins) {
    const link = await s.identities.findLogin(pool.id, l.providerName, l.subject);
    if (!link) continue;
    known.add(`${l.providerName}\n${l.subject}`);
    if (!owners.has(link.identityId)) {
      const rec = await s.identities.get(link.identityId);
      if (rec) owners.set(rec.id, rec);
    }
  }
  let survivor: IdentityRecord | undefined;
  let guest: IdentityRecord | undefined;
  if (target) {
    const targetLogins = await s.identities.logins(target.id);
    if (targetLogins.length > 0) {
      if (!owners.has(target.id)) throw loginsDontMatch();
      survivor = target;
    } else {
      guest = target;
    }
  }
  survivor ??= [...owners.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))[0];
  // A guest signing in joins the identity its logins already have (and is merged into it), else keeps its id.
  if (guest && survivor) owners.set(guest.id, guest);
  survivor ??= guest;
  if (!survivor) {
    survivor = { id: `${pool.region}:${uuid(app.random)}`, poolId: pool.id, disabled: false, createdAt: now, updatedAt: now };
    await s.identities.insert(survivor);
  }
  // Every login the merged identity will hold: one user per provider (developer providers excepted: merges give them several).
  const merged: LinkLogin[] = [];
  for (const id of new Set([survivor.id, ...owners.keys()])) {
    for (const l of await s.identities.logins(id)) merged.push({ providerName: l.provider, subject: l.subject });
  }
  for (const l of logins) if (!known.has(`${l.providerName}\n${l.subject}`)) merged.push(l);
  const byProvider = new Map<string, string>();
  for (const l of merged) {
    const other = byProvider.get(l.providerName);
    if (other !== undefined && other !== l.subject && l.providerName !== pool.config.DeveloperProviderName) throw conflict();
    byProvider.set(l.providerName, l.subject);
  }
  const distinct = new Set(merged.map((l) => `${l.providerName}\n${l.subject}`));
  // Text guessed; the limit is MergeDeveloperIdentities' documented one.
  if (distinct.size > MAX_LINKED_LOGINS) throw invalidParameter(`An identity may have at most ${MAX_LINKED_LOGINS} linked logins.`);
  let changed = false;
  for (const other of owners.values()) {
    if (other.id === survivor.id) continue;
    for (const l of await s.identities.logins(other.id)) {
      await s.identities.link(pool.id, { ...l, identityId: survivor.id });
    }
    await s.identities.delete(other.id);
    changed = true;
  }
  for (const l of logins) {
    if ((await s.identities.findLogin(pool.id, l.providerName, l.subject))?.identityId === survivor.id) continue;
    await s.identities.link(pool.id, { provider: l.providerName, subject: l.subject, identityId: survivor.id, createdAt: now });
    changed = true;
  }
  if (changed) {
    survivor = { ...survivor, updatedAt: now };
    await s.identities.update(survivor);
  }
  return survivor;
}

/** GetId: the identity of the Logins (made or found), or a new guest identity when there are none and the pool allows guests. */
export async function getId(app: App, poolId: string, logins: Record<string, string> | undefined): Promise<string> {
  const pool = await getIdentityPool(app.store, poolId);
  const entries = Object.keys(logins ?? {});
  if (entries.length === 0) {
    if (!pool.config.AllowUnauthenticatedIdentities) throw guestsRefused();
    const now = app.clock.now();
    const id = `${pool.region}:${uuid(app.random)}`;
    await app.store.identities.insert({ id, poolId: pool.id, disabled: false, createdAt: now, updatedAt: now });
    return id;
  }
  const verified = await verifyLogins(app, pool, logins ?? {});
  // The identity service's own token (developer-authenticated flow) names its identity.
  const own = verified.find((l) => l.providerName === COGNITO_IDENTITY_PROVIDER);
  if (own) return (await authorizeIdentity(app, own.subject, logins)).identity.id;
  const rec = await app.store.tx(async (s) => linkLogins(app, s, await getIdentityPool(s, poolId), verified));
  return rec.id;
}

/**
 * What GetOpenIdToken (and GetCredentialsForIdentity) check before answering for an identity:
 * it exists and is usable; a guest needs a pool that still allows guests; Logins, when given, are
 * verified and must include one of the identity's (new ones are linked, a guest's are merged
 * into the identity that has them: the id answered may differ); an authenticated identity
 * without Logins is refused.
 */
export async function authorizeIdentity(
  app: App,
  identityId: string,
  logins: Record<string, string> | undefined,
): Promise<{ identity: Identity; pool: IdentityPool; verified: VerifiedLogin[] }> {
  const found = await loadIdentity(app.store, identityId);
  if (!found) throw identityNotFound(identityId);
  const pool = await getIdentityPool(app.store, found.rec.poolId);
  if (found.rec.disabled) throw identityForbidden(identityId);
  const given = logins ?? {};
  if (Object.keys(given).length === 0) {
    if (found.logins.length > 0) throw identityForbidden(identityId);
    if (!pool.config.AllowUnauthenticatedIdentities) throw guestsRefused();
    return { identity: toIdentity(found.rec, found.logins, pool.config.DeveloperProviderName), pool, verified: [] };
  }
  const verified = await verifyLogins(app, pool, given);
  // The identity service's own token names its identity rather than a provider's user.
  const own = verified.filter((l) => l.providerName === COGNITO_IDENTITY_PROVIDER);
  if (own.some((l) => l.subject !== identityId)) throw loginsDontMatch();
  const links = verified.filter((l) => l.providerName !== COGNITO_IDENTITY_PROVIDER);
  if (links.length === 0) {
    return { identity: toIdentity(found.rec, found.logins, pool.config.DeveloperProviderName), pool, verified };
  }
  const rec = await app.store.tx(async (s) => {
    const target = await s.identities.get(identityId);
    if (!target) throw identityNotFound(identityId);
    return linkLogins(app, s, pool, links, target);
  });
  return { identity: await getIdentity(app, rec.id), pool, verified };
}

/** GetOpenIdToken: a 10-minute OpenID token for the identity. */
export async function getOpenIdToken(app: App, identityId: string, logins: Record<string, string> | undefined): Promise<{ IdentityId: string; Token: string }> {
  const { identity, verified } = await authorizeIdentity(app, identityId, logins);
  // The basic (classic) flow's first step. A pool that says AllowClassicFlow false refuses it; one
  // that never said either way allows it, as Cognito does (aws/aws-cli#7652, both answers seen).
  if ((await getIdentityPool(app.store, identity.poolId)).config.AllowClassicFlow === false) {
    throw invalidParameter('Basic (classic) flow is not enabled, please use enhanced flow.');
  }
  return { IdentityId: identity.id, Token: await issueOpenIdToken(app, identity, verified, OPEN_ID_TOKEN_SECONDS) };
}

/**
 * UnlinkIdentity: removes providers from the identity, proved by one of its current logins.
 * Removing the last one leaves the identity disabled (API reference: "Removing the last linked
 * login will make this identity inaccessible."). A provider not linked is ignored.
 */
export async function unlinkIdentity(app: App, identityId: string, logins: Record<string, string>, remove: string[]): Promise<void> {
  const found = await loadIdentity(app.store, identityId);
  if (!found) throw identityNotFound(identityId);
  const pool = await getIdentityPool(app.store, found.rec.poolId);
  if (found.rec.disabled) throw identityForbidden(identityId);
  const verified = await verifyLogins(app, pool, logins);
  await app.store.tx(async (s) => {
    const rec = await s.identities.get(identityId);
    if (!rec) throw identityNotFound(identityId);
    let holds = false;
    for (const l of verified) holds ||= (await s.identities.findLogin(pool.id, l.providerName, l.subject))?.identityId === identityId;
    if (!holds) throw loginsDontMatch();
    let removed = 0;
    for (const name of remove) {
      const provider = canonicalProviderName(app, name);
      // Developer user identifiers are unlinked with UnlinkDeveloperIdentity only (guessed: refused here).
      if (provider === pool.config.DeveloperProviderName) throw invalidParameter('Use UnlinkDeveloperIdentity to unlink a developer user identifier.');
      removed += await s.identities.unlink(identityId, provider);
    }
    if (removed === 0) return;
    const left = await s.identities.logins(identityId);
    await s.identities.update({ ...rec, disabled: left.length === 0, updatedAt: app.clock.now() });
  });
}

/** An identity as DescribeIdentity and ListIdentities answer it: provider names, epoch-second dates. */
export function describeIdentity(identity: Identity): IdentityDescription {
  return {
    IdentityId: identity.id,
    Logins: Object.keys(identity.logins),
    CreationDate: identity.createdAt / 1000,
    LastModifiedDate: identity.updatedAt / 1000,
  };
}

/** ListIdentities: the pool's identities in id order, paged by the last id. */
export async function listIdentities(app: App, poolId: string, after: string | null, max: number, hideDisabled: boolean) {
  const pool = await getIdentityPool(app.store, poolId);
  const recs = await app.store.identities.list(pool.id, after, max + 1, hideDisabled);
  const page = recs.slice(0, max);
  const identities: IdentityDescription[] = [];
  for (const rec of page) identities.push(describeIdentity(toIdentity(rec, await app.store.identities.logins(rec.id), pool.config.DeveloperProviderName)));
  return { identities, lastId: recs.length > max ? page[page.length - 1].id : undefined };
}

/**
 * DeleteIdentities: each id deleted with its logins. An id that names no identity is answered in
 * UnprocessedIdentityIds with ErrorCode AccessDenied (the model's codes are AccessDenied and
 * InternalServerError; which one the live service gives for an unknown id was not found: guessed).
 */
export async function deleteIdentities(app: App, ids: string[]): Promise<{ IdentityId: string; ErrorCode: 'AccessDenied' }[]> {
  const unprocessed: { IdentityId: string; ErrorCode: 'AccessDenied' }[] = [];
  await app.store.tx(async (s) => {
    for (const id of new Set(ids)) {
      if (!(await s.identities.delete(id))) unprocessed.push({ IdentityId: id, ErrorCode: 'AccessDenied' });
    }
  });
  return unprocessed;
}
