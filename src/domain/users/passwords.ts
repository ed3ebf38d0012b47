import { hash, verify, Algorithm } from '@node-rs/argon2';
import type { App } from '../../app.ts';
import { computeVerifier } from '../sign-in/srp-math.ts';

/** OWASP's argon2id parameters: 19 MiB, 2 iterations, 1 lane. */
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) return false;
  try {
    return await verify(passwordHash, password);
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
  return {
    passwordHash: await hashPassword(password),
    srpSalt,
    srpVerifier: computeVerifier(poolId, username, password, srpSalt),
  };
}
