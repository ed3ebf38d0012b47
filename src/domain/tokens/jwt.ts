import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * Compact RS256 JWS, the only form Cognito's ID and access tokens take. Written out here (a few
 * lines over node:crypto) rather than through jose's WebCrypto path, because signing and
 * verifying sit on the hot path of every sign-in and every token-authenticated call.
 */

export type Claims = Record<string, unknown>;

const b64 = (s: string) => Buffer.from(s).toString('base64url');

/** Signs with the header `{"kid","alg":"RS256"}`: two members, kid first, no typ (as Cognito's). */
export function signJwt(payload: Claims, kid: string, key: KeyObject): string {
  const input = `${headerSegment(kid)}.${b64(JSON.stringify(payload))}`;
  // The signing input is base64url text: its latin1 bytes are its UTF-8 bytes, without the scan.
  return `${input}.${sign('RSA-SHA256', Buffer.from(input, 'latin1'), key).toString('base64url')}`;
}

// The encoded header of each kid: a kid's header never changes (kids are key thumbprints).
const headers = new Map<string, string>();
function headerSegment(kid: string): string {
  let h = headers.get(kid);
  if (h === undefined) {
    if (headers.size >= 10_000) headers.clear();
    h = b64(JSON.stringify({ kid, alg: 'RS256' }));
    headers.set(kid, h);
  }
  return h;
}

export interface ParsedJwt {
  header: { kid?: unknown; alg?: unknown; [k: string]: unknown };
  payload: Claims;
  signingInput: string;
  signature: Buffer;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

const UNSAFE_KEY = (k: string, val: unknown) => (k === '__proto__' || k === 'constructor' || k === 'prototype' ? undefined : val);

/** Refuses `__proto__` and friends so a token payload cannot pollute prototypes. */
function safeParseObject(text: string): Record<string, unknown> | undefined {
  try {
    // A key can only spell one of them literally or with a \u escape; the reviver, which costs
    // more than the parse, runs only then.
    const unsafe = text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
    const v = unsafe ? JSON.parse(text, UNSAFE_KEY) : JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Splits and decodes a compact JWS without trusting it; undefined when it is not one. */
export function parseJwt(token: string): ParsedJwt | undefined {
  if (typeof token !== 'string' || token.length > 16_384) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return undefined;
  const header = safeParseObject(Buffer.from(parts[0], 'base64url').toString('utf8'));
  const payload = safeParseObject(Buffer.from(parts[1], 'base64url').toString('utf8'));
  if (!header || !payload) return undefined;
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
}

/** True when the RS256 signature over the token's first two parts checks out with this key. */
export function verifySignature(jwt: ParsedJwt, key: KeyObject): boolean {
  if (jwt.header.alg !== 'RS256') return false;
  try {
    return verify('RSA-SHA256', Buffer.from(jwt.signingInput), key, jwt.signature);
  } catch {
    return false;
  }
}
