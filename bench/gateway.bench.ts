// The gateway's overhead: authorized requests per second through `tobira gateway` (REST Cognito
// authorizer, ID token) in front of a trivial upstream, beside the upstream alone. Everything
// runs in this one process (load generator included), so compare the rows, not the absolutes.
import http from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../src/config.ts';
import { startTobira } from '../src/tobira.ts';
import { normalizeGatewayConfig } from '../src/gateway/config.ts';
import { startGateway } from '../src/gateway/server.ts';
import { fmt, idpCall as call, percentile } from './util.ts';

const REQUESTS = Number(process.env.BENCH_GATEWAY_REQUESTS ?? 4000);
const CONCURRENCY = 16;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

async function measure(label: string, url: string, headers: Record<string, string> = {}, expected = 200): Promise<void> {
  for (let i = 0; i < 200; i++) await get(url, headers); // warm-up: JIT, JWKS, keep-alive sockets
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < REQUESTS) {
        const t0 = performance.now();
        if ((await get(url, headers)) !== expected) failures++;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(52)} ${fmt(REQUESTS / seconds, 0).padStart(7)} req/s   p50 ${fmt(percentile(latencies, 50), 2)} ms   p99 ${fmt(percentile(latencies, 99), 2)} ms${failures ? `   (${failures} not ${expected}!)` : ''}`,
  );
}

export async function run(): Promise<void> {
  const tobira = await startTobira({ ...defaultConfig({}), port: 0, dataDir: null, logLevel: 'silent' });
  const upstream = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;

  const pool = (await call(tobira.url, 'CreateUserPool', { PoolName: 'bench' })).UserPool;
  const client = (await call(tobira.url, 'CreateUserPoolClient', { UserPoolId: pool.Id, ClientName: 'bench', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] })).UserPoolClient;
  await call(tobira.url, 'AdminCreateUser', { UserPoolId: pool.Id, Username: 'bench', MessageAction: 'SUPPRESS' });
  await call(tobira.url, 'AdminSetUserPassword', { UserPoolId: pool.Id, Username: 'bench', Password: 'Bench!Passw0rd', Permanent: true });
  const auth = await call(tobira.url, 'InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: client.ClientId, AuthParameters: { USERNAME: 'bench', PASSWORD: 'Bench!Passw0rd' } });
  const authorization = `Bearer ${auth.AuthenticationResult.IdToken}`;

  const log = pino({ level: 'silent' });
  const gateway = (extra: Record<string, unknown>) =>
    startGateway(
      normalizeGatewayConfig({ port: 0, endpoint: tobira.url, userPoolId: pool.Id, ...extra }, join(import.meta.dirname, '..', 'test')),
      { log },
    );
  const proxied = await gateway({ routes: [{ route: 'ANY /{proxy+}', upstream: upstreamUrl }] });
  const uncached = await gateway({ revocationCacheSeconds: 0, routes: [{ route: 'ANY /{proxy+}', upstream: upstreamUrl }] });
  const open = await gateway({ routes: [{ route: 'ANY /{proxy+}', upstream: upstreamUrl, authorizer: 'none' }] });
  const lambda = await gateway({ routes: [{ route: 'ANY /{proxy+}', lambda: 'fixtures/hello.mjs' }] });

  console.log(`${REQUESTS} GETs, ${CONCURRENCY} in flight, keep-alive, one process`);
  await measure('upstream alone', `${upstreamUrl}/items/1`);
  await measure('gateway, no authorizer -> upstream', `${open.url}/items/1`);
  await measure('gateway, Cognito authorizer (ID token) -> upstream', `${proxied.url}/items/1`, { authorization });
  await measure('  same, token status not cached (0 s)', `${uncached.url}/items/1`, { authorization });
  await measure('gateway, Cognito authorizer -> local Lambda', `${lambda.url}/test/`, { authorization });
  await measure('gateway, no token -> 401', `${proxied.url}/items/1`, {}, 401);

  for (const g of [proxied, uncached, open, lambda]) await g.close();
  agent.destroy();
  await new Promise<void>((r) => upstream.close(() => r()));
  await tobira.close();
}
