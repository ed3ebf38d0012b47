import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aws, startTestServer } from './helpers/tobira.ts';
import { curl, gatewayFor, seedPoolAndUser, signIn, type CurlResult, type SeedUser } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';
import { freePort } from './helpers/process.ts';
import { signingKey } from '../src/domain/tokens/keys.ts';
import type { Running } from '../src/tobira.ts';
import type { RunningGateway } from '../src/gateway/server.ts';

// Odd requests, odd tokens, misbehaving Lambda handlers and upstreams thrown at a gateway in
// front of a real Tobira. Every answer must be one API Gateway gives (REST API with a Cognito
// authorizer): 401 {"message":"Unauthorized"}, 403 {"message":"Missing Authentication Token"},
// 502 {"message": "Internal server error"}, 504 {"message": "Endpoint request timed out"}, or the
// integration's own answer; never a crash, a hang or a 500 of the gateway's own, and the gateway
// keeps serving afterwards.

const UNAUTHORIZED = '{"message":"Unauthorized"}';
const MISSING = '{"message":"Missing Authentication Token"}';
const BAD_GATEWAY = '{"message": "Internal server error"}';
const TIMED_OUT = '{"message": "Endpoint request timed out"}';

// The handler runs in the gateway's worker thread and counts its calls here (fixtures/misbehaving.mjs).
const LAMBDA_LOG = join(mkdtempSync(join(tmpdir(), 'tobira-lambda-')), 'calls.log');
process.env.TOBIRA_TEST_LAMBDA_LOG = LAMBDA_LOG;
const echoCalls = () => (existsSync(LAMBDA_LOG) ? readFileSync(LAMBDA_LOG, 'utf8').split('\n').filter(Boolean).length : 0);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const decode = (jwt: string, i: 0 | 1) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString());

/** A compact JWS over any header and payload (JSON or raw text), RS256-signed when given a key. */
function forge(header: unknown, payload: unknown, key?: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${key ? sign('RSA-SHA256', Buffer.from(input), key).toString('base64url') : ''}`;
}

function expectRefused(r: CurlResult, what: string): void {
  assert.equal(r.status, 401, `${what}: ${r.body}`);
  assert.equal(r.body, UNAUTHORIZED, what);
  assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException', what);
}

function expectAnswer(r: CurlResult, status: number, body: string, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.body}`);
  assert.equal(r.body, body, what);
  assert.equal(r.headers['content-type'], 'application/json', what);
}

interface Upstream {
  url: string;
  seen: { url: string; headers: http.IncomingHttpHeaders; bodySha: string }[];
  close(): Promise<void>;
}

/** An upstream API that records what reached it, and misbehaves on a few paths. */
async function startUpstream(): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url!.split('?')[0];
      if (path === '/close-midway') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
        timers.add(setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      if (path === '/never') return; // headers never come
      if (path === '/trickle') {
        // A byte every 50 ms, for ever: only a deadline on the whole exchange ends it.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('.')), 50);
        timers.add(timer);
        return;
      }
      if (path === '/fails') {
        res.writeHead(500, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end('{"error":"upstream broke"}');
        return;
      }
      seen.push({ url: req.url!, headers: req.headers, bodySha: createHash('sha256').update(body).digest('hex') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, method: req.method, bodyLength: body.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearInterval(t);
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/**
 * Sends bytes as they are and returns whatever comes back before the server closes; with
 * `hangUpAfterMs`, the client goes away that long after sending.
 */
function rawRequest(url: string, request: string | Buffer, hangUpAfterMs = 10_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let out = '';
    socket.setTimeout(hangUpAfterMs, () => socket.destroy());
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.write(request);
  });
}

// Handlers of test/fixtures/misbehaving.mjs and what a REST API answers for each. A thrown error
// or an answer that is not {statusCode, headers, body: string} is 502 "Malformed Lambda proxy
// response" (knowledge center "malformed-502-api-gateway"; vincentsarago/lambda-proxy#59 shows an
// object body refused so).
const HANDLERS_502 = [
  'throws', 'throwsSync', 'throwsNull', 'rejectsUndefined', 'callbackError', 'contextFail',
  'returnsUndefined', 'returnsNull', 'returnsString', 'returnsNumber', 'returnsArray', 'noStatusCode',
  'statusFloat', 'statusNaN', 'statusNegative', 'status99', 'status600', 'status1000', 'statusWords', 'statusBool', 'statusObject',
  // A 1xx is never a final answer (RFC 9110 15.2): sent as one, the client would wait for ever.
  'status100', 'status101',
  'headersString', 'headersArray', 'multiValueNotList',
  'bodyObject', 'bodyNumber', 'bodyCircular', 'bodyBigint', 'getterThrows',
  // Headers that cannot be sent (a CR LF, a space in the name, characters beyond Latin-1): what AWS
  // does with them is not verified; Tobira answers as for a malformed response.
  'headerNewline', 'headerBadName', 'headerUnicode',
];
const HANDLERS_TIMEOUT = ['neverResolves', 'neverCallsBack'];
const HANDLERS_OK = ['statusString', 'status204', 'headerNumber', 'headerObject', 'headerContentLength', 'multiValue', 'base64Body', 'answersTwice'];

describe('gateway robustness: odd tokens, odd requests, misbehaving handlers and upstreams', needs('aws', 'curl'), () => {
  let t: Running;
  let gw: RunningGateway;
  let up: Upstream;
  let user: SeedUser;
  let tokens: { IdToken: string; AccessToken: string };
  let idKey: { kid: string; key: KeyObject };

  const get = (path: string, token: string | null, extra: string[] = []) =>
    curl([`${gw.url}${path}`, ...(token === null ? [] : ['-H', `Authorization: ${token}`]), ...extra]);

  /** The gateway still answers a plain, valid request. */
  async function assertServing(): Promise<void> {
    const r = await get('/test/still/there', `Bearer ${tokens.IdToken}`);
    assert.equal(r.status, 200, `the gateway stopped serving: ${r.status} ${r.body}`);
    assert.equal(JSON.parse(r.body).path, '/still/there');
  }

  before(async () => {
    t = await startTestServer();
    up = await startUpstream();
    user = await seedPoolAndUser(t.url, { groups: ['admins'] });
    // A Japanese name: every claims header and event must carry it unharmed.
    const named = await aws(t.url, [
      'cognito-idp', 'admin-update-user-attributes', '--user-pool-id', user.poolId, '--username', user.username,
      '--user-attributes', 'Name=name,Value=山田太郎',
    ]);
    assert.equal(named.code, 0, named.stderr);
    tokens = await signIn(t.url, user);
    idKey = await signingKey(t.app, user.poolId, 'id');
    const refused = await freePort();
    const handler = (name: string) => ({ route: `ANY /bad/${name}`, lambda: `fixtures/misbehaving.mjs#${name}`, timeoutSeconds: 0.5 });
    gw = await gatewayFor({
      endpoint: t.url,
      userPoolId: user.poolId,
      stage: 'test',
      routes: [
        { route: 'ANY /{proxy+}', lambda: 'fixtures/misbehaving.mjs#echoBody' },
        { route: 'GET /access', lambda: 'fixtures/misbehaving.mjs#echoBody', scopes: ['aws.cognito.signin.user.admin'] },
        { route: 'GET /this-client', lambda: 'fixtures/misbehaving.mjs#echoBody', clientIds: [user.clientId] },
        ...[...HANDLERS_502, ...HANDLERS_TIMEOUT, ...HANDLERS_OK].map(handler),
        { route: 'ANY /up/{proxy+}', upstream: `${up.url}/{proxy}`, timeoutSeconds: 1 },
        { route: 'ANY /open/{proxy+}', upstream: `${up.url}/{proxy}`, timeoutSeconds: 1, authorizer: 'none' },
        { route: 'ANY /down/{proxy+}', upstream: `http://127.0.0.1:${refused}/{proxy}` },
      ],
    });
  });
  after(async () => {
    await gw?.close();
    await up?.close();
    await t?.close();
  });

  test('Authorization header shapes: only one well-formed token gets through', async () => {
    const id = tokens.IdToken;
    const [h, p, s] = id.split('.');
    const n = echoCalls();
    const refusedShapes: [string, string[]][] = [
      ['no header', []],
      ['an empty header', ['-H', 'Authorization;']],
      ['"Bearer" alone', ['-H', 'Authorization: Bearer']],
      ['"Bearer" and spaces', ['-H', 'Authorization: Bearer      ']],
      ['two tokens', ['-H', `Authorization: Bearer ${id} ${id}`]],
      ['two tokens, comma-joined', ['-H', `Authorization: Bearer ${id},${id}`]],
      ['two segments', ['-H', `Authorization: Bearer ${h}.${p}`]],
      ['four segments', ['-H', `Authorization: Bearer ${id}.${s}`]],
      ['empty segments', ['-H', 'Authorization: Bearer ..']],
      ['non-base64url characters', ['-H', `Authorization: Bearer ${h}.${p}+/.${s}`]],
      ['Basic credentials', ['-H', 'Authorization: Basic dXNlcjpwYXNz']],
      ['"Bearer" twice', ['-H', `Authorization: Bearer Bearer ${id}`]],
      ['unicode', ['-H', `Authorization: Bearer ${h}.山田.${s}`]],
      ['a 14 KB token', ['-H', `Authorization: Bearer ${h}.${'A'.repeat(14_000)}.${s}`]],
      ['a token of another header', ['-H', `X-Token: ${id}`]],
    ];
    for (const [what, args] of refusedShapes) expectRefused(await curl([`${gw.url}/test/shape`, ...args]), what);
    assert.equal(echoCalls(), n, 'the handler never ran');

    // The bare token and `Bearer <token>` both pass (README); the auth-scheme is case-insensitive
    // (RFC 9110 11.1), so `bearer` does too, and spaces around the token do not count.
    for (const value of [id, `Bearer ${id}`, `bearer ${id}`, `BEARER    ${id}   `]) {
      const r = await get('/test/shape', value);
      assert.equal(r.status, 200, `${value.slice(0, 12)}: ${r.body}`);
    }
    await assertServing();
  });

  test('two Authorization headers are refused, whichever comes first', async () => {
    // The authorizer must check the very token the integration sees; with two, the Lambda event's
    // `headers` keeps the last and an upstream gets both, so neither is trusted.
    const forgedClaims = { ...decode(tokens.IdToken, 1), 'cognito:groups': ['root'] };
    const unsigned = forge({ alg: 'none' }, forgedClaims);
    for (const pair of [[tokens.IdToken, unsigned], [unsigned, tokens.IdToken], [tokens.IdToken, tokens.IdToken]]) {
      const r = await curl([`${gw.url}/test/two`, '-H', `Authorization: Bearer ${pair[0]}`, '-H', `Authorization: Bearer ${pair[1]}`]);
      expectRefused(r, 'two Authorization headers');
    }
    const up1 = await curl([`${gw.url}/test/up/two`, '-H', `Authorization: Bearer ${tokens.IdToken}`, '-H', `Authorization: ${unsigned}`]);
    expectRefused(up1, 'two Authorization headers to an upstream');
    await assertServing();
  });

  test('a 100 KB Authorization header: Node\'s 431, and the gateway keeps serving', async () => {
    // API Gateway takes at most 10 KB of request line and headers; what it answers past that is
    // not verified. The gateway's HTTP parser refuses past 16 KB with 431.
    const res = await fetch(`${gw.url}/test/huge`, { headers: { authorization: `Bearer ${'a'.repeat(100_000)}` } });
    assert.equal(res.status, 431);
    await res.arrayBuffer();
    await assertServing();
  });

  test('token headers that are not JSON objects, and algorithms and kids Cognito never uses', async () => {
    const payload = decode(tokens.IdToken, 1);
    const kid = idKey.kid;
    const { privateKey: ecKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const es256Input = `${b64({ alg: 'ES256', kid })}.${b64(payload)}`;
    const es256 = `${es256Input}.${sign('sha256', Buffer.from(es256Input), { key: ecKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    // HS256 keyed with the pool's public key: the classic algorithm-confusion forgery.
    const publicPem = createPublicKey(idKey.key).export({ format: 'pem', type: 'spki' });
    const hsInput = `${b64({ alg: 'HS256', kid })}.${b64(payload)}`;
    const hs256 = `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`;
    const n = echoCalls();
    const cases: [string, string][] = [
      ['header not JSON', forge('not json at all', payload, idKey.key)],
      ['header a JSON array', forge([{ alg: 'RS256', kid }], payload, idKey.key)],
      ['header a JSON number', forge(42, payload, idKey.key)],
      ['header JSON null', forge(null, payload, idKey.key)],
      ['alg none, no signature', forge({ alg: 'none', kid }, payload)],
      ['alg none with the real signature', `${b64({ alg: 'none', kid })}.${b64(payload)}.${tokens.IdToken.split('.')[2]}`],
      ['alg HS256 keyed with the public key', hs256],
      ['alg ES256', es256],
      ['alg missing', forge({ kid }, payload, idKey.key)],
      ['kid missing', forge({ alg: 'RS256' }, payload, idKey.key)],
      ['kid a number', forge({ alg: 'RS256', kid: 123 }, payload, idKey.key)],
      ['kid an object', forge({ alg: 'RS256', kid: { kid } }, payload, idKey.key)],
      ['kid empty', forge({ alg: 'RS256', kid: '' }, payload, idKey.key)],
      ['kid unknown', forge({ alg: 'RS256', kid: 'no-such-key' }, payload, idKey.key)],
      ['a critical header the verifier does not know', forge({ alg: 'RS256', kid, crit: ['x-unknown'], 'x-unknown': 1 }, payload, idKey.key)],
    ];
    for (const [what, token] of cases) expectRefused(await get('/test/alg', `Bearer ${token}`), what);
    assert.equal(echoCalls(), n, 'the handler never ran');
    await assertServing();
  });

  test('signed with the pool\'s own key, but with claims of the wrong types or values: 401', async () => {
    // These carry a good signature, so only the claim checks stand between them and the handler.
    const base = decode(tokens.IdToken, 1);
    const header = { kid: idKey.kid, alg: 'RS256' };
    const signed = (payload: unknown) => forge(header, payload, idKey.key);
    const { exp: _exp, ...noExp } = base;
    const now = Math.floor(Date.now() / 1000);
    const n = echoCalls();
    const cases: [string, string, string?][] = [
      ['payload not JSON', forge(header, 'not json', idKey.key)],
      ['payload a JSON array', signed([base])],
      ['payload a JSON number', signed(42)],
      ['payload JSON null', signed(null)],
      ['exp missing', signed(noExp)],
      ['exp a string', signed({ ...base, exp: String(base.exp) })],
      ['exp null (NaN in JSON)', signed({ ...base, exp: null })],
      ['exp past', signed({ ...base, exp: now - 60 })],
      ['nbf in the future', signed({ ...base, nbf: now + 3600 })],
      ['nbf a string', signed({ ...base, nbf: String(now) })],
      ['iss a number', signed({ ...base, iss: 42 })],
      ['iss a list', signed({ ...base, iss: [base.iss] })],
      ['iss another pool', signed({ ...base, iss: base.iss.replace(user.poolId, 'us-east-1_Other') })],
      ['token_use a list', signed({ ...base, token_use: ['id'] })],
      ['token_use a number', signed({ ...base, token_use: 1 })],
      ['token_use missing', signed({ ...base, token_use: undefined })],
      ['aud a list, on a route limited to the client', signed({ ...base, aud: [user.clientId] }), '/test/this-client'],
      ['aud a number, on a route limited to the client', signed({ ...base, aud: 7 }), '/test/this-client'],
    ];
    for (const [what, token, path] of cases) expectRefused(await get(path ?? '/test/claims', `Bearer ${token}`), what);
    assert.equal(echoCalls(), n, 'the handler never ran');
    await assertServing();
  });

  test('signed claims of odd types the authorizer does not check reach the handler as strings', async () => {
    const base = decode(tokens.IdToken, 1);
    const header = { kid: idKey.kid, alg: 'RS256' };
    const claimsOf = async (payload: Record<string, unknown>) => {
      const r = await get('/test/claims', `Bearer ${forge(header, payload, idKey.key)}`);
      assert.equal(r.status, 200, r.body);
      const claims = JSON.parse(r.body).claims as Record<string, unknown>;
      for (const [k, v] of Object.entries(claims)) assert.equal(typeof v, 'string', k);
      return claims as Record<string, string>;
    };
    // A REST authorizer hands every claim over as a string; groups comma-joined (README).
    assert.equal((await claimsOf({ ...base, 'cognito:groups': 'admins' }))['cognito:groups'], 'admins');
    assert.equal((await claimsOf({ ...base, 'cognito:groups': { admin: true } }))['cognito:groups'], '{"admin":true}');
    assert.equal((await claimsOf({ ...base, 'cognito:groups': 5 }))['cognito:groups'], '5');
    assert.equal((await claimsOf({ ...base, 'cognito:groups': null }))['cognito:groups'], undefined);
    assert.equal((await claimsOf({ ...base, 'cognito:groups': [['a'], 'b'] }))['cognito:groups'], '[["a"],"b"]');
    // An exp beyond any date JavaScript knows: still a string, never "undefined NaN ...".
    const far = await claimsOf({ ...base, exp: 1e300 });
    assert.doesNotMatch(far.exp, /undefined|NaN/);
    // A __proto__ claim is dropped, and pollutes nothing.
    const polluted = `{"__proto__":{"polluted":"yes"},${JSON.stringify(base).slice(1)}`;
    const r = await get('/test/claims', `Bearer ${forge(header, polluted, idKey.key)}`);
    assert.equal(r.status, 200, r.body);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(JSON.parse(r.body).claims.polluted, undefined);
    // The user's name, in Japanese, unharmed.
    assert.equal((await claimsOf(base)).name, '山田太郎');
    await assertServing();
  });

  test('an ID token where an access token is needed and the other way round: 401', async () => {
    expectRefused(await get('/test/access', `Bearer ${tokens.IdToken}`), 'ID token on a scoped route');
    expectRefused(await get('/test/anything', `Bearer ${tokens.AccessToken}`), 'access token on an ID-token route');
    const ok = await get('/test/access', `Bearer ${tokens.AccessToken}`);
    assert.equal(ok.status, 200, ok.body);
    await assertServing();
  });

  test('every HTTP method: API Gateway\'s seven reach the handler; others are 403 Missing Authentication Token', async () => {
    const auth = ['-H', `Authorization: Bearer ${tokens.IdToken}`];
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const r = await curl(['-X', method, `${gw.url}/test/m`, ...auth]);
      assert.equal(r.status, 200, `${method}: ${r.body}`);
      assert.equal(JSON.parse(r.body).method, method);
    }
    const head = await curl(['-I', `${gw.url}/test/m`, ...auth]);
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    // ANY means DELETE, GET, HEAD, OPTIONS, PATCH, POST and PUT (the CDK's HttpMethod); a method a
    // resource lacks is 403 Missing Authentication Token (tyhopp.com "AWS API Gateway gotchas").
    const n = echoCalls();
    for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'LINK']) {
      expectAnswer(await curl(['-X', method, `${gw.url}/test/m`, ...auth]), 403, MISSING, method);
      expectAnswer(await curl(['-X', method, `${gw.url}/test/up/m`, ...auth]), 403, MISSING, `${method} to an upstream`);
    }
    assert.equal(echoCalls(), n);
    // A method no HTTP parser knows, and CONNECT: the connection is refused or closed; no crash.
    assert.match(await rawRequest(gw.url, 'FOO /test/m HTTP/1.1\r\nHost: x\r\n\r\n'), /^(HTTP\/1\.1 400 |$)/);
    assert.equal(await rawRequest(gw.url, 'CONNECT /test/m HTTP/1.1\r\nHost: x\r\n\r\n'), '');
    await assertServing();
  });

  test('odd request targets and paths', async () => {
    const auth = ['-H', `Authorization: Bearer ${tokens.IdToken}`];
    const call = (path: string) => curl(['--path-as-is', `${gw.url}${path}`, ...auth]);
    // `/prod//orders` reaches `/orders` on AWS (localstack#11253, #11304); requestContext.path keeps the slashes.
    const dbl = await call('/test//x');
    assert.equal(dbl.status, 200, dbl.body);
    assert.deepEqual(JSON.parse(dbl.body).pathParameters, { proxy: 'x' });
    assert.equal(JSON.parse(dbl.body).path, '/x');
    assert.equal(JSON.parse(dbl.body).contextPath, '/test//x');
    // Dot segments and encoded slashes reach a Lambda decoded in pathParameters, as received in path.
    const dots = await call('/test/%2e%2e/x');
    assert.equal(dots.status, 200, dots.body);
    assert.equal(JSON.parse(dots.body).pathParameters.proxy, '../x');
    assert.equal(JSON.parse(dots.body).path, '/%2e%2e/x');
    const slash = await call('/test/a%2Fb');
    assert.equal(slash.status, 200, slash.body);
    assert.equal(JSON.parse(slash.body).pathParameters.proxy, 'a/b');
    const badEscape = await call('/test/100%zz');
    assert.equal(badEscape.status, 200, badEscape.body);
    assert.equal(JSON.parse(badEscape.body).pathParameters.proxy, '100%zz');
    // Outside the stage, `OPTIONS *`, a proxy-style absolute target: no resource of the API.
    for (const path of ['/', '/test', '/tes', '/testing/x']) expectAnswer(await call(path), 403, MISSING, path);
    const star = await rawRequest(gw.url, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(star, /^HTTP\/1\.1 403 /);
    assert.ok(star.endsWith(MISSING), star);
    const absolute = await curl(['--request-target', `http://elsewhere.example/test/x`, `${gw.url}/`, ...auth]);
    expectAnswer(absolute, 403, MISSING, 'absolute-form target');
    // A long path reaches the handler; one past the parser's header limit is refused by it (431).
    const long = await call(`/test/${'a'.repeat(4000)}`);
    assert.equal(long.status, 200);
    assert.equal(JSON.parse(long.body).pathParameters.proxy.length, 4000);
    assert.match(await rawRequest(gw.url, `GET /test/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 431 /);
    // Repeated keys and keys without values: the last value in queryStringParameters, all in the multi map.
    const q = await call('/test/q?a=1&a=2&b&&=&c=&a');
    assert.equal(q.status, 200, q.body);
    const qe = JSON.parse(q.body);
    assert.equal(qe.query.a, '');
    assert.deepEqual(qe.multiQuery.a, ['1', '2', '']);
    assert.deepEqual(qe.multiQuery.b, ['']);
    assert.deepEqual(qe.multiQuery.c, ['']);
    // Empty segments inside the path: AWS's routing of these is not verified; no 5xx, no crash.
    for (const path of ['/test/a//b', '/test/a/', '/test/a/./b', '/test/?', '/test/#frag', '/test/%00', '/test/%']) {
      const r = await call(path);
      assert.ok(r.status === 200 || r.status === 403, `${path}: ${r.status} ${r.body}`);
    }
    await assertServing();
  });

  test('bodies and headers: large, binary, repeated', async () => {
    const auth = { authorization: `Bearer ${tokens.IdToken}` };
    const big = randomBytes(5 * 1024 * 1024);
    const sha = createHash('sha256').update(big).digest('hex');
    // To a Lambda: binary content types arrive base64-encoded (isBase64Encoded), byte for byte.
    const toLambda = await fetch(`${gw.url}/test/big`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: big });
    assert.equal(toLambda.status, 200);
    const seen = await toLambda.json();
    assert.equal(seen.isBase64Encoded, true);
    assert.equal(seen.bodyLength, big.length);
    assert.equal(seen.bodySha, sha);
    // To an upstream: the same bytes.
    const toUpstream = await fetch(`${gw.url}/test/up/big`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: big });
    assert.equal(toUpstream.status, 200);
    assert.equal((await toUpstream.json()).bodyLength, big.length);
    assert.equal(up.seen[up.seen.length - 1].bodySha, sha);
    // A body on GET.
    const getBody = await curl(['-X', 'GET', `${gw.url}/test/g`, '-H', `Authorization: Bearer ${tokens.IdToken}`, '--data-binary', 'body on a GET']);
    assert.equal(getBody.status, 200);
    assert.equal(JSON.parse(getBody.body).bodyLength, 13);
    // Repeated headers: all values in multiValueHeaders, the last in headers.
    const rep = await curl([
      `${gw.url}/test/h`, '-H', `Authorization: Bearer ${tokens.IdToken}`,
      '-H', 'X-Rep: 1', '-H', 'X-Rep: 2', '-H', 'Cookie: a=1', '-H', 'Cookie: b=2', '-H', 'X-Empty;',
    ]);
    assert.equal(rep.status, 200, rep.body);
    const e = JSON.parse(rep.body);
    assert.deepEqual(e.multiHeaders['X-Rep'], ['1', '2']);
    assert.deepEqual(e.multiHeaders.Cookie, ['a=1', 'b=2']);
    assert.equal(e.headers['X-Empty'], '');
    // A body cut short by a client that goes away, and a malformed request: no crash.
    await rawRequest(gw.url, `POST /test/cut HTTP/1.1\r\nHost: x\r\nAuthorization: ${tokens.IdToken}\r\nContent-Length: 100\r\n\r\nabc`, 100);
    assert.match(await rawRequest(gw.url, 'GET /test/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'), /^HTTP\/1\.1 400 /);
    await assertServing();
  });

  test('Lambda handlers that throw or answer badly: 502 {"message": "Internal server error"}', async () => {
    for (const name of HANDLERS_502) expectAnswer(await get(`/test/bad/${name}`, tokens.IdToken), 502, BAD_GATEWAY, name);
    await assertServing();
  });

  test('a Lambda handler that never answers: 504 after the route\'s timeoutSeconds', async () => {
    // Past the integration timeout API Gateway answers 504 (knowledge center "api-gateway-504-errors").
    for (const name of HANDLERS_TIMEOUT) expectAnswer(await get(`/test/bad/${name}`, tokens.IdToken), 504, TIMED_OUT, name);
    await assertServing();
  });

  test('Lambda answers API Gateway accepts, odd as they are', async () => {
    const call = (name: string) => get(`/test/bad/${name}`, tokens.IdToken);
    // A statusCode given as a string of digits (vincentsarago/lambda-proxy#59).
    assert.equal((await call('statusString')).status, 201);
    const noContent = await call('status204');
    assert.equal(noContent.status, 204);
    assert.equal(noContent.body, '');
    // Header values that are numbers or booleans become their text (serverless's CORS examples
    // return `'Access-Control-Allow-Credentials': true`); null is left out.
    const num = await call('headerNumber');
    assert.equal(num.status, 200);
    assert.equal(num.headers['x-num'], '5');
    assert.equal(num.headers['x-bool'], 'true');
    assert.equal(num.headers['x-null'], undefined);
    assert.equal((await call('headerObject')).status, 200);
    // Content-Length and Transfer-Encoding are the gateway's to set.
    const cl = await call('headerContentLength');
    assert.equal(cl.status, 200);
    assert.equal(cl.body, 'short');
    // headers and multiValueHeaders merge; a name in both takes the lists' values (AWS's Lambda
    // proxy output format, "set-up-lambda-proxy-integrations").
    const mv = await fetch(`${gw.url}/test/bad/multiValue`, { headers: { authorization: tokens.IdToken } });
    assert.equal(mv.status, 200);
    assert.deepEqual(mv.headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(mv.headers.get('x-both'), 'm1, m2');
    assert.equal(mv.headers.get('x-single'), 'one');
    await mv.arrayBuffer();
    const bin = await fetch(`${gw.url}/test/bad/base64Body`, { headers: { authorization: tokens.IdToken } });
    assert.equal(bin.status, 200);
    assert.deepEqual([...Buffer.from(await bin.arrayBuffer())], [0, 1, 2, 253, 254, 255]);
    // The first answer wins.
    const twice = await call('answersTwice');
    assert.equal(twice.status, 200);
    assert.equal(twice.body, 'first');
    await assertServing();
  });

  test('upstream misbehaviour: refused, cut off, silent, trickling, failing', async () => {
    const auth = `Bearer ${tokens.IdToken}`;
    // Connection refused and a connection closed mid-answer: 502, as for an upstream that is down (README).
    expectAnswer(await get('/test/down/x', auth), 502, BAD_GATEWAY, 'connection refused');
    expectAnswer(await get('/test/open/close-midway', null), 502, BAD_GATEWAY, 'closed mid-answer');
    // No answer within the route's timeoutSeconds, or an answer that never ends: 504.
    expectAnswer(await get('/test/open/never', null), 504, TIMED_OUT, 'no answer');
    expectAnswer(await get('/test/open/trickle', null), 504, TIMED_OUT, 'an answer that never ends');
    // An upstream's own 500 is its answer, passed through, behind the authorizer too.
    const failing = await get('/test/up/fails', auth);
    assert.equal(failing.status, 500);
    assert.equal(failing.body, '{"error":"upstream broke"}');
    assert.equal(failing.headers['x-upstream'], 'yes');
    await assertServing();
  });

  test('claims with non-ASCII values reach an upstream, as JSON it can parse', async () => {
    const r = await get('/test/up/me', `Bearer ${tokens.IdToken}`);
    assert.equal(r.status, 200, r.body);
    const claims = JSON.parse(String(up.seen[up.seen.length - 1].headers['x-tobira-claims']));
    assert.equal(claims.name, '山田太郎');
    assert.equal(claims.sub, decode(tokens.IdToken, 1).sub);
    await assertServing();
  });
});

describe('gateway robustness, HTTP API (payload 2.0)', needs('curl'), () => {
  let gw: RunningGateway;
  before(async () => {
    const handler = (name: string) => ({ route: `ANY /${name}`, lambda: `fixtures/misbehaving.mjs#${name}`, authorizer: 'none', timeoutSeconds: 0.5 });
    gw = await gatewayFor({ apiType: 'http', routes: ['throwsNull', 'throws', 'status100', 'status101', 'neverResolves', 'returnsString', 'noStatusCode'].map(handler) });
  });
  after(() => gw?.close());

  test('a handler that fails is 500, one that never answers 503; a bare value is a 200 body', async () => {
    // HTTP APIs: 500 Internal Server Error for a failed integration, 503 past its timeout.
    for (const name of ['throwsNull', 'throws', 'status100', 'status101']) {
      expectAnswer(await curl([`${gw.url}/${name}`]), 500, '{"message":"Internal Server Error"}', name);
    }
    expectAnswer(await curl([`${gw.url}/neverResolves`]), 503, '{"message":"Service Unavailable"}', 'neverResolves');
    // Without statusCode, payload 2.0 sends the value itself with 200 (AWS's "http-api-develop-integrations-lambda").
    const s = await curl([`${gw.url}/returnsString`]);
    assert.equal(s.status, 200);
    assert.equal(s.body, 'just a string');
    const o = await curl([`${gw.url}/noStatusCode`]);
    assert.equal(o.status, 200);
    assert.deepEqual(JSON.parse(o.body), { body: 'no status' });
  });
});
