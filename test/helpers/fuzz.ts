/**
 * Requests bent out of shape one member at a time (robustness.test.ts for cognito-idp,
 * identity-robustness.test.ts for cognito-identity): the member left out, or replaced by a value
 * of another type, an empty or huge string, control characters, an unpaired surrogate, a number
 * out of range, an injection attempt; one level down too.
 */
export const WEIRD: unknown[] = [
  null,
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000\u0001\u001f',
  '\ud800',
  "' OR 1=1 --",
  '../../etc/passwd',
  '{"__proto__":{"polluted":true}}',
  0,
  -1,
  1.5,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  true,
  [],
  ['a'],
  [null],
  {},
  { Name: 'email' },
];

export type Request = [operation: string, body: Record<string, unknown>];

/** Calls `check` with each request as given, then with every bent variant of it. */
export async function bendEach(base: Request[], check: (op: string, body: unknown, what: string) => Promise<void>): Promise<void> {
  for (const [op, body] of base) {
    await check(op, body, 'as given');
    for (const key of Object.keys(body)) {
      const { [key]: _dropped, ...without } = body;
      await check(op, without, `without ${key}`);
      for (const v of WEIRD) await check(op, { ...body, [key]: v }, `${key}=${JSON.stringify(v)?.slice(0, 30)}`);
      // One level down: each member of a nested object, and the first element of a list of objects.
      const inner = body[key];
      const nested = Array.isArray(inner) && inner[0] && typeof inner[0] === 'object' ? inner[0] : !Array.isArray(inner) && inner && typeof inner === 'object' ? inner : null;
      if (nested) {
        for (const k2 of Object.keys(nested as object)) {
          for (const v of WEIRD) {
            const bent = { ...(nested as object), [k2]: v };
            await check(op, { ...body, [key]: Array.isArray(inner) ? [bent, ...inner.slice(1)] : bent }, `${key}.${k2}=${JSON.stringify(v)?.slice(0, 30)}`);
          }
        }
      }
    }
  }
}
