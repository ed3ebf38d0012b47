import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { aws, startTestServer } from './helpers/tobira.ts';
import { curl, gatewayFor, OffsetClock, seedPoolAndUser, signIn, type SeedUser } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';
import { freePort } from './helpers/process.ts';
import type { Running } from '../src/tobira.ts';
import type { RunningGateway } from '../src/gateway/server.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** A trivial upstream API that records what reached it and answers with it. */
async function startUpstream(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body };
      seen.push(s);
      res.setHeader('x-upstream', 'yes');
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.statusCode = req.url!.startsWith('/created') ? 201 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(s));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}

const UNAUTHORIZED = '{"message":"Unauthorized"}';

describe('gateway in front of an upstream HTTP service', needs('aws', 'curl'), () => {
  let t: Running;
  let up: Awaited<ReturnType<typeof startUpstream>>;
  let gw: RunningGateway;
  let user: SeedUser;
  const clock = new OffsetClock();

  before(async () => {
    t = await startTestServer();
    up = await startUpstream();
    user = await seedPoolAndUser(t.url, { groups: ['admins', 'editors'] });
    gw = await gatewayFor(
      {
        endpoint: t.url,
        userPoolId: user.poolId,
        revocationCacheSeconds: 0,
        routes: [
          { route: 'ANY /{proxy+}', upstream: up.url },
          { route: 'GET /scoped/{id}', upstream: `${up.url}/items/{id}`, scopes: ['orders/read'] },
          { route: 'GET /admin/{proxy+}', upstream: `${up.url}/internal/{proxy}`, scopes: ['aws.cognito.signin.user.admin'], claimsHeader: 'x-user-claims' },
          { route: 'GET /public', upstream: up.url, authorizer: 'none' },
          { route: 'GET /own-header', upstream: up.url, tokenSource: 'X-Api-Token' },
          { route: 'GET /files/{name}', upstream: `${up.url}/files/{name}`, authorizer: 'none' },
          { route: 'ANY /api/{proxy+}', upstream: `${up.url}/v1/{proxy}`, authorizer: 'none' },
        ],
      },
      { clock },
    );
  });
  after(async () => {
    await gw?.close();
    await up?.close();
    await t?.close();
  });

  test('curl -X POST <gateway>/test/ with the ID token: method, path, query, headers and body reach the upstream, with the verified claims', async () => {
    const tokens = await signIn(t.url, user);
    const n = up.seen.length;
    const r = await curl([
      '-X', 'POST', `${gw.url}/test/?a=1&b=two%20words`,
      '-H', `Authorization: Bearer ${tokens.IdToken}`,
      '-H', 'content-type: application/json',
      '-H', 'x-custom: kept',
      // A client cannot hand the upstream claims of its own making.
      '-H', 'x-tobira-claims: {"sub":"forged"}',
      '--data', '{"order":7}',
    ]);
    assert.equal(r.status, 200, r.body);
    assert.equal(up.seen.length, n + 1);
    const seen = up.seen[up.seen.length - 1];
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/test/?a=1&b=two%20words');
    assert.equal(seen.body, '{"order":7}');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers.authorization, `Bearer ${tokens.IdToken}`);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.rawHeaders.filter((h) => h.toLowerCase() === 'x-tobira-claims').length, 1);
    const claims = JSON.parse(String(seen.headers['x-tobira-claims']));
    const id = JSON.parse(Buffer.from(tokens.IdToken.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, id.sub);
    assert.equal(claims.email, user.email);
    // The upstream gets the claims with their JSON types.
    assert.deepEqual(claims['cognito:groups'], ['admins', 'editors']);
    assert.equal(claims.email_verified, true);
    // The upstream's answer comes back as it was, plus API Gateway's request id.
    assert.equal(r.headers['x-upstream'], 'yes');
    assert.ok(r.headers['x-amzn-requestid']);
  });

  test('status, repeated headers and body of the upstream are passed back', async () => {
    const { IdToken } = await signIn(t.url, user);
    const res = await fetch(`${gw.url}/created/thing`, { method: 'PUT', headers: { authorization: IdToken }, body: 'x' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    assert.equal((await res.json()).method, 'PUT');
  });

  test('missing, tampered, expired and revoked tokens get 401 and never reach the upstream', async () => {
    const tokens = await signIn(t.url, user);
    const n = up.seen.length;
    const [h, p, s] = tokens.IdToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'someone-else' })).toString('base64url');
    const no = await curl([`${gw.url}/test/`]);
    const tampered = await curl([`${gw.url}/test/`, '-H', `Authorization: Bearer ${h}.${forged}.${s}`]);
    clock.offsetMs = 2 * 3600_000;
    const expired = await curl([`${gw.url}/test/`, '-H', `Authorization: Bearer ${tokens.IdToken}`]);
    clock.offsetMs = 0;
    const out = await aws(t.url, ['cognito-idp', 'global-sign-out', '--access-token', tokens.AccessToken]);
    assert.equal(out.code, 0, out.stderr);
    const revoked = await curl([`${gw.url}/test/`, '-H', `Authorization: Bearer ${tokens.IdToken}`]);
    for (const r of [no, tampered, expired, revoked]) {
      assert.equal(r.status, 401);
      assert.equal(r.body, UNAUTHORIZED);
      assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException');
    }
    assert.equal(up.seen.length, n, 'nothing reached the upstream');
    await new Promise((r) => setTimeout(r, 1100)); // past the sign-out's second
  });

  test('an access token without the route scope is refused (401); with it, path parameters fill the upstream URL', async () => {
    const { IdToken, AccessToken } = await signIn(t.url, user);
    const n = up.seen.length;
    const refused = await curl([`${gw.url}/scoped/9`, '-H', `Authorization: Bearer ${AccessToken}`]);
    assert.equal(refused.status, 401);
    assert.equal(refused.body, UNAUTHORIZED);
    assert.equal((await curl([`${gw.url}/admin/a/b`, '-H', `Authorization: Bearer ${IdToken}`])).status, 401);
    assert.equal(up.seen.length, n);

    const r = await curl([`${gw.url}/admin/reports/2024%20q1?x=1`, '-H', `Authorization: Bearer ${AccessToken}`]);
    assert.equal(r.status, 200, r.body);
    const seen = up.seen[up.seen.length - 1];
    assert.equal(seen.url, '/internal/reports/2024%20q1?x=1');
    assert.equal(JSON.parse(String(seen.headers['x-user-claims'])).scope, 'aws.cognito.signin.user.admin');
    assert.equal(seen.headers['x-tobira-claims'], undefined);
  });

  test('a route with its own token source header reads the token there, with or without "Bearer "', async () => {
    const { IdToken } = await signIn(t.url, user);
    const n = up.seen.length;
    const wrongHeader = await curl([`${gw.url}/own-header`, '-H', `Authorization: Bearer ${IdToken}`]);
    assert.equal(wrongHeader.status, 401);
    assert.equal(wrongHeader.body, UNAUTHORIZED);
    assert.equal(up.seen.length, n);
    assert.equal((await curl([`${gw.url}/own-header`, '-H', `X-Api-Token: ${IdToken}`])).status, 200);
    assert.equal((await curl([`${gw.url}/own-header`, '-H', `x-api-token: Bearer ${IdToken}`])).status, 200);
    assert.equal(up.seen.length, n + 2);
  });

  test('a route without an authorizer passes through, with no claims header even if the client sends one', async () => {
    const r = await curl([`${gw.url}/public`, '-H', 'x-tobira-claims: {"sub":"forged"}']);
    assert.equal(r.status, 200);
    assert.equal(up.seen[up.seen.length - 1].headers['x-tobira-claims'], undefined);
  });

  test('path parameters cannot climb out of the upstream path', async () => {
    const one = await curl(['--path-as-is', `${gw.url}/files/..%2Fsecret`]);
    assert.equal(one.status, 200);
    assert.equal(up.seen[up.seen.length - 1].url, '/files/..%2Fsecret');
    const ok = await curl([`${gw.url}/api/a/b`]);
    assert.equal(ok.status, 200);
    assert.equal(up.seen[up.seen.length - 1].url, '/v1/a/b');
    const n = up.seen.length;
    for (const path of ['/api/a/..%2F..%2Fsecret', '/api/../secret', '/api/%2e%2e/secret', '/files/..']) {
      const r = await curl(['--path-as-is', `${gw.url}${path}`]);
      assert.equal(r.status, 403, path);
      assert.equal(r.body, '{"message":"Missing Authentication Token"}');
    }
    assert.equal(up.seen.length, n, 'nothing reached the upstream');
  });

  test('an upstream that is down gives 502 {"message": "Internal server error"}', async () => {
    const port = await freePort();
    const down = await gatewayFor({ routes: [{ route: 'ANY /{proxy+}', upstream: `http://127.0.0.1:${port}`, authorizer: 'none' }] });
    try {
      const r = await curl([`${down.url}/x`]);
      assert.equal(r.status, 502);
      assert.equal(r.body, '{"message": "Internal server error"}');
    } finally {
      await down.close();
    }
  });
});
