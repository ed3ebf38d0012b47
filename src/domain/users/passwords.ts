import { availableParallelism } from 'node:os';
import { hash, verify, Algorithm } from '@node-rs/argon2';
import type { App } from '../../app.ts';
import { computeVerifier } from '../sign-in/srp-math.ts';

/** OWASP's argon2id parameters: 19 MiB, 2 iterations, 1 lane. */
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Each hash or verify runs on libuv's thread pool and holds its 19 MiB while it runs; one handed to
 * the pool while every thread is busy waits in the pool's queue, holding nothing. `tobira start`
 * sizes the pool to the cores (bin/tobira.cjs; each worker of `--workers N` to its share), and one
 * more hash is handed over than there are threads, so that a thread that finishes starts the next
 * at once instead of idling while the event loop hands the turn on (with exactly one per core the
 * cores idled ~10% of the time). On two cores, two threads and three hashes at once gave 0.81-0.96
 * of the argon2id ceiling at 140 MiB peak, where libuv's default four threads ran all three at once
 * (19 MiB more, and fewer hashes per CPU-second: bench/README.md). TOBIRA_CLUSTER_SIZE is set by
 * cli/workers.ts; TOBIRA_PASSWORD_HASHES_AT_ONCE overrides.
 */
export const ARGON2_AT_ONCE =
  positiveInteger(process.env.TOBIRA_PASSWORD_HASHES_AT_ONCE) ?? Math.max(1, Math.ceil((availableParallelism() + 1) / (positiveInteger(process.env.TOBIRA_CLUSTER_SIZE) ?? 1)));

function positiveInteger(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
let argon2Running = 0;
const argon2Waiting: (() => void)[] = [];

/** Runs an argon2id hash or verify when fewer than ARGON2_AT_ONCE run; exported for its test. */
export async function withArgon2Slot<T>(run: () => Promise<T>): Promise<T> {
  if (argon2Running < ARGON2_AT_ONCE) argon2Running++;
  else await new Promise<void>((resolve) => argon2Waiting.push(resolve));
  try {
    return await run();
  } finally {
    // The slot passes straight to the next in line, in arrival order.
    const next = argon2Waiting.shift();
    if (next) next();
    else argon2Running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return withArgon2Slot(() => hash(password, ARGON2));
}

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) return false;
  try {
    return await withArgon2Slot(() => verify(passwordHash, password));
  } catch {
    return false;
  }
}

/** A stored hash to verify against when the user does not exist, so both paths take alike time. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword('tobira-no-such-user-password');
  return dummyHash;
}

export interface PasswordSecrets {
  passwordHash: string;
  srpSalt: string;
  srpVerifier: string;
}

/**
 * What is stored when a password is set: its argon2id hash for the password flows, and the SRP
 * salt and verifier for USER_SRP_AUTH (computed from the internal username, which never changes).
 * Never the password itself.
 */
export async function passwordSecrets(app: App, poolId: string, username: string, password: string): Promise<PasswordSecrets> {
  const srpSalt = app.random.bytes(16).toString('hex');
  // The hash runs on libuv's thread pool: the verifier's exponentiation is done on this thread
  // meanwhile, not after it.
  const passwordHash = hashPassword(password);
  const srpVerifier = computeVerifier(poolId, username, password, srpSalt);
  return { passwordHash: await passwordHash, srpSalt, srpVerifier };
}
