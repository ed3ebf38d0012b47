import type { App } from '../../app.ts';
import { invalidParameter, notAuthorized } from '../../errors.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import { uuid } from '../../util/ids.ts';
import { postAuthentication } from '../triggers/post-authentication.ts';
import { postConfirmation } from '../triggers/post-confirmation.ts';
import { preAuthentication } from '../triggers/pre-authentication.ts';
import { preSignUp } from '../triggers/pre-sign-up.ts';
import type { IdentityProvider, User, UserPool } from '../types.ts';
import { schemaAttribute } from '../users/attributes.ts';
import { newUser, saveUser, usernameKey } from '../users/users.ts';
import { IDENTITIES, identitiesOf, identityOf, setIdentities } from './identities.ts';

/**
 * SEAM (issue 13): the user a federated sign-in yields. Filled by the OIDC/social work; the SAML
 * work calls it as is.
 */
export interface UpstreamIdentity {
  /** The provider's own id for the user: the OIDC `sub` (or the attribute the provider maps to `username`), the SAML NameID. */
  userId: string;
  /** What the provider said about the user, flattened to strings (OIDC claims, SAML attributes by name). */
  attributes: Record<string, string>;
  /** The IdP's issuer (SAML entity id) for the `identities` attribute; OIDC providers default to their oidc_issuer. */
  issuer?: string;
}

/** The AdminLinkProviderForUser attribute name that means "the provider's own user id". */
export const COGNITO_SUBJECT = 'Cognito_Subject';

/** The username of a provider's user: `<ProviderName>_<id at the IdP>` (cognito-protocols.md 1.2). */
export const federatedUsername = (providerName: string, userId: string) => `${providerName}_${userId}`;

/**
 * The group Cognito puts every user of a provider in, `<poolId>_<ProviderName>`, e.g.
 * `us-west-2_NMATFlcVJ_Google` in observed ID tokens (cognito-protocols.md 1.2).
 */
export const providerGroupName = (poolId: string, providerName: string) => `${poolId}_${providerName}`;

// Users' string attributes are at most 2,048 characters (quotas page).
const MAX_VALUE = 2048;

/**
 * The pool attributes the provider's AttributeMapping (pool attribute -> provider attribute)
 * fills from what the provider said. `username` names the provider's id, not an attribute; sub
 * and identities are never written; booleans are the strings "true"/"false" as Cognito stores
 * them. A value for an attribute the schema lacks, and (creating) a required attribute without
 * one, refuse the sign-in with Cognito's "Invalid user attributes: ..." (InvalidParameterException).
 */
export function mappedAttributes(pool: UserPool, provider: IdentityProvider, said: Record<string, string>, opts: { mutableOnly?: boolean; creating?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [poolAttr, providerAttr] of Object.entries(provider.attributeMapping)) {
    if (poolAttr === 'username' || poolAttr === 'sub' || poolAttr === IDENTITIES) continue;
    const value = Object.hasOwn(said, providerAttr) ? said[providerAttr] : undefined;
    if (value === undefined) continue;
    const def = schemaAttribute(pool, poolAttr);
    // Cognito refuses the sign-in, not CreateIdentityProvider, for a mapping to an attribute the
    // pool lacks: "Invalid user attributes: apple_sub: Attribute does not exist in the schema."
    // (seen relayed to an app as error_description).
    if (!def) problems.push(`${poolAttr}: Attribute does not exist in the schema.`);
    if (!def || (opts.mutableOnly && def.Mutable === false)) continue;
    out[poolAttr] = def.AttributeDataType === 'Boolean' ? String(value.toLowerCase() === 'true') : value.slice(0, MAX_VALUE);
  }
  if (opts.creating) {
    // A new user needs the schema's required attributes ("Invalid user attributes: email: The
    // attribute is required", seen from SAML sign-ins).
    for (const def of pool.config.SchemaAttributes ?? []) {
      if (def.Required && def.Name && def.Name !== 'sub' && out[def.Name] === undefined) problems.push(`${def.Name}: The attribute is required`);
    }
  }
  // The seen text ends its list with a newline (the app receives "...schema.%0A+").
  if (problems.length) throw invalidParameter(`Invalid user attributes: ${problems.join('\n')}\n`);
  return out;
}

/** The user an AdminLinkProviderForUser link sends this provider user to, if any. */
async function linkedUser(store: Store, pool: UserPool, provider: IdentityProvider, upstream: UpstreamIdentity): Promise<User | undefined> {
  for (const name of await store.federatedLinks.attributeNames(pool.id, provider.providerName)) {
    const value = name === COGNITO_SUBJECT ? upstream.userId : upstream.attributes[name];
    if (value === undefined) continue;
    const link = await store.federatedLinks.get(pool.id, provider.providerName, name, value);
    const user = link && (await store.users.get(pool.id, link.usernameKey));
    if (user) return user;
  }
  return undefined;
}

/** Puts the user in the provider's automatic group, creating it with the first user. */
async function joinProviderGroup(s: Store, pool: UserPool, provider: IdentityProvider, user: User, now: number): Promise<void> {
  const name = providerGroupName(pool.id, provider.providerName);
  if (!(await s.groups.get(pool.id, name))) {
    await s.groups.insert({
      poolId: pool.id,
      groupName: name,
      // guessed: the description Cognito gives the automatic group.
      description: `Autogenerated group for users who sign in using ${provider.providerName}`,
      roleArn: null,
      precedence: null,
      createdAt: now,
      updatedAt: now,
    });
  }
  if (!(await s.groups.isMember(pool.id, name, user.usernameKey))) await s.groups.addMember(pool.id, name, user.usernameKey, now);
}

const refuseDisabled = (user: User) => {
  if (!user.enabled) throw notAuthorized('User is disabled.');
};

/**
 * Creates or updates `<ProviderName>_<userId>` (status EXTERNAL_PROVIDER, the `identities`
 * attribute, attributes mapped by the provider's AttributeMapping), or the native user an
 * AdminLinkProviderForUser link points at; runs the triggers Cognito runs; returns the user to
 * sign in. Throws CognitoError when the sign-in must be refused.
 *
 * Triggers: a first sign-in runs PreSignUp_ExternalProvider before the user is saved and
 * PostConfirmation_ConfirmSignUp after (developer guide, "Pre sign-up Lambda trigger" and "Post
 * confirmation Lambda trigger" list the external-provider sign-up among their sources); a user
 * who exists runs PreAuthentication first (guessed: that the first sign-in skips it); every
 * sign-in ends with PostAuthentication. `opts.clientId` is the app client the sign-in is for.
 *
 * Federated users hold no sign-in aliases: they sign in only through their provider, and an
 * email they share with a native user is no conflict (Cognito keeps such duplicates apart
 * until AdminLinkProviderForUser joins them).
 */
export async function signInFederated(
  app: App,
  pool: UserPool,
  provider: IdentityProvider,
  upstream: UpstreamIdentity,
  opts: { clientId?: string } = {},
): Promise<User> {
  const clientId = opts.clientId ?? '';
  const linked = await linkedUser(app.store, pool, provider, upstream);
  if (linked) return signInLinked(app, pool, provider, upstream, linked, clientId);

  const username = federatedUsername(provider.providerName, upstream.userId);
  // A username is at most 128 characters in Cognito's model; an IdP id that would make a longer
  // one (a 300-character SAML NameID, say) cannot become a user. Text guessed.
  if (username.length > 128) throw invalidParameter(`The user id from ${provider.providerName} is too long to make a username of 128 characters at most.`);
  const key = usernameKey(pool, username);
  const existing = await app.store.users.get(pool.id, key);
  if (existing) {
    refuseDisabled(existing);
    await preAuthentication(app, pool, { user: existing, userName: username, clientId });
    const user = await app.store.tx(async (s) => {
      const u = await s.users.get(pool.id, key);
      if (!u) throw notAuthorized('User does not exist.');
      refuseDisabled(u);
      u.attributes = { ...u.attributes, ...mappedAttributes(pool, provider, upstream.attributes) };
      if (!identitiesOf(u).some((i) => i.providerName === provider.providerName && i.userId === upstream.userId)) {
        setIdentities(u.attributes, [...identitiesOf(u), identityOf(provider, upstream.userId, app.clock.now(), identitiesOf(u).length === 0, upstream.issuer)]);
      }
      u.updatedAt = app.clock.now();
      await s.users.update(u);
      return u;
    });
    await postAuthentication(app, pool, { user, clientId });
    return user;
  }

  const attributes = mappedAttributes(pool, provider, upstream.attributes, { creating: true });
  // PreSignUp_ExternalProvider: a refusal leaves no user.
  const decision = await preSignUp(app, pool, { source: 'PreSignUp_ExternalProvider', userName: username, clientId: opts.clientId, userAttributes: { ...attributes } });
  if (decision?.autoVerifyEmail && attributes.email) attributes.email_verified = 'true';
  if (decision?.autoVerifyPhone && attributes.phone_number) attributes.phone_number_verified = 'true';
  // Unless the IdP's answer is mapped to it, a federated user's email is unverified
  // (cognito-protocols.md 1.2).
  if (attributes.email && attributes.email_verified === undefined) attributes.email_verified = 'false';
  const now = app.clock.now();
  const user = newUser(pool, { username, sub: uuid(app.random), status: 'EXTERNAL_PROVIDER', attributes, now });
  setIdentities(user.attributes, [identityOf(provider, upstream.userId, now, true, upstream.issuer)]);
  try {
    await app.store.tx(async (s) => {
      await s.users.insert(user);
      await joinProviderGroup(s, pool, provider, user, now);
    });
  } catch (err) {
    // The same person's first sign-in finished first in another request: this one is a later sign-in.
    if (err instanceof UniqueViolation) return signInFederated(app, pool, provider, upstream, opts);
    throw err;
  }
  await postConfirmation(app, pool, { source: 'PostConfirmation_ConfirmSignUp', user, clientId: opts.clientId });
  await postAuthentication(app, pool, { user, clientId });
  return user;
}

/**
 * A linked provider user signs in as the pool user of the link: that user's sub, groups and
 * tokens. The provider's mapped attributes update the user's mutable attributes (Cognito
 * applies the mapping at every sign-in; the developer guide asks that the destination user's
 * attributes be mutable for this reason).
 */
async function signInLinked(app: App, pool: UserPool, provider: IdentityProvider, upstream: UpstreamIdentity, linked: User, clientId: string): Promise<User> {
  refuseDisabled(linked);
  await preAuthentication(app, pool, { user: linked, userName: linked.username, clientId });
  const mapped = mappedAttributes(pool, provider, upstream.attributes, { mutableOnly: true });
  let user = linked;
  if (Object.entries(mapped).some(([k, v]) => linked.attributes[k] !== v)) {
    user = await app.store.tx(async (s) => {
      const u = await s.users.get(pool.id, linked.usernameKey);
      if (!u) throw notAuthorized('User does not exist.');
      refuseDisabled(u);
      u.attributes = { ...u.attributes, ...mapped };
      u.updatedAt = app.clock.now();
      await saveUser(s, pool, u);
      return u;
    });
  }
  await postAuthentication(app, pool, { user, clientId });
  return user;
}
