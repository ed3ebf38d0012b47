import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * TOTP as Cognito's authenticator apps use it: RFC 6238 over HMAC-SHA-1 (RFC 4226's dynamic
 * truncation), 6 digits, 30-second steps from the Unix epoch, and one step of clock skew either
 * way ("30 seconds before or after", the developer guide's TOTP page). The shared secret is
 * handed out as base32 (RFC 4648 alphabet, no padding), which every authenticator app reads.
 */

export const STEP_SECONDS = 30;
export const DIGITS = 6;
/** Steps of skew accepted on each side of the current one. */
export const SKEW_STEPS = 1;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error('not base32');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * A new shared secret: 32 random bytes, 52 base32 characters (Cognito's SecretCode is 52 too,
 * and the model asks for at least 16 of `[A-Za-z0-9]`).
 */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(32));
}

/** RFC 4226 HOTP of one counter value; `algorithm` and `digits` vary only for RFC 6238's vectors. */
export function hotp(key: Buffer, counter: number, digits = DIGITS, algorithm = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, '0');
}

export const stepAt = (epochMs: number) => Math.floor(epochMs / 1000 / STEP_SECONDS);

/** The code for the step containing `epochMs`. */
export function totpAt(secret: string, epochMs: number): string {
  return hotp(base32Decode(secret), stepAt(epochMs));
}

/**
 * The step whose code `code` is, within one step of `now`, else null. Each candidate is compared
 * in constant time, and all three are always computed, so the answer's timing reveals nothing.
 */
export function matchingStep(secret: string, code: string, nowMs: number): number | null {
  const key = base32Decode(secret);
  const current = stepAt(nowMs);
  const given = Buffer.from(code.padEnd(DIGITS, ' ').slice(0, 16), 'utf8');
  let found: number | null = null;
  for (let step = current - SKEW_STEPS; step <= current + SKEW_STEPS; step++) {
    const expected = Buffer.from(hotp(key, step), 'utf8');
    const same = given.length === expected.length && timingSafeEqual(given, expected);
    if (same && found === null) found = step;
  }
  return found;
}
