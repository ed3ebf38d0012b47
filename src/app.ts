import { randomBytes, randomFillSync } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { createRequire } from 'node:module';
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
import { Metrics } from './http/metrics.ts';

export interface Random {
  bytes(n: number): Buffer;
}

// Small requests (ids, jtis, refresh tokens) are cut from a buffer refilled from the CSPRNG
// 4 KiB at a time, as node:crypto's randomUUID does: one randomBytes call costs ~5 µs whatever
// its size, and a sign-in makes a dozen. No byte is handed out twice; each caller gets a copy.
const POOL_SIZE = 4096;
const pooled = Buffer.alloc(POOL_SIZE);
let pooledAt = POOL_SIZE;
export const secureRandom: Random = {
  bytes(n) {
    if (n > 256) return randomBytes(n);
    if (pooledAt + n > POOL_SIZE) {
      randomFillSync(pooled);
      pooledAt = 0;
    }
    const out = Buffer.from(pooled.subarray(pooledAt, pooledAt + n));
    pooledAt += n;
    return out;
  },
};

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
  /** Prometheus counters and histograms of this server (http/metrics.ts, GET /metrics). */
  metrics: Metrics;
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

/**
 * The server's log: one JSON object per line (for machines: when stdout is not a terminal, or
 * `--log-format json`), or, on a terminal, one coloured line per event (`--log-format pretty`).
 * Pretty printing runs synchronously in this thread: no worker, nothing lost at exit.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): Logger {
  const format = config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json');
  // Written asynchronously: a line is queued and written with the ones before it once the write
  // in flight finishes, instead of one blocking write(2) per request. Not held back longer than
  // that: a process killed outright loses at most the line being written.
  if (format === 'json') return pino({ level: config.logLevel, base: undefined }, pino.destination({ dest: 1, sync: false }));
  // pino-pretty only for a terminal (required here, synchronously, so JSON logging never loads it).
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const stream = pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return pino({ level: config.logLevel, base: undefined }, stream);
}

export function createApp(opts: AppOptions): App {
  const { config } = opts;
  const metrics = new Metrics();
  const database = metrics.timed(opts.database ?? SqliteDatabase.open(config.dataDir));
  const log = opts.log ?? createLogger(config);
  const store = new Store(database, sealerFor(config.masterKey));
  const messenger = opts.messenger ?? createMessenger(config, store, log, opts.clock ?? systemClock);
  const app: App = {
    config,
    clock: opts.clock ?? systemClock,
    random: opts.random ?? secureRandom,
    store,
    log,
    messenger: {
      async send(message) {
        try {
          await messenger.send(message);
          metrics.message(message.channel, message.kind, true);
        } catch (err) {
          metrics.message(message.channel, message.kind, false);
          throw err;
        }
      },
    },
    metrics,
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
    publicUrl: () => config.publicUrl ?? `${config.https ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`,
  };
  app.functions.observer = (trigger, ok, seconds) => metrics.invocation(trigger, ok, seconds);
  return app;
}
