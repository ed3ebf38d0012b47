import type { Claims } from './authorizer.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const pad = (n: number) => String(n).padStart(2, '0');

/** Java's Date.toString in UTC, e.g. `Tue Mar 21 18:36:55 UTC 2023` (day zero-padded). */
export function javaDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  // Past JavaScript's dates (a year beyond 275760): the number itself rather than "undefined NaN".
  if (Number.isNaN(d.getTime())) return String(epochSeconds);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/**
 * `requestContext.authorizer.claims` of a REST API's Cognito authorizer (payload 1.0): every value
 * a string. Seen in real events: booleans as "true", auth_time as "1679420216", exp and iat as
 * Java dates ("Tue Mar 21 18:36:55 UTC 2023"), and cognito:groups comma-joined
 * ("admin,staging-manager": a REST authorizer's claims quoted in public API docs, 2018; chalice#783
 * splits on commas likewise).
 */
export function restClaims(claims: Claims): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === null || v === undefined) continue;
    if ((k === 'exp' || k === 'iat') && typeof v === 'number') out[k] = javaDate(v);
    else if (Array.isArray(v) && v.every(isPrimitive)) out[k] = v.map(String).join(',');
    else out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/**
 * `requestContext.authorizer.jwt.claims` of an HTTP API's JWT authorizer (payload 2.0): strings,
 * numbers as their digits, arrays as "[a b c]" (seen in HTTP API events in public code).
 */
export function httpApiClaims(claims: Claims): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v) && v.every(isPrimitive)) out[k] = `[${v.map(String).join(' ')}]`;
    else out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

function isPrimitive(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}
