import type { Sql } from '../db.ts';

/**
 * Fixed-window counters (rate limits, attempt limits), shared by every node through the store.
 */
/** How often a process sweeps ended windows, and the longest window it has counted in. */
const PRUNE_EVERY_MS = 60_000;
let nextPruneAt = 0;
let longestWindowMs = 0;

export class CounterRepo {
  constructor(private readonly sql: Sql) {}

  /**
   * Counts one event under key in the window of windowMs that contains now, and returns the
   * count including it. One upsert statement with RETURNING (SQLite 3.35+ and PostgreSQL), so
   * concurrent hits cannot read the same count.
   */
  async hit(key: string, now: number, windowMs: number): Promise<number> {
    const staleBefore = now - windowMs;
    const r = await this.sql.get<{ count: number }>(
      `INSERT INTO rate_counters (counter_key, window_start, count) VALUES (?, ?, 1)
       ON CONFLICT (counter_key) DO UPDATE SET
         count = CASE WHEN rate_counters.window_start <= ? THEN 1 ELSE rate_counters.count + 1 END,
         window_start = CASE WHEN rate_counters.window_start <= ? THEN ? ELSE rate_counters.window_start END
       RETURNING count`,
      [key, now, staleBefore, staleBefore, now],
    );
    await this.pruneNow(now, windowMs);
    return Number(r?.count ?? 1);
  }

  /**
   * Every key a user ever hit would otherwise stay forever. At most once a minute per process
   * (or when the clock steps back), one DELETE drops the rows whose window ended, judged by the
   * longest window this process counts in, so no live window of any caller is cut short.
   */
  private async pruneNow(now: number, windowMs: number): Promise<void> {
    longestWindowMs = Math.max(longestWindowMs, windowMs);
    if (now < nextPruneAt && now >= nextPruneAt - PRUNE_EVERY_MS) return;
    nextPruneAt = now + PRUNE_EVERY_MS;
    await this.prune(now - longestWindowMs);
  }

  /** The count in the current window, without counting. */
  async peek(key: string, now: number, windowMs: number): Promise<number> {
    const r = await this.sql.get<{ count: number; window_start: number }>(
      'SELECT count, window_start FROM rate_counters WHERE counter_key = ?',
      [key],
    );
    if (!r || Number(r.window_start) <= now - windowMs) return 0;
    return Number(r.count);
  }

  async reset(key: string): Promise<void> {
    await this.sql.run('DELETE FROM rate_counters WHERE counter_key = ?', [key]);
  }

  /** Drops counters whose window started at or before `before` (ended, for windows up to now - before). */
  async prune(before: number): Promise<number> {
    return (await this.sql.run('DELETE FROM rate_counters WHERE window_start <= ?', [before])).changes;
  }
}
