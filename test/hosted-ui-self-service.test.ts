import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Running } from '../src/tobira.ts';
import { startTestServer } from './helpers/tobira.ts';
import { lastCode } from './helpers/outbox.ts';
import { Browser, CALLBACK, csrfOf, hostedPool, type HostedPool, signInThrough } from './helpers/hosted-ui.ts';

/**
 * /signup, /confirm, /forgotPassword and /confirmForgotPassword over plain HTTP, as a browser
 * without JavaScript uses them: the same domain code as the API (its words, codes through the
 * outbox), CSRF on every form, nothing reflected unescaped.
 */
describe('hosted UI self-service pages', () => {
  let server: Running;
  let hp: HostedPool;
  let q: string;

  before(async () => {
    server = await startTestServer();
    hp = await hostedPool(server.url);
    q = new URLSearchParams({ client_id: hp.web.clientId, response_type: 'code', redirect_uri: CALLBACK, state: 'ss' }).toString();
  });
  after(() => server.close());

  async function submit(b: Browser, path: string, form: Record<string, string>, query = q) {
    const url = `${hp.base}${path}?${query}`;
    const page = await b.get(url);
    assert.equal(page.status, 200, path);
    return b.post(url, { _csrf: csrfOf(await page.text())!, ...form });
  }

  test('sign up, confirm, sign in (a client with a secret: the hosted UI makes the SECRET_HASH)', async () => {
    const b = new Browser();
    const taken = await submit(b, '/signup', { username: 'alice', email: 'a2@example.com', password: 'Dave#Secret9' });
    assert.match(await taken.text(), /User already exists/);
    const r = await submit(b, '/signup', { username: 'dave', email: 'dave@example.com', password: 'Dave#Secret9' });
    assert.equal(r.status, 302);
    const confirmUrl = new URL(r.headers.get('location')!, server.url);
    assert.equal(confirmUrl.pathname, `/_domain/${hp.prefix}/confirm`);
    assert.equal(confirmUrl.searchParams.get('username'), 'dave');
    const wrong = await submit(b, '/confirm', { username: 'dave', code: '000000' }, confirmUrl.search.slice(1));
    assert.match(await wrong.text(), /Invalid verification code provided, please try again\./);
    const ok = await submit(b, '/confirm', { username: 'dave', code: await lastCode(server.url, 'dave@example.com') }, confirmUrl.search.slice(1));
    assert.equal(ok.status, 302);
    const login = new URL(ok.headers.get('location')!, server.url);
    assert.equal(login.pathname, `/_domain/${hp.prefix}/login`);
    const cb = await signInThrough(new Browser(), `${hp.base}/oauth2/authorize?${q}`, 'dave', 'Dave#Secret9');
    assert.ok(cb.searchParams.get('code'));
  });

  test('forgot password, then the new password signs in', async () => {
    const b = new Browser();
    const r = await submit(b, '/forgotPassword', { username: 'alice' });
    assert.equal(r.status, 302);
    const next = new URL(r.headers.get('location')!, server.url);
    assert.equal(next.pathname, `/_domain/${hp.prefix}/confirmForgotPassword`);
    const code = await lastCode(server.url, 'alice@example.com');
    const weak = await submit(b, '/confirmForgotPassword', { username: 'alice', code, password: 'weak' }, next.search.slice(1));
    // ConfirmForgotPassword's own words ("does not conform to", unlike SignUp's "did not conform with").
    assert.match(await weak.text(), /Password does not conform to policy/);
    const done = await submit(b, '/confirmForgotPassword', { username: 'alice', code, password: 'New#Password7' }, next.search.slice(1));
    assert.equal(done.status, 302);
    const cb = await signInThrough(new Browser(), `${hp.base}/oauth2/authorize?${q}`, 'alice', 'New#Password7');
    assert.ok(cb.searchParams.get('code'));
  });

  test('every form wants its CSRF token and escapes what it shows', async () => {
    const evil = `"><script>alert(1)</script>`;
    for (const path of ['/signup', '/confirm', '/forgotPassword', '/confirmForgotPassword']) {
      const b = new Browser();
      const url = `${hp.base}${path}?${q}&username=${encodeURIComponent(evil)}`;
      const page = await b.get(url);
      const text = await page.text();
      assert.doesNotMatch(text, /<script/, path);
      const refused = await b.post(url, { username: 'x', email: 'x@example.com', code: '1', password: 'x' });
      assert.equal(refused.status, 403, path);
      const shown = await b.post(url, { _csrf: csrfOf(text)!, username: evil, email: evil, code: evil, password: evil });
      assert.doesNotMatch(await shown.text(), /<script/, path);
    }
  });
});
