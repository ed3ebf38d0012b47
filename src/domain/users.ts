import type { Store } from '../store/store.ts';
import type { User, UserPool } from './types.ts';
import { userNotFound } from '../errors.ts';

/** The key a username is stored under: lower-cased unless the pool is case sensitive. */
export function usernameKey(pool: UserPool, username: string): string {
  return pool.config.UsernameConfiguration?.CaseSensitive ? username : username.toLowerCase();
}

/** The key of a sign-in alias, e.g. `email:alice@example.com`. Emails compare without case. */
export function aliasKey(attribute: string, value: string): string {
  return `${attribute}:${attribute === 'email' ? value.toLowerCase() : value}`;
}

/**
 * The aliases a user can sign in with. With UsernameAttributes, the email and phone number are
 * the sign-in names (verified or not); with AliasAttributes, an email or phone number counts once
 * it is verified, a preferred_username always.
 */
export function aliasKeysFor(pool: UserPool, user: User): string[] {
  const keys: string[] = [];
  const a = user.attributes;
  for (const attr of pool.config.UsernameAttributes ?? []) {
    if (a[attr]) keys.push(aliasKey(attr, a[attr]));
  }
  for (const attr of pool.config.AliasAttributes ?? []) {
    const value = a[attr];
    if (!value) continue;
    if (attr === 'preferred_username' || a[`${attr}_verified`] === 'true') keys.push(aliasKey(attr, value));
  }
  return keys;
}

/**
 * Finds a user by what a caller typed: the username, or in pools that allow it an email, phone
 * number or preferred_username alias, or the sub.
 */
export async function findUser(store: Store, pool: UserPool, identifier: string): Promise<User | undefined> {
  const direct = await store.users.get(pool.id, usernameKey(pool, identifier));
  if (direct) return direct;
  const attrs = [...(pool.config.UsernameAttributes ?? []), ...(pool.config.AliasAttributes ?? [])];
  for (const attr of attrs) {
    const u = await store.users.getByAlias(pool.id, aliasKey(attr, identifier));
    if (u) return u;
  }
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(identifier)) {
    return store.users.getBySub(pool.id, identifier.toLowerCase());
  }
  return undefined;
}

/** findUser, or UserNotFoundException "User does not exist." */
export async function requireUser(store: Store, pool: UserPool, identifier: string): Promise<User> {
  const user = await findUser(store, pool, identifier);
  if (!user) throw userNotFound();
  return user;
}
