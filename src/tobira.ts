import type { FastifyInstance } from 'fastify';
import { createApp, type App, type AppOptions } from './app.ts';
import type { Config } from './config.ts';
import { buildServer } from './http/server.ts';
import { tlsMaterial, trustInstructions } from './http/tls.ts';
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

/** Opens the store, builds the server and listens. Port 0 picks a free port. */
export async function startTobira(config: Config, opts: Omit<AppOptions, 'config'> = {}): Promise<Running> {
  // PostgreSQL opens asynchronously, so it is opened here rather than in createApp.
  const database = opts.database ?? (config.databaseUrl ? await (await import('./store/postgres.ts')).PostgresDatabase.open(config.databaseUrl) : undefined);
  const app = createApp({ config, ...opts, database });
  try {
    const sealed = await app.store.prepareSecrets();
    if (sealed > 0) app.log.info({ sealed }, 'sealed secrets stored in clear under the master key');
  } catch (err) {
    await app.store.db.close();
    throw err;
  }
  // The pools, clients, users ... the --config file declares (src/declarative/); a failing entry stops the start.
  if (config.configFile) {
    try {
      await (await import('./declarative/load.ts')).applyConfigFile(app, config.configFile, { prune: config.prune === true });
    } catch (err) {
      await app.functions.close();
      await app.store.db.close();
      throw err;
    }
  }
  // HTTPS (http/tls.ts): made before listening, so that a bad certificate stops the start.
  if (config.tlsCert || config.tlsKey) config.https = true;
  const tls = await tlsMaterial(config).catch(async (err) => {
    await app.functions.close();
    await app.store.db.close();
    throw err;
  });
  const server = buildServer(app, tls);
  await server.listen({ host: config.host, port: config.port });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  config.port = port;
  const url = `${tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (tls?.ca) app.log.info({ caCert: tls.ca.certPath, caCreated: tls.ca.created }, trustInstructions(tls.ca.certPath));
  await warnUnresolvedFunctions({ pools: () => app.store.pools.all(), functions: app.functions, log: app.log }).catch((err) =>
    app.log.warn({ err }, "could not check the pools' Lambda functions"),
  );
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
