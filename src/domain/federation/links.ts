import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, userNotFound } from '../../errors.ts';
import type { AdminDisableProviderForUserRequest, AdminLinkProviderForUserRequest, ProviderUserIdentifierType } from '../../generated/cognito-idp.ts';
import type { Store } from '../../store/store.ts';
import { getPool } from '../pools/user-pools.ts';
import type { User, UserPool } from '../types.ts';
import { requireUser, usernameKey } from '../users/users.ts';
import { COGNITO_SUBJECT, federatedUsername } from './federated-users.ts';
import { identitiesOf, identityOf, setIdentities } from './identities.ts';
import { getIdentityProvider } from './identity-providers.ts';

/** Cognito's limit of provider identities linked to one user (cognito-quotas-and-errors.md). */
export const MAX_LINKS_PER_USER = 5;

/** The pool's own directory in ProviderUserIdentifierType. */
const COGNITO = 'Cognito';

function need(u: ProviderUserIdentifierType | undefined, which: string): Required<ProviderUserIdentifierType> {
  // guessed: the wording of a missing member.
  if (!u?.ProviderName) throw invalidParameter(`${which}.ProviderName is required.`);
  if (!u.ProviderAttributeValue) throw invalidParameter(`${which}.ProviderAttributeValue is required.`);
  return { ProviderName: u.ProviderName, ProviderAttributeName: u.ProviderAttributeName ?? '', ProviderAttributeValue: u.ProviderAttributeValue };
}

/** DestinationUser: a native user by username (ProviderName Cognito), or a federated user by the provider's id. */
async function destinationUser(s: Store, pool: UserPool, d: Required<ProviderUserIdentifierType>): Promise<User> {
  if (d.ProviderName === COGNITO) return requireUser(s, pool, d.ProviderAttributeValue);
  const u = await s.users.get(pool.id, usernameKey(pool, federatedUsername(d.ProviderName, d.ProviderAttributeValue)));
  if (!u) throw userNotFound();
  return u;
}

/**
 * AdminLinkProviderForUser: the provider user SourceUser (who has not signed in yet) will sign
 * in as DestinationUser, with its sub, groups and attributes. The link shows in the
 * destination's `identities`. Cognito's refusals: a native SourceUser, a SourceUser who already
 * signed in ("Merging is not currently supported ..."), a link made before ("SourceUser is
 * already linked to DestinationUser", even to the same user), five links on one user.
 */
export async function adminLinkProviderForUser(app: App, input: AdminLinkProviderForUserRequest): Promise<void> {
  const pool = await getPool(app.store, input.UserPoolId);
  const dest = need(input.DestinationUser, 'DestinationUser');
  const src = need(input.SourceUser, 'SourceUser');
  if (src.ProviderName === COGNITO) {
    // Cognito's words (aws/aws-sdk#766).
    throw invalidParameter('Invalid SourceUser: Cognito users with a username/password may not be passed in as a SourceUser, only as a DestinationUser');
  }
  const provider = await getIdentityProvider(app.store, pool.id, src.ProviderName);
  const attributeName = src.ProviderAttributeName || COGNITO_SUBJECT;
  if (provider.providerType !== 'SAML' && attributeName !== COGNITO_SUBJECT) {
    // The developer guide: social and OIDC source users are named by Cognito_Subject. guessed: the text.
    throw invalidParameter(`Invalid SourceUser: ProviderAttributeName must be ${COGNITO_SUBJECT} for provider ${provider.providerName}.`);
  }
  await app.store.tx(async (s) => {
    const user = await destinationUser(s, pool, dest);
    if (attributeName === COGNITO_SUBJECT && (await s.users.get(pool.id, usernameKey(pool, federatedUsername(provider.providerName, src.ProviderAttributeValue))))) {
      // Cognito's words, seen in code handling them (several applications on GitHub).
      throw invalidParameter('Merging is not currently supported, provide a SourceUser that has not been signed up in order to link');
    }
    if (await s.federatedLinks.get(pool.id, provider.providerName, attributeName, src.ProviderAttributeValue)) {
      throw invalidParameter('SourceUser is already linked to DestinationUser');
    }
    const links = await s.federatedLinks.ofUser(pool.id, user.usernameKey);
    if (links.length >= MAX_LINKS_PER_USER) {
      // guessed: the text.
      throw new CognitoError('LimitExceededException', `A user can be linked to at most ${MAX_LINKS_PER_USER} identities.`);
    }
    const now = app.clock.now();
    await s.federatedLinks.insert({
      poolId: pool.id,
      providerName: provider.providerName,
      attributeName,
      attributeValue: src.ProviderAttributeValue,
      usernameKey: user.usernameKey,
      createdAt: now,
    });
    user.attributes = { ...user.attributes };
    setIdentities(user.attributes, [...identitiesOf(user), identityOf(provider, src.ProviderAttributeValue, now, false)]);
    user.updatedAt = now;
    await s.users.update(user);
  });
}

/**
 * AdminDisableProviderForUser for a provider user: the link AdminLinkProviderForUser made (by
 * the same attribute, or Cognito_Subject for one used to sign in) is removed with its entry in
 * the destination's `identities`, and the provider's own user `<ProviderName>_<id>`, if one
 * exists, is deleted, so the next sign-in with the provider starts a new user (the API
 * reference: "the user must create a new user account"; deleting it is guessed).
 */
export async function adminDisableProviderForUser(app: App, input: AdminDisableProviderForUserRequest): Promise<void> {
  const pool = await getPool(app.store, input.UserPoolId);
  const u = need(input.User, 'User');
  if (u.ProviderName === COGNITO) {
    // Deactivating a native user's password sign-in is not built in Tobira.
    throw invalidParameter('Tobira does not support AdminDisableProviderForUser for Cognito (native) users.');
  }
  const provider = await getIdentityProvider(app.store, pool.id, u.ProviderName);
  const attributeName = u.ProviderAttributeName || COGNITO_SUBJECT;
  await app.store.tx(async (s) => {
    let found = false;
    const link = await s.federatedLinks.get(pool.id, provider.providerName, attributeName, u.ProviderAttributeValue);
    if (link) {
      found = true;
      await s.federatedLinks.delete(pool.id, provider.providerName, attributeName, u.ProviderAttributeValue);
      const dest = await s.users.get(pool.id, link.usernameKey);
      if (dest) {
        dest.attributes = { ...dest.attributes };
        setIdentities(dest.attributes, identitiesOf(dest).filter((i) => !(i.providerName === provider.providerName && i.userId === u.ProviderAttributeValue)));
        dest.updatedAt = app.clock.now();
        await s.users.update(dest);
      }
    }
    if (attributeName === COGNITO_SUBJECT) {
      const key = usernameKey(pool, federatedUsername(provider.providerName, u.ProviderAttributeValue));
      const external = await s.users.get(pool.id, key);
      if (external && external.status === 'EXTERNAL_PROVIDER') {
        found = true;
        await s.users.delete(pool.id, key);
      }
    }
    if (!found) throw userNotFound();
  });
}
