import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { gatewayFor, OffsetClock } from './helpers/gateway.ts';
import type { RunningGateway } from '../src/gateway/server.ts';

// The authorizer against a stand-in Tobira whose keys the test controls: tokens signed here with
// jose, a JWKS the test rotates, a token-status route that can mark tokens revoked.

const POOL = 'eu-west-1_TestPool1';
const CLIENT = 'client1111111111111111111';

interface FakeTobira {
  url: string;
  issuer: string;
  jwks: JWK[];
  fetches: { jwks: number; discovery: number; status: number };
  revoked: Set<string>;
  discovery: boolean;
  close(): Promise<void>;
}

async function startFakeTobira(): Promise<FakeTobira> {
  const f = {
    jwks: [] as JWK[],
    fetches: { jwks: 0, discovery: 0, status: 0 },
    revoked: new Set<string>(),
    discovery: true,
  } as FakeTobira;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === `/${POOL}/.well-known/jwks.json`) {
        f.fetches.jwks++;
        return res.end(JSON.stringify({ keys: f.jwks }));
      }
      if (req.url === `/${POOL}/.well-known/openid-configuration` && f.discovery) {
        f.fetches.discovery++;
        return res.end(JSON.stringify({ issuer: f.issuer }));
      }
      if (req.url === '/_tobira/token-status' && req.method === 'POST') {
        f.fetches.status++;
        return res.end(JSON.stringify({ active: !f.revoked.has(JSON.parse(body).token) }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  f.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  f.issuer = `${f.url}/${POOL}`;
  f.close = () => new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  return f;
}

async function newKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

type Key = Awaited<ReturnType<typeof newKey>>;

function sign(key: Key, claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ token_use: 'id', aud: CLIENT, sub: 'sub-1', iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ kid: key.kid, alg: 'RS256', ...header })
    .sign(key.privateKey);
}

const get = async (url: string, token?: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  return { status: res.status, headers: res.headers, body: await res.text() };
};

describe('REST Cognito authorizer against a JWKS the test controls', () => {
  let f: FakeTobira;
  let gw: RunningGateway;
  let keyA: Key;
  let keyB: Key;
  const clock = new OffsetClock();
  before(async () => {
    f = await startFakeTobira();
    keyA = await newKey('key-a');
    keyB = await newKey('key-b');
    f.jwks = [keyA.jwk];
    gw = await gatewayFor(
      {
        endpoint: f.url,
        userPoolId: POOL,
        revocationCacheSeconds: 5,
        routes: [
          { route: 'ANY /{proxy+}', lambda: 'fixtures/echo.mjs' },
          { route: 'GET /scoped', lambda: 'fixtures/echo.mjs', scopes: ['orders/read', 'orders/write'] },
        ],
      },
      { clock },
    );
  });
  after(async () => {
    await gw?.close();
    await f?.close();
  });

  test('a good ID token passes; claims are strings, groups comma-joined, exp/iat Java dates', async () => {
    const token = await sign(keyA, { iss: f.issuer, 'cognito:groups': ['a', 'b'], email_verified: false, 'custom:n': '5', iat: 1679420216, exp: 4102444800 });
    const r = await get(`${gw.url}/x`, token);
    assert.equal(r.status, 200, r.body);
    const claims = JSON.parse(r.body).requestContext.authorizer.claims;
    assert.equal(claims['cognito:groups'], 'a,b');
    assert.equal(claims.email_verified, 'false');
    assert.equal(claims['custom:n'], '5');
    assert.equal(claims.iat, 'Tue Mar 21 17:36:56 UTC 2023');
    assert.equal(claims.exp, 'Fri Jan 01 00:00:00 UTC 2100');
  });

  test('a kid published after the last fetch (keys rotate) is fetched at once, with no waiting interval', async () => {
    // The previous test fetched the JWKS a moment ago; a successful fetch holds nothing back.
    const keyC = await newKey('key-c');
    f.jwks = [keyA.jwk, keyC.jwk];
    const n = f.fetches.jwks;
    const r = await get(`${gw.url}/x`, await sign(keyC, { iss: f.issuer }));
    assert.equal(r.status, 200, r.body);
    assert.equal(f.fetches.jwks, n + 1);
    // The keys of the previous fetch keep verifying without a new fetch.
    assert.equal((await get(`${gw.url}/x`, await sign(keyA, { iss: f.issuer }))).status, 200);
    assert.equal(f.fetches.jwks, n + 1);
    f.jwks = [keyA.jwk];
  });

  test('a new kid refetches the JWKS (rotation), at most once per minimum interval', async () => {
    const first = f.fetches.jwks;
    const tokenB = await sign(keyB, { iss: f.issuer });
    // Not published yet: refused, and a second try within 10 s does not refetch.
    assert.equal((await get(`${gw.url}/x`, tokenB)).status, 401);
    const afterMiss = f.fetches.jwks;
    assert.ok(afterMiss <= first + 1);
    f.jwks = [keyA.jwk, keyB.jwk];
    assert.equal((await get(`${gw.url}/x`, tokenB)).status, 401, 'inside the minimum interval');
    assert.equal(f.fetches.jwks, afterMiss);
    clock.offsetMs = 11_000;
    try {
      assert.equal((await get(`${gw.url}/x`, tokenB)).status, 200, 'refetched after the interval');
      assert.equal(f.fetches.jwks, afterMiss + 1);
      // Known kids do not refetch.
      await get(`${gw.url}/x`, await sign(keyA, { iss: f.issuer }));
      assert.equal(f.fetches.jwks, afterMiss + 1);
    } finally {
      clock.offsetMs = 0;
    }
  });

  test('refused: wrong issuer, no exp, not yet valid, no kid, unknown kid, HS256 with the public key, token_use access without scopes', async () => {
    const { createSecretKey } = await import('node:crypto');
    const now = Math.floor(Date.now() / 1000);
    const hs = await new SignJWT({ token_use: 'id', iss: f.issuer, exp: now + 600 })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-a' })
      .sign(createSecretKey(Buffer.from(JSON.stringify(keyA.jwk))));
    const noKid = await new SignJWT({ token_use: 'id', iss: f.issuer, exp: now + 600 }).setProtectedHeader({ alg: 'RS256' }).sign(keyA.privateKey);
    const tokens = [
      await sign(keyA, { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }),
      await sign(keyA, { iss: `${f.url}/eu-west-1_Other` }),
      await sign(keyA, { iss: f.issuer, exp: undefined }),
      await sign(keyA, { iss: f.issuer, nbf: now + 600 }),
      await sign(keyA, { iss: f.issuer, exp: now - 1 }),
      await sign({ ...keyA, kid: 'nope' }, { iss: f.issuer }),
      await sign(keyA, { iss: f.issuer, token_use: 'access' }),
      await sign(keyA, { iss: f.issuer, token_use: undefined }),
      hs,
      noKid,
    ];
    for (const [i, token] of tokens.entries()) {
      const r = await get(`${gw.url}/x`, token);
      assert.equal(r.status, 401, `token ${i}`);
      assert.equal(r.body, '{"message":"Unauthorized"}');
    }
  });

  test('scoped routes: an access token needs one of the scopes; the ID token is refused', async () => {
    const access = (scope: string) => sign(keyA, { iss: f.issuer, token_use: 'access', aud: undefined, client_id: CLIENT, scope });
    assert.equal((await get(`${gw.url}/scoped`, await access('openid orders/write'))).status, 200);
    assert.equal((await get(`${gw.url}/scoped`, await access('openid email'))).status, 401);
    assert.equal((await get(`${gw.url}/scoped`, await sign(keyA, { iss: f.issuer, scope: 'orders/read' }))).status, 401);
  });

  test('revocation answers are asked once per token and kept for the cache time', async () => {
    const token = await sign(keyA, { iss: f.issuer, jti: 'rev-1' });
    const n = f.fetches.status;
    assert.equal((await get(`${gw.url}/x`, token)).status, 200);
    assert.equal((await get(`${gw.url}/x`, token)).status, 200);
    assert.equal(f.fetches.status, n + 1);
    f.revoked.add(token);
    assert.equal((await get(`${gw.url}/x`, token)).status, 200, 'still cached');
    clock.offsetMs = 6000;
    try {
      assert.equal((await get(`${gw.url}/x`, token)).status, 401);
    } finally {
      clock.offsetMs = 0;
    }
  });

  test('Tobira unreachable: keys already fetched keep verifying, but an unanswered revocation check is a 401', async (t) => {
    const other = await startFakeTobira();
    t.after(() => other.close());
    other.jwks = [keyA.jwk];
    const c = new OffsetClock();
    const route = { route: 'ANY /{proxy+}', lambda: 'fixtures/echo.mjs', issuer: f.issuer };
    const token = await sign(keyA, { iss: f.issuer });
    const lax = await gatewayFor({ endpoint: other.url, userPoolId: POOL, checkRevocation: false, routes: [route] }, { clock: c });
    const strict = await gatewayFor({ endpoint: other.url, userPoolId: POOL, revocationCacheSeconds: 0, routes: [route] }, { clock: c }).catch(async (e) => {
      await lax.close();
      throw e;
    });
    try {
      assert.equal((await get(`${lax.url}/x`, token)).status, 200);
      assert.equal((await get(`${strict.url}/x`, token)).status, 200);
      await other.close();
      c.offsetMs = 11 * 60_000; // the JWKS is stale and cannot be refetched
      assert.equal((await get(`${lax.url}/x`, token)).status, 200);
      const r = await get(`${strict.url}/x`, token);
      assert.equal(r.status, 401);
      assert.equal(r.body, '{"message":"Unauthorized"}');
    } finally {
      await lax.close();
      await strict.close();
    }
  });

  test('without an openid-configuration, both issuer forms of the pool are accepted', async () => {
    f.discovery = false;
    const g = await gatewayFor({ endpoint: f.url, userPoolId: POOL, routes: [{ route: 'ANY /{proxy+}', lambda: 'fixtures/echo.mjs' }] });
    try {
      assert.equal((await get(`${g.url}/x`, await sign(keyA, { iss: `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}` }))).status, 200);
      assert.equal((await get(`${g.url}/x`, await sign(keyA, { iss: f.issuer }))).status, 200);
      assert.equal((await get(`${g.url}/x`, await sign(keyA, { iss: 'https://evil.example/' + POOL }))).status, 401);
    } finally {
      f.discovery = true;
      await g.close();
    }
  });
});

describe('HTTP API JWT authorizer (apiType http, payload 2.0)', () => {
  let f: FakeTobira;
  let gw: RunningGateway;
  let key: Key;
  before(async () => {
    f = await startFakeTobira();
    key = await newKey('k1');
    f.jwks = [key.jwk];
    gw = await gatewayFor({
      apiType: 'http',
      endpoint: f.url,
      userPoolId: POOL,
      clientIds: [CLIENT],
      routes: [
        { route: 'GET /items/{id}', lambda: 'fixtures/echo.mjs' },
        { route: 'POST /orders', lambda: 'fixtures/echo.mjs', scopes: ['orders/write'] },
      ],
    });
  });
  after(async () => {
    await gw?.close();
    await f?.close();
  });

  test('claims in requestContext.authorizer.jwt: strings, arrays as "[a b]", scopes as a list', async () => {
    const token = await sign(key, { iss: f.issuer, token_use: 'access', aud: undefined, client_id: CLIENT, scope: 'openid orders/write', 'cognito:groups': ['a', 'b'] });
    const r = await get(`${gw.url}/items/7?x=1&x=2`, token, { cookie: 'c1=v1; c2=v2' });
    assert.equal(r.status, 200, r.body);
    assert.ok(r.headers.get('apigw-requestid'));
    const e = JSON.parse(r.body);
    assert.equal(e.version, '2.0');
    assert.equal(e.routeKey, 'GET /items/{id}');
    assert.equal(e.rawPath, '/items/7');
    assert.equal(e.rawQueryString, 'x=1&x=2');
    assert.deepEqual(e.queryStringParameters, { x: '1,2' });
    assert.deepEqual(e.pathParameters, { id: '7' });
    assert.deepEqual(e.cookies, ['c1=v1', 'c2=v2']);
    assert.equal(e.headers.cookie, undefined);
    assert.equal(e.requestContext.http.method, 'GET');
    // The rest of payload 2.0, key by key, as AWS's documented example has it.
    assert.deepEqual(Object.keys(e).sort(), ['cookies', 'headers', 'isBase64Encoded', 'pathParameters', 'queryStringParameters', 'rawPath', 'rawQueryString', 'requestContext', 'routeKey', 'version']);
    const c = e.requestContext;
    assert.deepEqual(Object.keys(c).sort(), ['accountId', 'apiId', 'authorizer', 'domainName', 'domainPrefix', 'http', 'requestId', 'routeKey', 'stage', 'time', 'timeEpoch']);
    assert.deepEqual(c.http, { method: 'GET', path: '/items/7', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'node' });
    assert.equal(c.requestId, r.headers.get('apigw-requestid'), 'an HTTP API request id is the short form, as in apigw-requestid');
    assert.equal(c.routeKey, 'GET /items/{id}');
    assert.equal(c.stage, '$default');
    assert.match(c.time, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    assert.ok(Math.abs(c.timeEpoch - Date.now()) < 5000, 'epoch milliseconds');
    assert.equal(e.isBase64Encoded, false);
    assert.equal(e.headers.authorization, `Bearer ${token}`);
    assert.equal(e.requestContext.authorizer.jwt.claims['cognito:groups'], '[a b]');
    assert.equal(typeof e.requestContext.authorizer.jwt.claims.exp, 'string');
    assert.deepEqual(e.requestContext.authorizer.jwt.scopes, ['openid', 'orders/write']);
  });

  test('audience: aud, or client_id when there is no aud, must be a configured client', async () => {
    assert.equal((await get(`${gw.url}/items/1`, await sign(key, { iss: f.issuer, aud: CLIENT }))).status, 200);
    const bad = await get(`${gw.url}/items/1`, await sign(key, { iss: f.issuer, aud: 'other' }));
    assert.equal(bad.status, 401);
    assert.equal(bad.body, '{"message":"Unauthorized"}');
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer scope="" error="invalid_token" error_description=".*audience/);
    // aud wins over client_id when both are there.
    assert.equal((await get(`${gw.url}/items/1`, await sign(key, { iss: f.issuer, aud: 'other', client_id: CLIENT }))).status, 401);
    assert.equal((await get(`${gw.url}/items/1`, await sign(key, { iss: f.issuer, aud: undefined, client_id: CLIENT }))).status, 200);
  });

  test('a valid token without the route scope: 403 Forbidden with insufficient_scope', async () => {
    const token = await sign(key, { iss: f.issuer, token_use: 'access', aud: undefined, client_id: CLIENT, scope: 'openid' });
    const res = await fetch(`${gw.url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403);
    assert.equal(await res.text(), '{"message":"Forbidden"}');
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  test('an unknown route is 404 {"message":"Not Found"}; no token is 401', async () => {
    const r = await get(`${gw.url}/nothing`);
    assert.equal(r.status, 404);
    assert.equal(r.body, '{"message":"Not Found"}');
    const m = await fetch(`${gw.url}/items/1`, { method: 'DELETE' });
    assert.equal(m.status, 404);
    const no = await get(`${gw.url}/items/1`);
    assert.equal(no.status, 401);
    assert.equal(no.body, '{"message":"Unauthorized"}');
  });
});
