/** Freezes a parsed JSON value all the way down, so a shared copy cannot be changed by one reader for the next. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Parsed settings shared between reads, by row id, while their stored text stays the same
 * (repos/clients.ts; pools keep theirs by the row's version, repos/pools.ts): frozen all the
 * way down, so code that would change one throws instead of changing every later reader's copy.
 * The row is still read each time, so another node's change is seen at once.
 */
export class SharedJson<T> {
  private readonly parsed = new Map<string, { raw: string; value: T }>();
  constructor(private readonly max = 10_000) {}

  get(id: string, raw: string): T {
    const hit = this.parsed.get(id);
    if (hit && hit.raw === raw) return hit.value;
    const value = deepFreeze(JSON.parse(raw) as T);
    if (this.parsed.size >= this.max) this.parsed.clear();
    this.parsed.set(id, { raw, value });
    return value;
  }
}
