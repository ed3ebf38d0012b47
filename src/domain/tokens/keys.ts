import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Store } from '../../store/store.ts';
import type { KeyUse, SigningKeyRecord } from '../../store/repos/keys.ts';

export type { KeyUse } from '../../store/repos/keys.ts';

/**
 * Per-pool RS256 signing keys: one for ID tokens and one for access tokens, so the two tokens of
 * a sign-in carry different `kid`s as Cognito's do. Keys live in signing_keys, so every node and
 * every restart signs with the same ones.
 *
 * A pool's keys are made on first use (first token, first JWKS request), not inside
 * CreateUserPool's transaction: two RSA-2048 key pairs take 200-400 ms here, and a SQLite
 * transaction holds the whole connection meanwhile. Seen from outside it is the same: no one can
 * observe a pool without its keys.
 */

/** Cognito's cap on ID and access token validity (1 day): a retired key stays in the JWKS this long. */
export const MAX_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** What key handling needs of the application; the CLI builds it without a server. */
export interface KeyEnv {
  store: Store;
  clock: Clock;
  config: Config;
}

/** A public key as the JWKS lists it (members in Cognito's alphabetical order). */
export interface PublicJwk {
  alg: 'RS256';
  e: string;
  kid: string;
  kty: 'RSA';
  n: string;
  use: 'sig';
}

const generateRsa = promisify(generateKeyPair);

interface NewKey {
  kid: string;
  privateJwk: string;
  publicJwk: string;
}

/**
 * A fresh RSA-2048 key. Its kid is the RFC 7638 thumbprint in standard base64: 44 characters
 * with `+`, `/` and `=`, the shape of Cognito's kids.
 */
async function newKey(): Promise<NewKey> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const pub = publicKey.export({ format: 'jwk' }) as { e: string; n: string };
  const kid = createHash('sha256').update(JSON.stringify({ e: pub.e, kty: 'RSA', n: pub.n })).digest('base64');
  return {
    kid,
    privateJwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
    publicJwk: JSON.stringify({ kty: 'RSA', n: pub.n, e: pub.e }),
  };
}

const record = (k: NewKey, env: KeyEnv, poolId: string, tokenUse: KeyUse, now: number): SigningKeyRecord => ({
  kid: k.kid,
  poolId,
  tokenUse,
  privateJwk: k.privateJwk, // sealed by the store under the master key, when there is one
  publicJwk: k.publicJwk,
  createdAt: now,
  retiredAt: null,
  expiresAt: null,
});

// Key generation shared by concurrent callers in this process (per database and pool). Only the
// generation is shared, never a transaction: a caller inside its own transaction must not wait
// for another's, or the SQLite connection lock would deadlock.
const generating = new WeakMap<object, Map<string, Promise<NewKey[]>>>();
function sharedKeyPairs(env: KeyEnv, poolId: string): Promise<NewKey[]> {
  let byPool = generating.get(env.store.db);
  if (!byPool) generating.set(env.store.db, (byPool = new Map()));
  let p = byPool.get(poolId);
  if (!p) {
    p = Promise.all([newKey(), newKey()]).finally(() => byPool.delete(poolId));
    byPool.set(poolId, p);
  }
  return p;
}

/**
 * Makes sure the pool has a current ID key and access key. Works on env.store, which may be a
 * transaction's; outside one, the keys are generated before the inserting transaction opens.
 */
export async function ensurePoolKeys(env: KeyEnv, poolId: string): Promise<void> {
  const uses: KeyUse[] = ['id', 'access'];
  const current = await env.store.keys.currentKids(poolId);
  if (uses.every((use) => current[use])) return;
  const [idKey, accessKey] = await sharedKeyPairs(env, poolId);
  await env.store.tx(async (s) => {
    const now = env.clock.now();
    // Another request or node may have won the race; its key is as good as ours.
    const won = await s.keys.currentKids(poolId);
    for (const use of uses) {
      if (!won[use]) await s.keys.insert(record(use === 'id' ? idKey : accessKey, env, poolId, use, now));
    }
  });
}

// Imported keys by kid. A kid is the key's thumbprint, so an entry can never go stale.
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();
function remember(cache: Map<string, KeyObject>, kid: string, key: KeyObject): KeyObject {
  if (cache.size >= 10_000) cache.clear();
  cache.set(kid, key);
  return key;
}

export interface SigningKey {
  kid: string;
  key: KeyObject;
}

/**
 * The keys that sign the pool's ID and access tokens now, made if the pool has none yet. Which
 * keys are current is read every time (one read for both), so a rotation by another process or
 * node takes effect at once; the private key is read, unsealed and imported once per kid.
 * `known`: the current kids as the caller read them earlier in this call, with its other data in
 * one statement (a refresh: repos/tokens.ts getForRedeem); read here when it lacks either.
 */
export async function signingKeys(env: KeyEnv, poolId: string, known?: Partial<Record<KeyUse, string>>): Promise<Record<KeyUse, SigningKey>> {
  let kids = known?.id && known.access ? known : await env.store.keys.currentKids(poolId);
  if (!kids.id || !kids.access) {
    await ensurePoolKeys(env, poolId);
    kids = await env.store.keys.currentKids(poolId);
  }
  // Both imported already (every call but a key's first): no further awaits.
  const id = kids.id === undefined ? undefined : privateKeys.get(kids.id);
  const access = kids.access === undefined ? undefined : privateKeys.get(kids.access);
  if (id && access) return { id: { kid: kids.id!, key: id }, access: { kid: kids.access!, key: access } };
  return { id: await importedKey(env, poolId, 'id', kids.id), access: await importedKey(env, poolId, 'access', kids.access) };
}

/** The key that signs the pool's tokens of one use now, made if the pool has none yet. */
export async function signingKey(env: KeyEnv, poolId: string, use: KeyUse): Promise<SigningKey> {
  return (await signingKeys(env, poolId))[use];
}

async function importedKey(env: KeyEnv, poolId: string, use: KeyUse, kid: string | undefined): Promise<SigningKey> {
  const cached = kid === undefined ? undefined : privateKeys.get(kid);
  if (cached) return { kid: kid!, key: cached };
  const rec = kid === undefined ? undefined : await env.store.keys.get(kid);
  if (!rec) throw new Error(`no ${use} signing key for pool ${poolId}`);
  return { kid: rec.kid, key: remember(privateKeys, rec.kid, createPrivateKey({ key: JSON.parse(rec.privateJwk), format: 'jwk' })) };
}

/**
 * The public key with this kid, with the pool and use it belongs to; undefined if we never made
 * it or it has left the JWKS (every token it signed has expired).
 */
export async function verificationKey(
  store: Store,
  kid: string,
  now: number,
): Promise<{ poolId: string; tokenUse: KeyUse; key: KeyObject } | undefined> {
  let known = verifiers.get(kid);
  // A kid's pool, use and public key never change; only its expiry may be set (by a rotation,
  // on any node), so the row is read again after a few seconds.
  if (!known || performance.now() - known.readAt > VERIFIER_TTL_MS) {
    const rec = await store.keys.get(kid);
    if (!rec) return undefined;
    const key = publicKeys.get(kid) ?? remember(publicKeys, kid, createPublicKey({ key: JSON.parse(rec.publicJwk), format: 'jwk' }));
    known = { poolId: rec.poolId, tokenUse: rec.tokenUse, key, expiresAt: rec.expiresAt, readAt: performance.now() };
    if (verifiers.size >= 10_000) verifiers.clear();
    verifiers.set(kid, known);
  }
  if (known.expiresAt !== null && known.expiresAt <= now) return undefined;
  return { poolId: known.poolId, tokenUse: known.tokenUse, key: known.key };
}

/**
 * Verification keys read in the last VERIFIER_TTL_MS, by kid: GetUser and every token-authenticated
 * call need one, and reading its row each time was one of their four reads. A key deleted with its
 * pool is caught by the pool's own read, which follows.
 */
const VERIFIER_TTL_MS = 5_000;
const verifiers = new Map<string, { poolId: string; tokenUse: KeyUse; key: KeyObject; expiresAt: number | null; readAt: number }>();

const toJwk = (rec: SigningKeyRecord): PublicJwk => {
  const { e, n } = JSON.parse(rec.publicJwk) as { e: string; n: string };
  return { alg: 'RS256', e, kid: rec.kid, kty: 'RSA', n, use: 'sig' };
};

/** The pool's JWKS: current keys and retired ones whose tokens may still be alive. */
export async function poolJwks(env: KeyEnv, poolId: string): Promise<{ keys: PublicJwk[] }> {
  await ensurePoolKeys(env, poolId);
  const keys = await env.store.keys.published(poolId, env.clock.now());
  return { keys: keys.map(toJwk) };
}

/**
 * Replaces the pool's signing keys (`tobira keys rotate`). The previous keys stop signing at once
 * and stay in the JWKS for MAX_TOKEN_LIFETIME_MS, until the last token they signed has expired;
 * keys that left the JWKS earlier are forgotten.
 */
export async function rotatePoolKeys(env: KeyEnv, poolId: string): Promise<{ id: string; access: string }> {
  const [id, access] = await Promise.all([newKey(), newKey()]);
  await env.store.tx(async (s) => {
    const now = env.clock.now();
    await s.keys.retireCurrent(poolId, now, now + MAX_TOKEN_LIFETIME_MS);
    await s.keys.deleteExpired(poolId, now);
    await s.keys.insert(record(id, env, poolId, 'id', now));
    await s.keys.insert(record(access, env, poolId, 'access', now));
  });
  return { id: id.kid, access: access.kid };
}
