import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';

/**
 * Encryption at rest of the secrets the store must be able to read back: token signing keys,
 * app client secrets (DescribeUserPoolClient shows them again, and SECRET_HASH needs them),
 * identity providers' details (client_secret, private_key; DescribeIdentityProvider shows them)
 * and per-pool secrets of the sign-in flows. Hashing would not do for these.
 *
 * With an operator's master key (TOBIRA_MASTER_KEY or --master-key-file), each value is stored as
 * `sealed:v1:<fingerprint>:<base64url(iv | ciphertext | tag)>`, AES-256-GCM under a key derived
 * from the master key with scrypt, and bound to its row (the row's key is the additional data),
 * so a sealed value copied into another row does not open. The fingerprint names the master key
 * without revealing it, so a wrong one is reported as such rather than as corrupt data.
 *
 * Without a master key values are stored as given, as before this existed; once a master key is
 * given, start-up seals what is still in clear (Store.prepareSecrets).
 */
export interface Sealer {
  /** True when values are encrypted. */
  readonly sealing: boolean;
  seal(plain: string, row: string): string;
  open(stored: string, row: string): string;
}

const PREFIX = 'sealed:v1:';
/** A stored value that was sealed (client secrets match [\w+]+, JWKs and details start with '{': never this). */
const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

/** Stores values as given; refuses to open sealed ones, naming what is missing. */
export const clearSealer: Sealer = {
  sealing: false,
  seal: (plain) => plain,
  open(stored) {
    if (isSealed(stored)) {
      throw new Error(
        'the store holds secrets sealed with a master key: start Tobira with TOBIRA_MASTER_KEY or --master-key-file',
      );
    }
    return stored;
  },
};

/** The sealer of a server with this master key (config.masterKey), or none. */
export function sealerFor(masterKey: string | null): Sealer {
  return masterKey ? masterKeySealer(masterKey) : clearSealer;
}

/** The shortest master key accepted: it should come from a secrets manager, not from memory. */
const MIN_MASTER_KEY_LENGTH = 16;

export function masterKeySealer(masterKey: string): Sealer {
  if (masterKey.length < MIN_MASTER_KEY_LENGTH) {
    throw new Error(`the master key must be at least ${MIN_MASTER_KEY_LENGTH} characters`);
  }
  // scrypt makes a guessed master key expensive to try against a stolen database; the fixed salt
  // is fine because every install should have its own random master key.
  const key = scryptSync(masterKey, 'tobira master key v1', 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const fingerprint = createHmac('sha256', key).update('fingerprint').digest('base64url').slice(0, 8);
  const head = `${PREFIX}${fingerprint}:`;
  return {
    sealing: true,
    seal(plain, row) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(row, 'utf8'));
      const body = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return head + body.toString('base64url');
    },
    open(stored, row) {
      if (!isSealed(stored)) return stored; // written before the master key was given
      const given = stored.slice(PREFIX.length, PREFIX.length + 8);
      // The fingerprint is public (it only names the key), so a plain comparison is fine.
      if (stored.charAt(PREFIX.length + 8) !== ':' || given !== fingerprint) {
        throw new Error(`a secret in the store was sealed with another master key (fingerprint ${given}, this key's ${fingerprint})`);
      }
      const body = Buffer.from(stored.slice(head.length), 'base64url');
      if (body.length < 12 + 16) throw new Error(`a sealed secret of ${row} is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
      decipher.setAAD(Buffer.from(row, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      try {
        return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(`a sealed secret of ${row} does not open: it was altered or belongs to another row`);
      }
    },
  };
}
