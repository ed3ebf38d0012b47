import type { Store } from '../../store/store.ts';
import type { User, UserPool } from '../types.ts';
import { CognitoError, poolNotFound, userNotFound } from '../../errors.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { UserStatusType } from '../../generated/cognito-idp.ts';

/** The key a username is stored under: lower-cased unless the pool is case sensitive. */
export function usernameKey(pool: Pick<UserPool, 'config'>, username: string): string {
  return pool.config.UsernameConfiguration?.CaseSensitive ? username : username.toLowerCase();
}

/** The key of a sign-in alias, e.g. `email:alice@example.com`. Emails compare without case. */
export function aliasKey(attribute: string, value: string): string {
  return `${attribute}:${attribute === 'email' ? value.toLowerCase() : value}`;
}

/**
 * The aliases a user can sign in with. With UsernameAttributes, the email and phone number are
 * the sign-in names (verified or not); with AliasAttributes, an email or phone number counts once
 * it is verified, a preferred_username always, and an UNCONFIRMED user holds none (Cognito
 * checks alias uniqueness when the user is confirmed: ConfirmSignUp's ForceAliasCreation).
 */
export function aliasKeysFor(pool: UserPool, user: User): string[] {
  const keys: string[] = [];
  const a = user.attributes;
  for (const attr of pool.config.UsernameAttributes ?? []) {
    if (a[attr]) keys.push(aliasKey(attr, a[attr]));
  }
  if (user.status === 'UNCONFIRMED') return keys;
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
  return (await store.users.get(pool.id, usernameKey(pool, identifier))) ?? findUserBesidesUsername(store, pool, identifier);
}

/** findUser by what is not the username: an alias, or the sub. */
async function findUserBesidesUsername(store: Store, pool: UserPool, identifier: string): Promise<User | undefined> {
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

/**
 * A new user record with nothing set yet but who it is: no password, no failed attempts, no
 * revocation. AdminCreateUser, SignUp and the benchmark all start from here.
 */
export function newUser(
  pool: UserPool,
  init: { username: string; sub: string; status: UserStatusType; attributes: Record<string, string>; now: number },
): User {
  return {
    poolId: pool.id,
    usernameKey: usernameKey(pool, init.username),
    username: init.username,
    sub: init.sub,
    status: init.status,
    enabled: true,
    attributes: { sub: init.sub, ...init.attributes },
    passwordHash: null,
    srpSalt: null,
    srpVerifier: null,
    passwordChangedAt: null,
    tempPasswordExpiresAt: null,
    failedAttempts: 0,
    lastFailedAt: null,
    lockedUntil: null,
    tokensRevokedBefore: null,
    data: {},
    createdAt: init.now,
    updatedAt: init.now,
  };
}

/** findUser, or UserNotFoundException "User does not exist." */
export async function requireUser(store: Store, pool: UserPool, identifier: string): Promise<User> {
  const user = await findUser(store, pool, identifier);
  if (!user) throw userNotFound();
  return user;
}

/**
 * getPool then requireUser, the pool and the user by username read in one statement (one round
 * trip to PostgreSQL instead of two: AdminGetUser). Outside a transaction only.
 */
export async function requirePoolAndUser(store: Store, poolId: string, identifier: string): Promise<{ pool: UserPool; user: User }> {
  const found = await store.pools.getWithUser(poolId, (pool) => usernameKey(pool, identifier));
  if (!found) throw poolNotFound(poolId);
  const user = found.user ?? (await findUserBesidesUsername(store, found.pool, identifier));
  if (!user) throw userNotFound();
  return { pool: found.pool, user };
}

/** The attribute names that a sign-in alias key belongs to (`email:a@b.c` -> `email`). */
const aliasAttribute = (key: string) => key.slice(0, key.indexOf(':'));

const isUsernameAttribute = (pool: UserPool, attr: string) => pool.config.UsernameAttributes?.includes(attr as 'email' | 'phone_number') === true;

/**
 * The error for an alias another user holds: the same text whether it is a username or an alias.
 * Creating a user (AdminCreateUser, SignUp) with an email/phone another user signs in with is
 * UsernameExistsException in pools where that attribute is the username; giving an existing user
 * one (AdminUpdateUserAttributes, UpdateUserAttributes, confirming) is AliasExistsException in
 * every pool, as Cognito answers it (aws/aws-sdk-net#4387).
 */
function aliasTaken(pool: UserPool, attr: string, creating: boolean): CognitoError {
  const message = `An account with the given ${attr} already exists.`;
  if (creating && isUsernameAttribute(pool, attr)) return new CognitoError('UsernameExistsException', message);
  return new CognitoError('AliasExistsException', message);
}

/**
 * Saves a user (insert or update) with its sign-in aliases, inside the caller's transaction.
 * Aliases are unique in a pool: with UsernameAttributes a taken email/phone gives
 * UsernameExistsException "An account with the given email already exists." on creation and
 * AliasExistsException on a change; with AliasAttributes AliasExistsException, unless `forceAlias`
 * (ForceAliasCreation), which moves the alias: the previous holder's email/phone becomes
 * unverified, so it no longer signs in with it. `insert` refuses a taken username with
 * UsernameExistsException and its message (AdminCreateUser and SignUp word it differently).
 *
 * The checks read before they write; when another node commits the same username or alias in
 * between (PostgreSQL), the store's unique keys refuse the write with UniqueViolation, which
 * becomes the same Cognito error here.
 */
export async function saveUser(
  s: Store,
  pool: UserPool,
  user: User,
  opts: { insert?: { existsMessage: string }; forceAlias?: boolean } = {},
): Promise<void> {
  const usernameTaken = () => new CognitoError('UsernameExistsException', opts.insert?.existsMessage ?? 'User account already exists');
  if (opts.insert && (await s.users.get(pool.id, user.usernameKey))) throw usernameTaken();
  const keys = aliasKeysFor(pool, user);
  for (const key of keys) {
    const holder = await s.users.getByAlias(pool.id, key);
    if (!holder || holder.usernameKey === user.usernameKey) continue;
    const attr = aliasAttribute(key);
    const taken = aliasTaken(pool, attr, opts.insert !== undefined);
    // A username attribute's value is never moved to another user, ForceAliasCreation or not.
    if (isUsernameAttribute(pool, attr) || !opts.forceAlias || attr === 'preferred_username') throw taken;
    holder.attributes = { ...holder.attributes, [`${attr}_verified`]: 'false' };
    holder.updatedAt = user.updatedAt;
    await s.users.update(holder);
    await s.users.setAliases(pool.id, holder.usernameKey, aliasKeysFor(pool, holder));
  }
  try {
    if (opts.insert) await s.users.insert(user);
    else await s.users.update(user);
    await s.users.setAliases(pool.id, user.usernameKey, keys);
  } catch (err) {
    if (!(err instanceof UniqueViolation)) throw err;
    if (err.table === 'user_aliases' && err.key) throw aliasTaken(pool, aliasAttribute(err.key), opts.insert !== undefined);
    if (err.table === 'users') throw usernameTaken();
    throw err;
  }
}
