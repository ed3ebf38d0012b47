import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { CreateUserPoolClientCommand, CreateUserPoolDomainCommand, DescribeUserPoolDomainCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { userWithPassword } from './helpers/sign-in.ts';
import { Browser, CALLBACK, csrfOf, hostedPool, type HostedPool, PASSWORD, signInThrough } from './helpers/hosted-ui.ts';

/** A GET with a chosen Host header (fetch may not set one). */
function getWithHost(url: string, host: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The hosted UI refuses what it must: unregistered redirect URIs (never redirected to), bad
 * authorization requests (redirected with Cognito's error codes), forms without the CSRF token,
 * and reflects nothing unescaped. Where the domain is served: by Host and by path.
 */
describe('hosted UI security', () => {
  let server: Running;
  let hp: HostedPool;
  const authorize = (q: Record<string, string>) => `${hp.base}/oauth2/authorize?${new URLSearchParams(q)}`;

  before(async () => {
    server = await startTestServer({ hostedUiBaseDomain: 'auth.example.test' } as any);
    hp = await hostedPool(server.url);
  });
  after(() => server.close());

  test('a redirect_uri not registered exactly is never redirected to', async () => {
    const variants = [
      'http://localhost:3000/callback/extra',
      'http://localhost:3000/callbackx',
      'http://localhost:3000/Callback',
      'http://localhost:3001/callback',
      'http://evil.localhost:3000/callback',
      'http://user@localhost:3000/callback',
      'http://localhost:3000/callback?x=1',
      'http://localhost:3000/callback#',
      'https://evil.example/',
      '',
    ];
    for (const redirect_uri of variants) {
      const r = await fetch(authorize({ client_id: hp.web.clientId, response_type: 'code', redirect_uri, state: 's' }), { redirect: 'manual' });
      assert.equal(r.status, 302, redirect_uri);
      assert.equal(r.headers.get('location'), `/_domain/${hp.prefix}/error?error=redirect_mismatch&client_id=${hp.web.clientId}`, redirect_uri);
      // /login refuses the same way.
      const l = await fetch(`${hp.base}/login?${new URLSearchParams({ client_id: hp.web.clientId, response_type: 'code', redirect_uri })}`, { redirect: 'manual' });
      assert.match(l.headers.get('location') ?? '', /error=redirect_mismatch/);
    }
    const page = await fetch(`${hp.base}/error?error=redirect_mismatch&client_id=<script>alert(1)</script>`);
    assert.equal(page.status, 400);
    const text = await page.text();
    assert.match(text, /An error was encountered with the requested page\./);
    assert.doesNotMatch(text, /<script>/);
    // An unknown client: a page, no redirect at all.
    const unknown = await fetch(authorize({ client_id: 'nosuchclient', response_type: 'code', redirect_uri: CALLBACK }), { redirect: 'manual' });
    assert.equal(unknown.status, 400);
  });

  test('bad requests go back to the registered redirect_uri with the error and state', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ response_type: 'id_token' }, 'unsupported_response_type'],
      [{ response_type: '' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unauthorized_client'],
      [{ response_type: 'code', scope: 'openid orders/read' }, 'invalid_scope'],
      [{ response_type: 'code', scope: 'email' }, 'invalid_scope'],
      [{ response_type: 'code', code_challenge: 'x'.repeat(43) }, 'invalid_request'],
      [{ response_type: 'code', code_challenge: 'x'.repeat(43), code_challenge_method: 'S512' }, 'invalid_request'],
      [{ response_type: 'code', code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
      [{ response_type: 'code', identity_provider: 'Google' }, 'invalid_request'],
    ];
    for (const [q, error] of cases) {
      const r = await fetch(authorize({ client_id: hp.web.clientId, redirect_uri: CALLBACK, state: 'xyz', ...q }), { redirect: 'manual' });
      assert.equal(r.status, 302, JSON.stringify(q));
      const loc = new URL(r.headers.get('location')!);
      assert.equal(`${loc.origin}${loc.pathname}`, CALLBACK);
      // For response_type=token the error is in the fragment (RFC 6749 4.2.2.1).
      const got = q.response_type === 'token' ? new URLSearchParams(loc.hash.slice(1)) : loc.searchParams;
      assert.equal(got.get('error'), error, JSON.stringify(q));
      assert.equal(got.get('state'), 'xyz');
    }
  });

  test('the state comes back exactly as sent; checking it is the client\'s', async () => {
    const state = 'a b&c=d<e>"\'';
    const cb = await signInThrough(new Browser(), authorize({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK, state }));
    assert.equal(cb.searchParams.get('state'), state);
  });

  test('POST /login without the CSRF token, or with another browser\'s, is refused', async () => {
    const loginUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK })}`;
    const attacker = new Browser();
    const none = await attacker.post(loginUrl, { username: 'alice', password: PASSWORD });
    assert.equal(none.status, 403);
    assert.equal(none.headers.get('location'), null);
    assert.ok(!none.headers.getSetCookie().some((c) => c.startsWith('cognito=')));

    const victim = new Browser();
    const page = await victim.get(loginUrl);
    const token = csrfOf(await page.text())!;
    // The attacker knows a token of the victim's page but has not the victim's cookie.
    await attacker.get(loginUrl);
    const forged = await attacker.post(loginUrl, { _csrf: token, username: 'alice', password: PASSWORD });
    assert.equal(forged.status, 403);
    // A cookie and no field.
    assert.equal((await victim.post(loginUrl, { username: 'alice', password: PASSWORD })).status, 403);
    // The right one works.
    assert.equal((await victim.post(loginUrl, { _csrf: token, username: 'alice', password: PASSWORD })).status, 302);
  });

  test('a script in every field and parameter comes back escaped', async () => {
    const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;
    const b = new Browser();
    const loginUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK, state: evil, nonce: evil })}`;
    const page = await b.get(loginUrl);
    const text = await page.text();
    assert.doesNotMatch(text, /<script|<img/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    const token = csrfOf(text)!;
    for (const form of [
      { _csrf: token, username: evil, password: 'x' },
      { _csrf: token, username: evil, password: evil },
      { _csrf: token, username: '', password: evil },
    ]) {
      const r = await b.post(loginUrl, form);
      const body = await r.text();
      assert.equal(r.status, 200);
      assert.doesNotMatch(body, /<script|<img/);
      if (form.username) assert.ok(body.includes('&quot;&gt;&lt;script&gt;'), 'the username is kept, escaped');
    }
    const bad = await b.post(loginUrl, { _csrf: evil, username: evil, password: evil });
    assert.doesNotMatch(await bad.text(), /<script|<img/);
  });

  test('wrong passwords: the API\'s words, then the lockout', async () => {
    const b = new Browser();
    const loginUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK })}`;
    const token = csrfOf(await (await b.get(loginUrl)).text())!;
    await userWithPassword(server.url, hp.poolId, 'bob', PASSWORD);
    const first = await (await b.post(loginUrl, { _csrf: token, username: 'bob', password: 'wrong' })).text();
    assert.match(first, /Incorrect username or password\./);
    assert.match(await (await b.post(loginUrl, { _csrf: token, username: 'nobody', password: 'wrong' })).text(), /User does not exist\./);
    let last = '';
    for (let i = 0; i < 6; i++) last = await (await b.post(loginUrl, { _csrf: token, username: 'bob', password: 'wrong' })).text();
    assert.match(last, /Password attempts exceeded/);
    // Locked: even the right password is refused now.
    assert.match(await (await b.post(loginUrl, { _csrf: token, username: 'bob', password: PASSWORD })).text(), /Password attempts exceeded/);
  });

  test('cookies: HttpOnly, SameSite, path of the domain; Secure over TLS', async () => {
    const b = new Browser();
    const loginUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK })}`;
    const page = await b.get(loginUrl);
    const csrf = page.headers.getSetCookie().find((c) => c.startsWith('XSRF-TOKEN='))!;
    assert.match(csrf, /; HttpOnly/);
    assert.match(csrf, /; SameSite=Lax/);
    assert.match(csrf, new RegExp(`; Path=/_domain/${hp.prefix}`));
    assert.doesNotMatch(csrf, /Secure/);
    const done = await b.post(loginUrl, { _csrf: csrfOf(await page.text())!, username: 'alice', password: PASSWORD });
    const session = done.headers.getSetCookie().find((c) => c.startsWith('cognito='))!;
    assert.match(session, /; HttpOnly; SameSite=Lax; Max-Age=3600/);

    const tls = await startTestServer({ publicUrl: 'https://auth.example.test' });
    try {
      const h = await hostedPool(tls.url, 'tlspool');
      const r = await fetch(`${h.base}/login?${new URLSearchParams({ client_id: h.spa.clientId, response_type: 'code', redirect_uri: CALLBACK })}`);
      assert.match(r.headers.getSetCookie()[0]!, /; Secure$/);
    } finally {
      await tls.close();
    }
  });

  test('callback URLs: http on any loopback host, https elsewhere', async () => {
    const sdk = idpClient(server.url);
    const make = (url: string) =>
      sdk.send(
        new CreateUserPoolClientCommand({
          UserPoolId: hp.poolId,
          ClientName: 'urls',
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthFlows: ['code'],
          AllowedOAuthScopes: ['openid'],
          CallbackURLs: [url],
        }),
      );
    for (const ok of ['http://localhost:3000/cb', 'http://app.localhost:8080/cb', 'http://other.auth.us-east-1.localhost:9329/oauth2/idpresponse', 'http://127.0.0.1/cb', 'https://example.com/cb', 'myapp://cb']) {
      await make(ok);
    }
    // A registered URL with characters a Location header cannot carry as they are: percent-encoded there.
    const uni = await make('https://app.example.com/cb/ü😀');
    const r = await fetch(authorize({ client_id: uni.UserPoolClient!.ClientId!, response_type: 'nope', redirect_uri: 'https://app.example.com/cb/ü😀', state: 's' }), { redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), 'https://app.example.com/cb/%C3%BC%F0%9F%98%80?error=unsupported_response_type&state=s');
    await assert.rejects(make('http://example.com/cb'), /cannot use the HTTP protocol unless it is localhost/);
    await assert.rejects(make('http://localhost.example.com/cb'), /cannot use the HTTP protocol/);
  });

  test('odd requests never get a 500', async () => {
    const tries: [string, RequestInit?][] = [
      [`${hp.base}/oauth2/authorize?client_id=%zz&redirect_uri=%`],
      [`${hp.base}/oauth2/authorize?client_id=${'a'.repeat(5000)}`],
      [`${hp.base}/oauth2/authorize?client_id=${hp.web.clientId}&client_id=${hp.spa.clientId}&redirect_uri=${CALLBACK}`],
      [`${hp.base}/login?client_id=${hp.web.clientId}&redirect_uri=${encodeURIComponent(CALLBACK)}&response_type=code`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain', cookie: 'XSRF-TOKEN=%E0%A4%A' } }],
      [`${hp.base}/oauth2/token`, { method: 'POST', body: 'grant_type=authorization_code&code=x&redirect_uri=y', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic %%%' } }],
      [`${hp.base}/oauth2/token`, { method: 'POST', body: 'grant_type=authorization_code', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('%zz:%zz').toString('base64')}` } }],
      [`${hp.base}/oauth2/token`, { method: 'POST', body: 'grant_type=refresh_token&client_id=x&refresh_token=' + 'a'.repeat(10000), headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
      [`${hp.base}/oauth2/revoke`, { method: 'POST', body: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
      [`${hp.base}/oauth2/userInfo`, { headers: { authorization: 'Bearer a.b.c' } }],
      [`${hp.base}/oauth2/userInfo`, { headers: { authorization: 'Bearer' } }],
      [`${hp.base}/logout?client_id=${hp.web.clientId}&logout_uri=a&logout_uri=b`],
      [`${server.url}/_domain/NOT_A_PREFIX/login`],
      [`${server.url}/_domain/${'x'.repeat(300)}/oauth2/token`, { method: 'POST' }],
    ];
    for (const [url, init] of tries) {
      const r = await fetch(url, { redirect: 'manual', ...init });
      assert.ok(r.status < 500, `${init?.method ?? 'GET'} ${url.slice(0, 120)}: ${r.status} ${await r.text()}`);
    }
  });

  test('the domain is served by Host: <prefix>.auth.<region>.localhost, the base domain, a custom domain', async () => {
    const q = new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK });
    const port = new URL(server.url).port;
    for (const host of [`${hp.prefix}.auth.us-east-1.localhost:${port}`, `${hp.prefix}.auth.example.test`]) {
      const r = await getWithHost(`${server.url}/oauth2/authorize?${q}`, host);
      assert.equal(r.status, 302, host);
      assert.equal(r.location, `/login?${q}`);
      const page = await getWithHost(`${server.url}/login?${q}`, host);
      assert.equal(page.status, 200);
      assert.match(page.body, /action="\/login\?/);
    }
    // The wrong region, an unknown prefix, the bare server: no domain here.
    for (const host of [`${hp.prefix}.auth.eu-west-1.localhost`, `nosuch.auth.us-east-1.localhost`, `127.0.0.1:${port}`]) {
      assert.equal((await getWithHost(`${server.url}/oauth2/authorize?${q}`, host)).status, 404, host);
    }
    await idpClient(server.url).send(
      new CreateUserPoolDomainCommand({
        UserPoolId: hp.poolId,
        Domain: 'login.myapp.test',
        CustomDomainConfig: { CertificateArn: 'arn:aws:acm:us-east-1:000000000000:certificate/abc' },
      }),
    );
    assert.equal((await getWithHost(`${server.url}/oauth2/authorize?${q}`, 'login.myapp.test')).status, 302);
    // DescribeUserPoolDomain says where the prefix domain is served.
    const described = await idpClient(server.url).send(new DescribeUserPoolDomainCommand({ Domain: hp.prefix }));
    assert.equal(described.DomainDescription!.CloudFrontDistribution, `${hp.prefix}.auth.example.test`);
    // The discovery document now names the base domain.
    const doc = await (await fetch(`${server.url}/${hp.poolId}/.well-known/openid-configuration`)).json();
    assert.equal(doc.token_endpoint, `http://${hp.prefix}.auth.example.test:${port}/oauth2/token`);
  });
});
