import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApp, type App, type AppOptions } from './app.ts';
import type { Config } from './config.ts';
import { buildServer } from './http/server.ts';
import { tlsMaterial, trustInstructions, type TlsMaterial } from './http/tls.ts';
import { sweepExpired, SWEEP_INTERVAL_MS } from './domain/housekeeping.ts';
import './features.ts';
import { warnUnresolvedFunctions } from './functions/startup-check.ts';

export interface Running {
  app: App;
  server: FastifyInstance;
  /** http://host:port (https:// with config.https) of the bound listener. */
  url: string;
  close(): Promise<void>;
}

/** What startTobira takes besides the configuration. */
export interface StartOptions extends Omit<AppOptions, 'config'> {
  /**
   * A worker of `tobira start --workers N` (cli/workers.ts): the primary did the start-up work
   * once (prepareStart), so this process opens the store and listens, and tells nothing twice.
   */
  clusterWorker?: boolean;
}

/** Opens the store, builds the server and listens. Port 0 picks a free port. */
export async function startTobira(config: Config, opts: StartOptions = {}): Promise<Running> {
  const { clusterWorker = false, ...appOptions } = opts;
  // PostgreSQL opens asynchronously, so it is opened here rather than in createApp.
  const database = appOptions.database ?? (await openPostgres(config));
  const app = createApp({ config, ...appOptions, database });
  let tls: TlsMaterial | undefined;
  try {
    if (!clusterWorker) await startupWork(app, config);
    // HTTPS (http/tls.ts): made before listening, so that a bad certificate stops the start.
    if (config.tlsCert || config.tlsKey) config.https = true;
    tls = await tlsMaterial(config);
  } catch (err) {
    await app.functions.close();
    await app.store.db.close();
    throw err;
  }
  const server = buildServer(app, tls);
  await server.listen({ host: config.host, port: config.port });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  config.port = port;
  const url = `${tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (!clusterWorker) await announce(app, tls);
  // Expired tokens, codes, keys and sessions are swept in the background (domain/housekeeping.ts).
  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = sweepExpired(app).then(
      (swept) => {
        if (Object.values(swept).some((n) => n > 0)) app.log.info({ swept }, 'swept expired records');
      },
      (err) => app.log.warn({ err }, 'sweeping expired records failed; will try again'),
    ).finally(() => (sweeping = undefined));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  let closed = false;
  return {
    app,
    server,
    url,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      // In-flight requests finish first; then the database is closed.
      await server.close();
      await sweeping;
      await app.functions.close();
      await app.store.db.close();
    },
  };
}

const openPostgres = async (config: Config) =>
  config.databaseUrl ? (await import('./store/postgres.ts')).PostgresDatabase.open(config.databaseUrl) : undefined;

/** What is done once per start, before any process listens: secrets sealed, --config applied. */
async function startupWork(app: App, config: Config): Promise<void> {
  const sealed = await app.store.prepareSecrets();
  if (sealed > 0) app.log.info({ sealed }, 'sealed secrets stored in clear under the master key');
  // The pools, clients, users ... the --config file declares (src/declarative/); a failing entry stops the start.
  if (config.configFile) await (await import('./declarative/load.ts')).applyConfigFile(app, config.configFile, { prune: config.prune === true });
}

/** What is said once per start: how to trust the local CA, the pools' functions that do not resolve. */
async function announce(app: App, tls: TlsMaterial | undefined): Promise<void> {
  if (tls?.ca) app.log.info({ caCert: tls.ca.certPath, caCreated: tls.ca.created }, trustInstructions(tls.ca.certPath));
  await warnUnresolvedFunctions({ pools: () => app.store.pools.all(), functions: app.functions, log: app.log }).catch((err) =>
    app.log.warn({ err }, "could not check the pools' Lambda functions"),
  );
}

/**
 * The start-up work of `tobira start --workers N`, done once in its primary before the workers
 * start (they run startTobira with clusterWorker): the store opened (and migrated), secrets
 * sealed, --config applied, the local CA made, its trust instructions and the functions check
 * said; then the store is closed again, for the primary serves nothing.
 */
export async function prepareStart(config: Config, log: Logger): Promise<void> {
  const app = createApp({ config, database: await openPostgres(config), log });
  try {
    await startupWork(app, config);
    if (config.tlsCert || config.tlsKey) config.https = true;
    await announce(app, await tlsMaterial(config));
  } finally {
    await app.functions.close();
    await app.store.db.close();
  }
}
