import { createHash, timingSafeEqual } from 'node:crypto';

/** Codes and session cookies are stored only as their SHA-256. */
export const artifactHash = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** Compares two secrets in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}
