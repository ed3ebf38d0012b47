import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { AdminCreateUserCommand, CreateUserPoolClientCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { Client, csrfOf } from './helpers/console.ts';

/**
 * The admin console (/_tobira/console) over plain HTTP, no browser: who may use it (loopback
 * unless a proxy relayed the request; else the operator token), CSRF refusal, escaping of user
 * data, Cognito's errors on the page, and client secrets only on request.
 */

const TOKEN = 'console-test-operator-token-0123456789';

/** A GET with exactly these headers (fetch would set Host and Sec-Fetch-Mode itself). */
function raw(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) =>
    request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end(),
  );
}

describe('admin console over HTTP', () => {
  let server: Running;
  let guarded: Running;
  let poolId: string;

  before(async () => {
    server = await startTestServer();
    guarded = await startTestServer({ adminToken: TOKEN });
    const sdk = idpClient(server.url);
    poolId = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'console' }))).UserPool!.Id!;
  });

  after(async () => {
    await server?.close();
    await guarded?.close();
  });

  test('a loopback caller gets the pages; a form without the CSRF token is refused and changes nothing', async () => {
    const c = new Client(server.url);
    const home = await c.get('/_tobira/console/');
    assert.equal(home.status, 200);
    assert.match(home.text, /<h1>User pools<\/h1>/);
    assert.match(home.text, /<main id="main"/);
    assert.match(home.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const csrf = csrfOf(home.text);
    assert.ok(csrf);

    // No token at all, a wrong token, and the right token without its cookie: all refused.
    const none = await c.post('/_tobira/console/', { _action: 'create', PoolName: 'forged' });
    assert.equal(none.status, 403);
    assert.match(none.text, /CSRF/);
    const wrong = await c.post('/_tobira/console/', { _action: 'create', PoolName: 'forged', _csrf: 'x'.repeat(43) });
    assert.equal(wrong.status, 403);
    const cookieless = await new Client(server.url).post('/_tobira/console/', { _action: 'create', PoolName: 'forged', _csrf: csrf });
    assert.equal(cookieless.status, 403);
    // A cross-site Origin is refused even with a matching token and cookie.
    const crossSite = await c.post('/_tobira/console/', { _action: 'create', PoolName: 'forged', _csrf: csrf }, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    const fetchSite = await c.post('/_tobira/console/', { _action: 'create', PoolName: 'forged', _csrf: csrf }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(fetchSite.status, 403);
    const list = await c.get('/_tobira/console/');
    assert.doesNotMatch(list.text, /forged/);

    const ok = await c.post('/_tobira/console/', { _action: 'create', PoolName: 'made here', _csrf: csrf });
    assert.equal(ok.status, 303);
    assert.match(ok.location ?? '', /^\/_tobira\/console\/pools\/us-east-1_/);
    const pool = await c.get(ok.location!);
    assert.equal(pool.status, 200);
    assert.match(pool.text, /User pool made here/);
  });

  test('no other site may read or embed a page: no CORS headers, no cross-site fetches, no rebound host names', async () => {
    const c = new Client(server.url);
    const home = await c.get('/_tobira/console/');
    assert.equal(home.headers.get('access-control-allow-origin'), null);
    assert.equal(home.headers.get('x-frame-options'), 'DENY');
    const doubled = await c.get(`${server.url}//_tobira/console/outbox`);
    assert.equal(doubled.status, 200);
    assert.equal(doubled.headers.get('access-control-allow-origin'), null);
    // A script on another site fetching the console from its visitor's browser (fetch sets its
    // own Sec-Fetch-Mode and Host, so these go through node:http).
    assert.equal((await raw(server.url, '/_tobira/console/outbox', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' })).status, 403);
    assert.equal((await raw(server.url, '/_tobira/console/outbox/rows?after=0', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' })).status, 403);
    // A link from another site is a navigation: it opens the page.
    assert.equal((await raw(server.url, '/_tobira/console/', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status, 200);
    // DNS rebinding: loopback under a name that is not local is not the operator.
    const rebound = await raw(server.url, '/_tobira/console/', { host: 'attacker.example' });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /only on this machine/);
    assert.equal((await raw(server.url, '/_tobira/console/', { host: 'localhost' })).status, 200);
  });

  test('user data is escaped: an attribute holding <script> shows as text', async () => {
    const sdk = idpClient(server.url);
    await sdk.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: 'mallory',
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'name', Value: '<script>alert("x")</script><img src=x onerror=alert(1)>' }],
      }),
    );
    const c = new Client(server.url);
    const page = await c.get(`/_tobira/console/pools/${poolId}/users/mallory`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!page.text.includes('<script>alert'));
    assert.ok(!page.text.includes('<img src=x'));
    // The only script a console page may load is the console's own (CSP script-src 'self').
    assert.doesNotMatch(page.text, /<script(?! src="\/_tobira\/console\/console\.js")/);

    // Also through the search box: the filter is echoed escaped.
    const search = await c.get(`/_tobira/console/pools/${poolId}/users?filter=${encodeURIComponent('name ^= "<script>"')}`);
    assert.equal(search.status, 200);
    assert.ok(search.text.includes('name ^= &quot;&lt;script&gt;&quot;'));
    assert.ok(!search.text.includes('"<script>"'));
  });

  test("an action that Cognito refuses shows Cognito's error name and message", async () => {
    const c = new Client(server.url);
    const page = await c.get(`/_tobira/console/pools/${poolId}/users`);
    const res = await c.post(`/_tobira/console/pools/${poolId}/users`, { _action: 'create', _csrf: csrfOf(page.text), Username: 'mallory', Suppress: 'true' });
    assert.equal(res.status, 400);
    assert.match(res.text, /role="alert"[^>]*><strong>UsernameExistsException<\/strong>: <span class="message">User account already exists<\/span>/);
    const bad = await c.get(`/_tobira/console/pools/${poolId}/users?filter=${encodeURIComponent('nonsense')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<strong>InvalidParameterException<\/strong>: <span class="message">Error while parsing filter.<\/span>/);
  });

  test('a client secret appears only after an explicit Show secret', async () => {
    const sdk = idpClient(server.url);
    const c0 = await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'backend', GenerateSecret: true }));
    const secret = c0.UserPoolClient!.ClientSecret!;
    const c = new Client(server.url);
    const path = `/_tobira/console/pools/${poolId}/clients/${c0.UserPoolClient!.ClientId}`;
    const page = await c.get(path);
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes(secret));
    assert.match(page.text, /set \(hidden\)/);
    const shown = await c.post(path, { _action: 'show-secret', _csrf: csrfOf(page.text) });
    assert.equal(shown.status, 200);
    assert.ok(shown.text.includes(`<code id="client-secret">${secret}</code>`));
  });

  test('a request relayed by a proxy is not local: refused without a token, admitted with the operator token', async () => {
    // No --admin-token: only this machine, and X-Forwarded-For means "not this machine".
    const relayed = new Client(server.url, { 'x-forwarded-for': '203.0.113.9' });
    const r = await relayed.get('/_tobira/console/');
    assert.equal(r.status, 403);
    assert.match(r.text, /only on this machine/);
    assert.equal((await new Client(server.url, { forwarded: 'for=203.0.113.9' }).get('/_tobira/console/outbox')).status, 403);
    assert.equal((await relayed.post('/_tobira/console/sign-in', { token: TOKEN })).status, 403);

    // With --admin-token: a relayed browser is sent to sign in, and signs in with the token.
    const browser = new Client(guarded.url, { 'x-forwarded-for': '203.0.113.9' });
    const first = await browser.get('/_tobira/console/');
    assert.equal(first.status, 303);
    assert.equal(first.location, '/_tobira/console/sign-in');
    const form = await browser.get('/_tobira/console/sign-in');
    assert.equal(form.status, 200);
    assert.match(form.text, /<label for="token">Operator token<\/label>/);
    const wrong = await browser.post('/_tobira/console/sign-in', { _csrf: csrfOf(form.text), token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.equal((await browser.get('/_tobira/console/')).status, 303);
    const noCsrf = await browser.post('/_tobira/console/sign-in', { token: TOKEN });
    assert.equal(noCsrf.status, 403);
    const right = await browser.post('/_tobira/console/sign-in', { _csrf: csrfOf(form.text), token: TOKEN });
    assert.equal(right.status, 303);
    assert.match([...browser.cookies.keys()].join(','), /tobira-console/);
    const home = await browser.get('/_tobira/console/');
    assert.equal(home.status, 200);
    assert.match(home.text, /<h1>User pools<\/h1>/);
    assert.match(home.text, />Sign out<\/button>/);

    // A forged cookie does nothing; signing out ends the session.
    const forged = new Client(guarded.url, { 'x-forwarded-for': '203.0.113.9' });
    forged.cookies.set('tobira-console', `t..${Date.now() + 60_000}.${'A'.repeat(43)}`);
    assert.equal((await forged.get('/_tobira/console/')).status, 303);
    const out = await browser.post('/_tobira/console/sign-out', { _csrf: csrfOf(home.text) });
    assert.equal(out.status, 303);
    assert.equal((await browser.get('/_tobira/console/')).status, 303);

    // A script or tool may skip the cookie and send the token as a Bearer header.
    const tool = new Client(guarded.url, { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${TOKEN}` });
    assert.equal((await tool.get('/_tobira/console/outbox')).status, 200);
    assert.equal((await new Client(guarded.url, { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer nope' }).get('/_tobira/console/outbox')).status, 303);
  });
});
