import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized, resourceNotFound } from '../../errors.ts';
import type { GetOpenIdTokenForDeveloperIdentityInput, LookupDeveloperIdentityInput, MergeDeveloperIdentitiesInput, UnlinkDeveloperIdentityInput } from '../../generated/cognito-identity.ts';
import type { Store } from '../../store/store.ts';
import { decodeToken, encodeToken } from '../../util/ids.ts';
import type { IdentityPool } from '../types.ts';
import { getIdentityPool } from './identity-pools.ts';
import { conflict, getIdentity, identityForbidden, identityNotFound, issueOpenIdToken, linkLogins, MAX_LINKED_LOGINS, verifyLogins, type VerifiedLogin } from './identities.ts';
import { COGNITO_IDENTITY_PROVIDER } from './logins.ts';
import { DEVELOPER_TOKEN_DEFAULT_SECONDS, DEVELOPER_TOKEN_MAX_SECONDS } from './open-id-tokens.ts';

/**
 * Developer-authenticated identities: the pool's DeveloperProviderName names the developer's
 * own sign-in, and a developer user identifier is that sign-in's user. Only IAM-signed calls
 * (the model's sigv4 operations, checked in http/aws-json.ts) may name one; an end user never
 * does (logins.ts refuses the provider in Logins).
 */

/**
 * The pool's developer provider, which the call must name. Refused with the words developers
 * quote (danilop/LambdAuth#32: "This identity pool does not support the specified developer
 * provider."; the exception type is guessed).
 */
function developerProviderOf(pool: IdentityPool, name: string): string {
  const own = pool.config.DeveloperProviderName;
  if (!own || own !== name) throw notAuthorized('This identity pool does not support the specified developer provider.');
  return own;
}

/** An identity of this pool, else not found. */
async function identityOfPool(s: Store, pool: IdentityPool, identityId: string) {
  const rec = await s.identities.get(identityId);
  if (!rec || rec.poolId !== pool.id) throw identityNotFound(identityId);
  return rec;
}

/**
 * GetOpenIdTokenForDeveloperIdentity: the identity of the developer user identifier (made or
 * found; with IdentityId, linked to that identity), other Logins verified and linked, and an
 * OpenID token for it valid TokenDuration seconds (default 15 minutes, at most 24 hours).
 * A developer user already linked to another identity than IdentityId is
 * DeveloperUserAlreadyRegisteredException (its API reference description as the text).
 */
export async function getOpenIdTokenForDeveloperIdentity(app: App, input: GetOpenIdTokenForDeveloperIdentityInput): Promise<{ IdentityId: string; Token: string }> {
  const pool = await getIdentityPool(app.store, input.IdentityPoolId);
  const own = pool.config.DeveloperProviderName;
  if (!own || !Object.hasOwn(input.Logins, own)) {
    throw notAuthorized('This identity pool does not support the specified developer provider.');
  }
  const duration = input.TokenDuration ?? DEVELOPER_TOKEN_DEFAULT_SECONDS;
  if (!Number.isInteger(duration) || duration < 1 || duration > DEVELOPER_TOKEN_MAX_SECONDS) {
    // Text guessed; the bound is the API reference's ("The maximum token duration you can set is 24 hours.").
    throw invalidParameter(`TokenDuration must be between 1 and ${DEVELOPER_TOKEN_MAX_SECONDS} seconds.`);
  }
  const developerUser = input.Logins[own];
  const others = Object.fromEntries(Object.entries(input.Logins).filter(([k]) => k !== own));
  const verified: VerifiedLogin[] = await verifyLogins(app, pool, others);
  if (verified.some((l) => l.providerName === COGNITO_IDENTITY_PROVIDER)) throw invalidParameter('Logins may not hold an OpenID token of this service here.'); // guessed
  const developerLogin: VerifiedLogin = { providerName: own, subject: developerUser, claims: {} };
  const rec = await app.store.tx(async (s) => {
    const p = await getIdentityPool(s, pool.id);
    if (input.IdentityId === undefined) return linkLogins(app, s, p, [developerLogin, ...verified]);
    const target = await identityOfPool(s, p, input.IdentityId);
    if (target.disabled) throw identityForbidden(target.id);
    const linked = await s.identities.findLogin(p.id, own, developerUser);
    if (linked && linked.identityId !== target.id) {
      throw new CognitoError('DeveloperUserAlreadyRegisteredException', 'The provided developer user identifier is already registered with Cognito under a different identity ID.');
    }
    return linkLogins(app, s, p, [developerLogin, ...verified], target);
  });
  const identity = await getIdentity(app, rec.id);
  const tags = input.PrincipalTags && Object.keys(input.PrincipalTags).length > 0
    ? { 'https://aws.amazon.com/tags': { principal_tags: Object.fromEntries(Object.entries(input.PrincipalTags).map(([k, v]) => [k, [v]])) } }
    : {};
  const token = await issueOpenIdToken(app, identity, [developerLogin, ...verified], duration, tags);
  return { IdentityId: identity.id, Token: token };
}

/**
 * LookupDeveloperIdentity: the identity of a developer user identifier, or the developer user
 * identifiers of an identity (paged). Neither given, or an unknown one: errors guessed.
 */
export async function lookupDeveloperIdentity(app: App, input: LookupDeveloperIdentityInput) {
  const pool = await getIdentityPool(app.store, input.IdentityPoolId);
  const own = pool.config.DeveloperProviderName;
  if (!own) throw notAuthorized('This identity pool does not support the specified developer provider.');
  let identityId = input.IdentityId;
  if (input.DeveloperUserIdentifier !== undefined) {
    const link = await app.store.identities.findLogin(pool.id, own, input.DeveloperUserIdentifier);
    if (!link || (identityId !== undefined && link.identityId !== identityId)) {
      throw resourceNotFound(`Developer user identifier '${input.DeveloperUserIdentifier}' not found.`); // guessed
    }
    identityId = link.identityId;
  }
  if (identityId === undefined) throw invalidParameter('Either IdentityId or DeveloperUserIdentifier must be given.'); // guessed
  await identityOfPool(app.store, pool, identityId);
  const all = (await app.store.identities.logins(identityId)).filter((l) => l.provider === own).map((l) => l.subject).sort();
  const after = decodeToken(input.NextToken);
  const rest = after === null ? all : all.filter((u) => u > after);
  const max = input.MaxResults ?? 60;
  const page = rest.slice(0, max);
  return {
    IdentityId: identityId,
    DeveloperUserIdentifierList: page,
    ...(rest.length > max ? { NextToken: encodeToken(page[page.length - 1]) } : {}),
  };
}

/**
 * MergeDeveloperIdentities: the source developer user's identity joins the destination's (all
 * its logins move, the source identity goes). Users of one public provider on both refuse
 * (ResourceConflictException), as do more than 20 logins together (both documented; texts
 * guessed).
 */
export async function mergeDeveloperIdentities(app: App, input: MergeDeveloperIdentitiesInput): Promise<string> {
  return app.store.tx(async (s) => {
    const pool = await getIdentityPool(s, input.IdentityPoolId);
    const own = developerProviderOf(pool, input.DeveloperProviderName);
    const source = await s.identities.findLogin(pool.id, own, input.SourceUserIdentifier);
    const destination = await s.identities.findLogin(pool.id, own, input.DestinationUserIdentifier);
    if (!source) throw resourceNotFound(`Developer user identifier '${input.SourceUserIdentifier}' not found.`); // guessed
    if (!destination) throw resourceNotFound(`Developer user identifier '${input.DestinationUserIdentifier}' not found.`); // guessed
    if (source.identityId === destination.identityId) return destination.identityId;
    const from = await s.identities.logins(source.identityId);
    const to = await s.identities.logins(destination.identityId);
    for (const l of from) {
      if (l.provider === own) continue;
      if (to.some((t) => t.provider === l.provider && t.subject !== l.subject)) throw conflict();
    }
    if (new Set([...from, ...to].map((l) => `${l.provider}\n${l.subject}`)).size > MAX_LINKED_LOGINS) {
      throw invalidParameter(`An identity may have at most ${MAX_LINKED_LOGINS} linked logins.`);
    }
    for (const l of from) await s.identities.link(pool.id, { ...l, identityId: destination.identityId });
    await s.identities.delete(source.identityId);
    const rec = await identityOfPool(s, pool, destination.identityId);
    await s.identities.update({ ...rec, updatedAt: app.clock.now() });
    return destination.identityId;
  });
}

/**
 * UnlinkDeveloperIdentity: the developer user identifier leaves the identity; if it was its
 * last login, the identity becomes inaccessible (API reference) and is kept disabled.
 */
export async function unlinkDeveloperIdentity(app: App, input: UnlinkDeveloperIdentityInput): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getIdentityPool(s, input.IdentityPoolId);
    const own = developerProviderOf(pool, input.DeveloperProviderName);
    const rec = await identityOfPool(s, pool, input.IdentityId);
    const removed = await s.identities.unlink(rec.id, own, input.DeveloperUserIdentifier);
    if (removed === 0) throw resourceNotFound(`Developer user identifier '${input.DeveloperUserIdentifier}' not found.`); // guessed
    const left = await s.identities.logins(rec.id);
    await s.identities.update({ ...rec, disabled: left.length === 0, updatedAt: app.clock.now() });
  });
}
