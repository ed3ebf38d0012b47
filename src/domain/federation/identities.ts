import type { IdentityProvider, User } from '../types.ts';

/**
 * The `identities` attribute: the provider identities a user signs in with, as Cognito keeps
 * them. Stored (AdminGetUser, ListUsers) as a JSON array with `primary` a boolean and
 * `dateCreated` a number of epoch milliseconds (guessed from the ID-token form, which is
 * observed); in the ID token (`identities` claim) every value but issuer is a string
 * (cognito-protocols.md 1.2: `"primary":"true"`, `"dateCreated":"1627180752091"`).
 */
export interface Identity {
  userId: string;
  providerName: string;
  providerType: string;
  issuer: string | null;
  primary: boolean;
  dateCreated: number;
}

export const IDENTITIES = 'identities';

/** The user's identities; [] when none or unreadable. */
export function identitiesOf(user: Pick<User, 'attributes'>): Identity[] {
  const raw = user.attributes[IDENTITIES];
  if (!raw) return [];
  try {
    const list = JSON.parse(raw) as unknown;
    return Array.isArray(list) ? list.filter((i): i is Identity => !!i && typeof i === 'object' && typeof (i as Identity).userId === 'string') : [];
  } catch {
    return [];
  }
}

/** Writes the list back into the attributes (removing the attribute when it is empty). */
export function setIdentities(attributes: Record<string, string>, list: Identity[]): void {
  if (list.length) attributes[IDENTITIES] = JSON.stringify(list);
  else delete attributes[IDENTITIES];
}

/** Social providers have no issuer in `identities`; OIDC ones their oidc_issuer; SAML the IdP's entity id when known. */
export function identityOf(provider: IdentityProvider, userId: string, now: number, primary: boolean, issuer?: string): Identity {
  const social = ['Google', 'Facebook', 'LoginWithAmazon', 'SignInWithApple'].includes(provider.providerType);
  return {
    userId,
    providerName: provider.providerName,
    providerType: provider.providerType,
    issuer: social ? null : (issuer ?? provider.providerDetails.oidc_issuer ?? null),
    primary,
    dateCreated: now,
  };
}

/** The `identities` claim of an ID token, from the stored attribute value. */
export function identitiesClaim(stored: string): unknown {
  let list: unknown;
  try {
    list = JSON.parse(stored);
  } catch {
    return stored;
  }
  if (!Array.isArray(list)) return stored;
  return list.map((i: Record<string, unknown>) => ({
    userId: String(i.userId),
    providerName: String(i.providerName),
    providerType: String(i.providerType),
    issuer: i.issuer === null || i.issuer === undefined ? null : String(i.issuer),
    primary: String(i.primary),
    dateCreated: String(i.dateCreated),
  }));
}
