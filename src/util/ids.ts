import type { Random } from '../app.ts';
import { invalidParameter } from '../errors.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random string over an alphabet, without modulo bias. */
export function randomString(random: Random, length: number, alphabet: string = ALNUM): string {
  let out = '';
  while (out.length < length) {
    for (const b of random.bytes(length * 2)) {
      if (b < 256 - (256 % alphabet.length)) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A user pool id as Cognito makes them: `<region>_<9 letters and digits>`. */
export const newPoolId = (random: Random, region: string) => `${region}_${randomString(random, 9)}`;

/** An app client id: 26 lower-case letters and digits, as Cognito's. */
export const newClientId = (random: Random) => randomString(random, 26, LOWER_ALNUM);

/** A version-4 UUID from the injected random source. */
export function uuid(random: Random): string {
  const b = random.bytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Opaque pagination tokens: the last key of a page, base64url-encoded. */
export const encodeToken = (key: string) => Buffer.from(JSON.stringify({ k: key })).toString('base64url');
export function decodeToken(token: string | undefined): string | null {
  if (!token) return null;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof v?.k === 'string') return v.k;
  } catch {
    /* fall through */
  }
  throw invalidParameter('The pagination token is not valid.');
}
