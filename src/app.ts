import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database } from './store/db.ts';
import { SqliteDatabase } from './store/sqlite.ts';
import { Store } from './store/store.ts';
import { sealerFor } from './store/sealing.ts';
import type { Messenger } from './domain/messages/messenger.ts';
import { createMessenger } from './domain/messages/index.ts';
import { FunctionRegistry } from './functions/registry.ts';

export interface Random {
  bytes(n: number): Buffer;
}

export const secureRandom: Random = { bytes: (n) => randomBytes(n) };

/** Everything a request handler may use; built once per server, passed down explicitly. */
export interface App {
  config: Config;
  clock: Clock;
  random: Random;
  store: Store;
  log: Logger;
  /** Delivers every email and SMS (outbox, SMTP, webhook). */
  messenger: Messenger;
  /** The URL this server is reached at (config.publicUrl, else from host and bound port). */
  publicUrl(): string;
  /**
   * The user's functions (Lambda triggers): `invoke(nameOrArn, event, { timeoutMs })` and
   * `resolve(nameOrArn)`; domain code needs only those (the UserFunctions interface of
   * functions/registry.ts). Closed when the server stops.
   */
  functions: FunctionRegistry;
}

export interface AppOptions {
  config: Config;
  clock?: Clock;
  random?: Random;
  database?: Database;
  log?: Logger;
  messenger?: Messenger;
  functions?: FunctionRegistry;
}

export function createApp(opts: AppOptions): App {
  const { config } = opts;
  const database = opts.database ?? SqliteDatabase.open(config.dataDir);
  const log = opts.log ?? pino({ level: config.logLevel, base: undefined });
  const store = new Store(database, sealerFor(config.masterKey));
  const app: App = {
    config,
    clock: opts.clock ?? systemClock,
    random: opts.random ?? secureRandom,
    store,
    log,
    messenger: opts.messenger ?? createMessenger(config, store, log, opts.clock ?? systemClock),
    functions:
      opts.functions ??
      new FunctionRegistry({
        region: config.region,
        accountId: config.accountId,
        log,
        functionsDir: config.functionsDir,
        configFile: config.configFile,
        lambdaEndpoint: config.lambdaEndpoint,
      }),
    publicUrl: () => config.publicUrl ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`,
  };
  return app;
}
