import type { FastifyInstance } from 'fastify';
import { createApp, type App, type AppOptions } from './app.ts';
import type { Config } from './config.ts';
import { buildServer } from './http/server.ts';
import './features.ts';

export interface Running {
  app: App;
  server: FastifyInstance;
  /** http://host:port of the bound listener. */
  url: string;
  close(): Promise<void>;
}

/** Opens the store, builds the server and listens. Port 0 picks a free port. */
export async function startTobira(config: Config, opts: Omit<AppOptions, 'config'> = {}): Promise<Running> {
  const app = createApp({ config, ...opts });
  const server = buildServer(app);
  await server.listen({ host: config.host, port: config.port });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  config.port = port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  let closed = false;
  return {
    app,
    server,
    url,
    async close() {
      if (closed) return;
      closed = true;
      // In-flight requests finish first; then the database is closed.
      await server.close();
      await app.store.db.close();
    },
  };
}
