import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aws, startTestServer } from './helpers/tobira.ts';
import { curl, gatewayFor, OffsetClock, seedPoolAndUser, signIn, type SeedUser } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';
import type { RunningGateway } from '../src/gateway/server.ts';

// The handler runs in the gateway's worker thread and writes what it saw here (fixtures/hello.mjs).
const LAMBDA_LOG = join(mkdtempSync(join(tmpdir(), 'tobira-lambda-')), 'events.jsonl');
process.env.TOBIRA_TEST_LAMBDA_LOG = LAMBDA_LOG;
const events = () =>
  (existsSync(LAMBDA_LOG) ? readFileSync(LAMBDA_LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []) as { event: any; context: any }[];
const lastEvent = () => events()[events().length - 1].event;
const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const UNAUTHORIZED = '{"message":"Unauthorized"}';

describe('seed 004: API Gateway with a Cognito authorizer in front of a local Lambda', needs('aws', 'curl'), () => {
  let t: Running;
  let gw: RunningGateway;
  let user: SeedUser;
  const clock = new OffsetClock();

  before(async () => {
    t = await startTestServer();
    user = await seedPoolAndUser(t.url, { groups: ['admins', 'editors'] });
    gw = await gatewayFor(
      {
        endpoint: t.url,
        userPoolId: user.poolId,
        stage: 'test',
        // Revocation answers are not reused here, so a sign-out shows on the next request.
        revocationCacheSeconds: 0,
        routes: [
          { route: 'ANY /', lambda: 'fixtures/hello.mjs#handler' },
          { route: 'ANY /{proxy+}', lambda: 'fixtures/hello.mjs' },
          { route: 'GET /orders', lambda: 'fixtures/hello.mjs', scopes: ['orders/read'] },
          { route: 'GET /me', lambda: 'fixtures/hello.mjs', scopes: ['orders/read', 'aws.cognito.signin.user.admin'] },
          { route: 'GET /other-client', lambda: 'fixtures/hello.mjs', clientIds: ['someotherclient0000000000'] },
          { route: 'GET /this-client', lambda: 'fixtures/hello.mjs', clientIds: [user.clientId] },
        ],
      },
      { clock },
    );
  });
  after(async () => {
    await gw?.close();
    await t?.close();
  });

  test('curl -X POST <gateway>/test/ with the ID token reaches the Lambda, which sees sub, email and groups', async () => {
    const tokens = await signIn(t.url, user);
    const before = events().length;
    const r = await curl(['-X', 'POST', `${gw.url}/test/`, '-H', `Authorization: Bearer ${tokens.IdToken}`]);
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body), 'Hello from Lambda!');
    assert.match(r.headers['x-amzn-requestid'], /^[0-9a-f-]{36}$/);
    assert.equal(events().length, before + 1);

    const e = lastEvent();
    const id = payload(tokens.IdToken);
    assert.equal(e.httpMethod, 'POST');
    assert.equal(e.resource, '/');
    assert.equal(e.requestContext.path, '/test/');
    assert.equal(e.requestContext.stage, 'test');
    assert.equal(e.headers.Authorization, `Bearer ${tokens.IdToken}`);
    const claims = e.requestContext.authorizer.claims;
    assert.equal(claims.sub, id.sub);
    assert.equal(claims.email, user.email);
    assert.equal(claims['cognito:username'], user.username);
    assert.equal(claims['cognito:groups'], 'admins,editors');
    assert.equal(claims.token_use, 'id');
    assert.equal(claims.aud, user.clientId);
    // Every value a string, as API Gateway passes them; exp/iat as Java dates.
    for (const v of Object.values(claims)) assert.equal(typeof v, 'string');
    assert.equal(claims.email_verified, 'true');
    assert.equal(claims.auth_time, String(id.auth_time));
    assert.match(claims.exp, /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}$/);
    assert.equal(new Date(claims.exp.replace(' UTC', '') + ' UTC').getTime() / 1000, id.exp);
    const ctx = events()[events().length - 1].context;
    assert.equal(ctx.functionName, 'hello');
    assert.ok(ctx.remaining > 0 && ctx.remaining <= 29_000);
  });

  test('the raw token without "Bearer " is accepted too; the greedy route gets its path parameter', async () => {
    const { IdToken } = await signIn(t.url, user);
    const r = await curl([`${gw.url}/test/items/42?color=red&color=blue`, '-H', `Authorization: ${IdToken}`]);
    assert.equal(r.status, 200, r.body);
    const e = lastEvent();
    assert.equal(e.resource, '/{proxy+}');
    assert.equal(e.path, '/items/42');
    assert.deepEqual(e.pathParameters, { proxy: 'items/42' });
    assert.deepEqual(e.queryStringParameters, { color: 'blue' });
    assert.deepEqual(e.multiValueQueryStringParameters, { color: ['red', 'blue'] });
  });

  test('the REST proxy event (1.0), field by field, in the shape of AWS\'s documented examples', async () => {
    const { IdToken } = await signIn(t.url, user);
    const started = Date.now();
    const r = await curl([
      '-X', 'PUT', `${gw.url}/test/items/42?color=red&color=blue&flag`, '-H', `Authorization: Bearer ${IdToken}`,
      '-H', 'X-Thing: one', '-H', 'X-Thing: two', '-H', 'Content-Type: application/json', '-A', 'curl-seed/1.0', '--data', '{"n":1}',
    ]);
    assert.equal(r.status, 200, r.body);
    const e = lastEvent();
    assert.deepEqual(Object.keys(e).sort(), [
      'body', 'headers', 'httpMethod', 'isBase64Encoded', 'multiValueHeaders', 'multiValueQueryStringParameters',
      'path', 'pathParameters', 'queryStringParameters', 'requestContext', 'resource', 'stageVariables',
    ]);
    assert.equal(e.resource, '/{proxy+}');
    assert.equal(e.path, '/items/42', 'the resource path, without the stage');
    assert.equal(e.httpMethod, 'PUT');
    // Header names as the client wrote them; `headers` keeps the last value, multiValueHeaders all.
    assert.equal(e.headers['X-Thing'], 'two');
    assert.deepEqual(e.multiValueHeaders['X-Thing'], ['one', 'two']);
    assert.equal(e.headers['User-Agent'], 'curl-seed/1.0');
    assert.equal(e.headers.Host, new URL(gw.url).host);
    assert.deepEqual(e.queryStringParameters, { color: 'blue', flag: '' });
    assert.deepEqual(e.multiValueQueryStringParameters, { color: ['red', 'blue'], flag: [''] });
    assert.deepEqual(e.pathParameters, { proxy: 'items/42' });
    assert.equal(e.stageVariables, null);
    assert.equal(e.body, '{"n":1}');
    assert.equal(e.isBase64Encoded, false);

    const c = e.requestContext;
    assert.match(c.accountId, /^\d{12}$/);
    assert.match(c.apiId, /^[a-z0-9]+$/);
    assert.deepEqual(Object.keys(c.authorizer), ['claims']);
    assert.equal(c.authorizer.claims.email, user.email);
    assert.equal(c.domainName, '127.0.0.1');
    assert.equal(c.httpMethod, 'PUT');
    assert.equal(c.identity.sourceIp, '127.0.0.1');
    assert.equal(c.identity.userAgent, 'curl-seed/1.0');
    for (const k of ['cognitoIdentityPoolId', 'accountId', 'cognitoIdentityId', 'caller', 'accessKey', 'cognitoAuthenticationType', 'cognitoAuthenticationProvider', 'userArn', 'user']) {
      assert.equal(c.identity[k], null, k);
    }
    assert.equal(c.path, '/test/items/42', 'requestContext.path keeps the stage');
    assert.equal(c.protocol, 'HTTP/1.1');
    assert.match(c.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(c.requestId, r.headers['x-amzn-requestid']);
    assert.match(c.extendedRequestId, /^[A-Za-z0-9+/]{15}=$/);
    assert.equal(c.extendedRequestId, r.headers['x-amz-apigw-id']);
    assert.match(c.requestTime, /^\d\d\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    assert.equal(typeof c.requestTimeEpoch, 'number');
    assert.ok(c.requestTimeEpoch >= started - 1000 && c.requestTimeEpoch <= Date.now(), 'epoch milliseconds');
    assert.match(c.resourceId, /^[a-z0-9]{6}$/);
    assert.equal(c.resourcePath, '/{proxy+}');
    assert.equal(c.stage, 'test');
    // Another resource has another id; the same resource keeps its id.
    await curl([`${gw.url}/test/`, '-H', `Authorization: Bearer ${IdToken}`]);
    const root = lastEvent();
    assert.notEqual(root.requestContext.resourceId, c.resourceId);
    assert.equal(root.requestContext.resourcePath, '/');
    assert.equal(root.path, '/');
    assert.equal(root.body, null);
    assert.equal(root.queryStringParameters, null);
    assert.equal(root.multiValueQueryStringParameters, null);
    assert.equal(root.pathParameters, null);
    await curl([`${gw.url}/test/items/7`, '-H', `Authorization: Bearer ${IdToken}`]);
    assert.equal(lastEvent().requestContext.resourceId, c.resourceId);
  });

  test('a missing, empty or malformed token gets 401 {"message":"Unauthorized"}', async () => {
    const before = events().length;
    for (const header of [[], ['-H', 'Authorization;'], ['-H', 'Authorization: Bearer '], ['-H', 'Authorization: Bearer not.a.jwt!'], ['-H', 'Authorization: Basic dXNlcjpwYXNz']]) {
      const r = await curl(['-X', 'POST', `${gw.url}/test/`, ...header]);
      assert.equal(r.status, 401, String(header));
      assert.equal(r.body, UNAUTHORIZED);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException');
      assert.ok(r.headers['x-amzn-requestid']);
    }
    assert.equal(events().length, before, 'the Lambda never ran');
  });

  test('a tampered token gets 401: changed claims, changed signature, alg none', async () => {
    const { IdToken } = await signIn(t.url, user);
    const [h, p, s] = IdToken.split('.');
    const claims = payload(IdToken);
    const forged = Buffer.from(JSON.stringify({ ...claims, 'cognito:groups': ['root'] })).toString('base64url');
    const badSig = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: JSON.parse(Buffer.from(h, 'base64url').toString()).kid })).toString('base64url');
    for (const token of [`${h}.${forged}.${s}`, `${h}.${p}.${badSig}`, `${none}.${p}.`, `${none}.${p}.${s}`]) {
      const r = await curl(['-X', 'POST', `${gw.url}/test/`, '-H', `Authorization: Bearer ${token}`]);
      assert.equal(r.status, 401);
      assert.equal(r.body, UNAUTHORIZED);
    }
  });

  test('an expired token gets 401', async () => {
    const { IdToken } = await signIn(t.url, user);
    const ok = await curl([`${gw.url}/test/x`, '-H', `Authorization: Bearer ${IdToken}`]);
    assert.equal(ok.status, 200);
    clock.offsetMs = 61 * 60_000; // the pool client's ID tokens last 60 minutes
    try {
      const r = await curl([`${gw.url}/test/x`, '-H', `Authorization: Bearer ${IdToken}`]);
      assert.equal(r.status, 401);
      assert.equal(r.body, UNAUTHORIZED);
    } finally {
      clock.offsetMs = 0;
    }
  });

  test('GlobalSignOut (AWS CLI) revokes the tokens: the next call gets 401; a new sign-in works', async () => {
    const tokens = await signIn(t.url, user);
    const ok = await curl(['-X', 'POST', `${gw.url}/test/`, '-H', `Authorization: Bearer ${tokens.IdToken}`]);
    assert.equal(ok.status, 200);
    const out = await aws(t.url, ['cognito-idp', 'global-sign-out', '--access-token', tokens.AccessToken]);
    assert.equal(out.code, 0, out.stderr);
    const r = await curl(['-X', 'POST', `${gw.url}/test/`, '-H', `Authorization: Bearer ${tokens.IdToken}`]);
    assert.equal(r.status, 401);
    assert.equal(r.body, UNAUTHORIZED);
    const me = await curl([`${gw.url}/test/me`, '-H', `Authorization: Bearer ${tokens.AccessToken}`]);
    assert.equal(me.status, 401, 'the access token is revoked too');

    // GlobalSignOut cuts at the start of its second: a sign-in in that same second would be
    // revoked too, so wait for the next one.
    await new Promise((r) => setTimeout(r, 1100));
    const again = await signIn(t.url, user);
    const r2 = await curl(['-X', 'POST', `${gw.url}/test/`, '-H', `Authorization: Bearer ${again.IdToken}`]);
    assert.equal(r2.status, 200);
  });

  test('RevokeToken (AWS CLI) on the refresh token revokes the ID and access tokens of that sign-in only', async () => {
    const a = await signIn(t.url, user);
    const b = await signIn(t.url, user);
    const out = await aws(t.url, ['cognito-idp', 'revoke-token', '--token', a.RefreshToken, '--client-id', user.clientId]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal((await curl([`${gw.url}/test/x`, '-H', `Authorization: Bearer ${a.IdToken}`])).status, 401);
    assert.equal((await curl([`${gw.url}/test/me`, '-H', `Authorization: Bearer ${a.AccessToken}`])).status, 401);
    assert.equal((await curl([`${gw.url}/test/x`, '-H', `Authorization: Bearer ${b.IdToken}`])).status, 200);
  });

  test('routes without scopes want the ID token; routes with scopes want an access token holding one of them', async () => {
    const { IdToken, AccessToken } = await signIn(t.url, user);
    const call = async (path: string, token: string) => curl([`${gw.url}/test${path}`, '-H', `Authorization: Bearer ${token}`]);
    // The access token on an ID-token route: refused.
    assert.equal((await call('/x', AccessToken)).status, 401);
    // The ID token on a scoped route: refused.
    assert.equal((await call('/me', IdToken)).status, 401);
    // An API-issued access token holds only aws.cognito.signin.user.admin.
    const me = await call('/me', AccessToken);
    assert.equal(me.status, 200, me.body);
    assert.equal(lastEvent().requestContext.authorizer.claims.scope, 'aws.cognito.signin.user.admin');
    assert.equal(lastEvent().requestContext.authorizer.claims.client_id, user.clientId);
    // A valid access token without the route's scope: a REST Cognito authorizer answers 401.
    const orders = await call('/orders', AccessToken);
    assert.equal(orders.status, 401);
    assert.equal(orders.body, UNAUTHORIZED);
    assert.equal(orders.headers['x-amzn-errortype'], 'UnauthorizedException');
  });

  test('routes limited to app clients refuse tokens of other clients', async () => {
    const { IdToken } = await signIn(t.url, user);
    assert.equal((await curl([`${gw.url}/test/other-client`, '-H', `Authorization: Bearer ${IdToken}`])).status, 401);
    assert.equal((await curl([`${gw.url}/test/this-client`, '-H', `Authorization: Bearer ${IdToken}`])).status, 200);
  });

  test('a token of another pool gets 401', async () => {
    const other = await seedPoolAndUser(t.url);
    const { IdToken } = await signIn(t.url, other);
    const r = await curl([`${gw.url}/test/x`, '-H', `Authorization: Bearer ${IdToken}`]);
    assert.equal(r.status, 401);
  });

  test('Tobira\'s POST /_tobira/token-status answers {active} for the gateway', async () => {
    const status = async (body: string) => {
      const res = await fetch(`${t.url}/_tobira/token-status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, json: await res.json() };
    };
    const { IdToken, AccessToken } = await signIn(t.url, user);
    assert.deepEqual(await status(JSON.stringify({ token: IdToken })), { status: 200, json: { active: true } });
    assert.deepEqual(await status(JSON.stringify({ token: AccessToken })), { status: 200, json: { active: true } });
    const [h, p, s] = IdToken.split('.');
    assert.deepEqual((await status(JSON.stringify({ token: `${h}.${p}.${s.slice(0, -4)}AAAA` }))).json, { active: false });
    assert.deepEqual((await status(JSON.stringify({ token: 'garbage' }))).json, { active: false });
    assert.equal((await status('not json')).status, 400);
    assert.equal((await status('{"token": 5}')).status, 400);
  });

  test('outside the stage or the routes: 403 {"message":"Missing Authentication Token"}, as REST APIs answer', async () => {
    const { IdToken } = await signIn(t.url, user);
    for (const path of ['/', '/prod/x', '/testing']) {
      const r = await curl([`${gw.url}${path}`, '-H', `Authorization: Bearer ${IdToken}`]);
      assert.equal(r.status, 403, path);
      assert.equal(r.body, '{"message":"Missing Authentication Token"}');
      assert.equal(r.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    }
    // GET /orders is the most specific route for GET; other methods fall to ANY /{proxy+}.
    const r = await curl(['-X', 'DELETE', `${gw.url}/test/orders`, '-H', `Authorization: Bearer ${IdToken}`]);
    assert.equal(r.status, 200);
    assert.equal(lastEvent().resource, '/{proxy+}');
  });
});

describe('gateway against a Tobira started with --issuer aws', needs('aws', 'curl'), () => {
  let t: Running;
  let gw: RunningGateway;
  let user: SeedUser;
  before(async () => {
    t = await startTestServer({ issuerMode: 'aws' });
    user = await seedPoolAndUser(t.url, { groups: ['admins'] });
    gw = await gatewayFor({ endpoint: t.url, userPoolId: user.poolId, routes: [{ route: 'ANY /{proxy+}', lambda: 'fixtures/hello.mjs' }] });
  });
  after(async () => {
    await gw?.close();
    await t?.close();
  });

  test('the issuer comes from the pool\'s openid-configuration: cognito-idp.<region>.amazonaws.com', async () => {
    const { IdToken } = await signIn(t.url, user);
    assert.equal(payload(IdToken).iss, `https://cognito-idp.us-east-1.amazonaws.com/${user.poolId}`);
    const r = await curl(['-X', 'POST', `${gw.url}/test/`, '-H', `Authorization: Bearer ${IdToken}`]);
    assert.equal(r.status, 200, r.body);
    assert.equal(lastEvent().requestContext.authorizer.claims['cognito:groups'], 'admins');
  });
});
