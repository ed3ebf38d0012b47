// The argon2id parameters Tobira hashes passwords with, for the ceiling. Copied, not imported:
// src/domain/users/passwords.ts keeps them private (OWASP's: 19 MiB, 2 iterations, 1 lane). If
// they change there, change them here (the bench prints them beside the ceiling).
import { Algorithm } from '@node-rs/argon2';

export const ARGON2_PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
export const ARGON2_LABEL = 'argon2id m=19456 KiB t=2 p=1';
