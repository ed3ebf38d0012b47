/**
 * Tobira as a library, for a project's own test suite: `import { startTobira } from 'tobira'`
 * starts an in-memory Tobira on a free loopback port inside the caller's process, with no
 * container and no AWS account, and hands back what a test needs (its URL, the outbox, the code
 * of the last message to an address, a reset between tests).
 */
import { defaultConfig, type Config } from './config.ts';
import { startTobira as startServer } from './tobira.ts';
import { outboxJson } from './store/repos/outbox.ts';
import type { SentMessage, Tobira, TobiraOptions } from './public-types.ts';

export type { SentMessage, Tobira, TobiraOptions, TobiraSettings } from './public-types.ts';

/** Starts an in-memory Tobira; `await tobira.close()` when done. */
export async function startTobira(options: TobiraOptions = {}): Promise<Tobira> {
  const config: Config = {
    ...defaultConfig({}),
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    region: options.region ?? 'us-east-1',
    logLevel: options.logLevel ?? 'silent',
    ...(options.settings as Partial<Config>),
    ...(options.config !== undefined ? { configFile: options.config } : {}),
    dataDir: null,
    databaseUrl: null,
  };
  const running = await startServer(config);
  const { store } = running.app;
  const outbox = async (filter: { to?: string; poolId?: string } = {}): Promise<SentMessage[]> =>
    (await store.outbox.list({ to: filter.to, poolId: filter.poolId, limit: 1000 })).map((m) => outboxJson(m) as SentMessage);
  return {
    url: running.url,
    region: config.region,
    outbox,
    async codeFor(address) {
      const last = (await outbox({ to: address })).at(-1);
      if (!last) return undefined;
      if (typeof last.code === 'string') return last.code;
      return /\b(\d{6})\b/.exec(last.body)?.[1];
    },
    async reset() {
      // Every table but the schema's own bookkeeping, in one transaction; the in-memory SQLite
      // store has no other state worth keeping between tests.
      const tables = await store.db.all<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'",
      );
      await store.db.transaction(async (sql) => {
        await sql.run('PRAGMA defer_foreign_keys = ON');
        for (const t of tables) await sql.run(`DELETE FROM "${t.name}"`);
      });
    },
    close: () => running.close(),
  };
}
