import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateResourceServerCommand, CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { claims } from './helpers/sign-in.ts';
import { Browser, CALLBACK, hostedPool, type HostedPool, signInThrough } from './helpers/hosted-ui.ts';
import { gatewayFor } from './helpers/gateway.ts';

/**
 * /oauth2/token's refusals, with Cognito's error codes and statuses (cognito-protocols.md 3.4),
 * the single use of codes (also under concurrency), PKCE, client authentication, and
 * client_credentials with resource-server scopes, checked by `tobira gateway`.
 */
describe('/oauth2/token', () => {
  let server: Running;
  let hp: HostedPool;
  let m2m: { clientId: string; clientSecret: string };

  const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${hp.base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), body: await r.json() }));
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

  async function codeFor(clientId: string, extra: Record<string, string> = {}) {
    const q = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid', ...extra });
    const cb = await signInThrough(new Browser(), `${hp.base}/oauth2/authorize?${q}`);
    return cb.searchParams.get('code')!;
  }

  before(async () => {
    server = await startTestServer();
    hp = await hostedPool(server.url);
    const sdk = idpClient(server.url);
    await sdk.send(
      new CreateResourceServerCommand({
        UserPoolId: hp.poolId,
        Identifier: 'orders',
        Name: 'Orders API',
        Scopes: [
          { ScopeName: 'read', ScopeDescription: 'read orders' },
          { ScopeName: 'write', ScopeDescription: 'write orders' },
        ],
      }),
    );
    const c = await sdk.send(
      new CreateUserPoolClientCommand({
        UserPoolId: hp.poolId,
        ClientName: 'm2m',
        GenerateSecret: true,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthScopes: ['orders/read', 'orders/write'],
      }),
    );
    m2m = { clientId: c.UserPoolClient!.ClientId!, clientSecret: c.UserPoolClient!.ClientSecret! };
  });
  after(() => server.close());

  test('grant type and client errors', async () => {
    assert.deepEqual(await token({}), { status: 400, type: 'application/json;charset=UTF-8', body: { error: 'invalid_request' } });
    assert.deepEqual((await token({ grant_type: 'password', client_id: hp.spa.clientId })).body, { error: 'unsupported_grant_type' });
    assert.deepEqual((await token({ grant_type: 'authorization_code', client_id: 'nosuchclient', code: 'x', redirect_uri: CALLBACK })).body, { error: 'invalid_client' });
    // A confidential client without its secret, with a wrong one, by body and by Basic.
    for (const auth of [{}, { client_secret: 'wrong' }] as Record<string, string>[]) {
      const r = await token({ grant_type: 'authorization_code', client_id: hp.web.clientId, code: 'x', redirect_uri: CALLBACK, ...auth });
      assert.deepEqual(r.body, { error: 'invalid_client' });
    }
    assert.deepEqual((await token({ grant_type: 'authorization_code', code: 'x', redirect_uri: CALLBACK }, basic(hp.web.clientId, 'wrong'))).body, { error: 'invalid_client' });
    // A public client that sends a secret is refused too.
    assert.deepEqual((await token({ grant_type: 'authorization_code', client_id: hp.spa.clientId, client_secret: 'x', code: 'x', redirect_uri: CALLBACK })).body, { error: 'invalid_client' });
    // A parameter given twice.
    const twice = await fetch(`${hp.base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=authorization_code&client_id=${hp.spa.clientId}&code=a&code=b&redirect_uri=${encodeURIComponent(CALLBACK)}`,
    });
    assert.deepEqual(await twice.json(), { error: 'invalid_request' });
    // A JSON body is not a form.
    const json = await fetch(`${hp.base}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' });
    assert.equal(json.status, 400);
    assert.deepEqual(await json.json(), { error: 'invalid_request' });
  });

  test('a code is single use, bound to its client, redirect_uri and PKCE verifier', async () => {
    const code = await codeFor(hp.web.clientId);
    const form = { grant_type: 'authorization_code', code, redirect_uri: CALLBACK };
    const ok = await token(form, basic(hp.web.clientId, hp.web.clientSecret));
    assert.equal(ok.status, 200);
    assert.equal(claims(ok.body.access_token).version, 2);
    const twice = await token(form, basic(hp.web.clientId, hp.web.clientSecret));
    assert.deepEqual(twice, { status: 400, type: 'application/json;charset=UTF-8', body: { error: 'invalid_grant' } });

    // Another client cannot redeem it, nor another redirect_uri (and the attempt uses it up).
    const c2 = await codeFor(hp.web.clientId);
    assert.deepEqual((await token({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code: c2, redirect_uri: CALLBACK })).body, { error: 'invalid_grant' });
    const c3 = await codeFor(hp.web.clientId);
    assert.deepEqual((await token({ ...form, code: c3, redirect_uri: 'https://app.example.com/cb' }, basic(hp.web.clientId, hp.web.clientSecret))).body, { error: 'invalid_grant' });
    assert.deepEqual((await token({ ...form, code: c3 }, basic(hp.web.clientId, hp.web.clientSecret))).body, { error: 'invalid_grant' });

    // PKCE: a wrong verifier, no verifier.
    const verifier = 'A'.repeat(64);
    const { createHash } = await import('node:crypto');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    for (const v of ['B'.repeat(64), undefined]) {
      const c = await codeFor(hp.spa.clientId, { code_challenge: challenge, code_challenge_method: 'S256' });
      const r = await token({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code: c, redirect_uri: CALLBACK, ...(v ? { code_verifier: v } : {}) });
      assert.deepEqual(r.body, { error: 'invalid_grant' });
    }
    const c4 = await codeFor(hp.spa.clientId, { code_challenge: challenge, code_challenge_method: 'S256' });
    assert.equal((await token({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code: c4, redirect_uri: CALLBACK, code_verifier: verifier })).status, 200);
  });

  test('of ten concurrent redemptions of one code, exactly one gets tokens', async () => {
    const code = await codeFor(hp.spa.clientId);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => token({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code, redirect_uri: CALLBACK })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'));
  });

  test('a code expires after five minutes', async () => {
    const { app } = server as any;
    const code = await codeFor(hp.spa.clientId);
    const real = app.clock.now;
    app.clock.now = () => real.call(app.clock) + 5 * 60_000 + 1000;
    try {
      assert.deepEqual((await token({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code, redirect_uri: CALLBACK })).body, { error: 'invalid_grant' });
    } finally {
      app.clock.now = real;
    }
  });

  test('refresh_token grant errors', async () => {
    assert.deepEqual((await token({ grant_type: 'refresh_token', client_id: hp.spa.clientId })).body, { error: 'invalid_request' });
    assert.deepEqual((await token({ grant_type: 'refresh_token', client_id: hp.spa.clientId, refresh_token: 'nope' })).body, { error: 'invalid_grant' });
    // A refresh token of one client is useless to another.
    const code = await codeFor(hp.spa.clientId);
    const t = await token({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code, redirect_uri: CALLBACK });
    const other = await token({ grant_type: 'refresh_token', refresh_token: t.body.refresh_token }, basic(hp.web.clientId, hp.web.clientSecret));
    assert.deepEqual(other.body, { error: 'invalid_grant' });
  });

  test('client_credentials: resource-server scopes, confidential clients with that flow only', async () => {
    const all = await token({ grant_type: 'client_credentials' }, basic(m2m.clientId, m2m.clientSecret));
    assert.equal(all.status, 200);
    assert.deepEqual(Object.keys(all.body), ['access_token', 'expires_in', 'token_type']);
    const c = claims(all.body.access_token);
    assert.equal(c.sub, m2m.clientId);
    assert.equal(c.client_id, m2m.clientId);
    assert.equal(c.scope, 'orders/read orders/write');
    assert.equal(c.version, 2);
    assert.equal(c.username, undefined);
    const one = await token({ grant_type: 'client_credentials', client_id: m2m.clientId, client_secret: m2m.clientSecret, scope: 'orders/read' });
    assert.equal(claims(one.body.access_token).scope, 'orders/read');
    assert.deepEqual((await token({ grant_type: 'client_credentials', scope: 'orders/delete' }, basic(m2m.clientId, m2m.clientSecret))).body, { error: 'invalid_scope' });
    assert.deepEqual((await token({ grant_type: 'client_credentials', scope: 'openid' }, basic(m2m.clientId, m2m.clientSecret))).body, { error: 'invalid_scope' });
    assert.deepEqual((await token({ grant_type: 'client_credentials' }, basic(hp.web.clientId, hp.web.clientSecret))).body, { error: 'unauthorized_client' });
    assert.deepEqual((await token({ grant_type: 'client_credentials', client_id: hp.spa.clientId })).body, { error: 'unauthorized_client' });
    assert.deepEqual((await token({ grant_type: 'authorization_code', code: 'x', redirect_uri: CALLBACK }, basic(m2m.clientId, m2m.clientSecret))).body, { error: 'unauthorized_client' });

    // tobira gateway: a route that wants orders/read lets the token in; one that wants another scope does not.
    const gw = await gatewayFor({
      endpoint: server.url,
      userPoolId: hp.poolId,
      routes: [
        { route: 'GET /read', lambda: 'fixtures/echo.mjs', scopes: ['orders/read'] },
        { route: 'GET /admin', lambda: 'fixtures/echo.mjs', scopes: ['orders/admin'] },
      ],
    });
    try {
      const get = (path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${one.body.access_token}` } });
      assert.equal((await get('/read')).status, 200);
      assert.equal((await get('/admin')).status, 401);
    } finally {
      await gw.close();
    }
  });
});
