import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminSetUserMFAPreferenceCommand, AdminUpdateUserAttributesCommand, SetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { totpAt } from '../src/domain/mfa/totp.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { userWithPassword } from './helpers/sign-in.ts';
import { mfaCode } from './helpers/mfa.ts';
import { Browser, CALLBACK, csrfOf, hostedPool, type HostedPool } from './helpers/hosted-ui.ts';

/** The hidden fields of the challenge form (the page escapes `"` as &quot;). */
const hidden = (page: string, name: string) =>
  (new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/**
 * MFA_SETUP (a pool that requires MFA, a user with no factor and nowhere to send a code) sets up
 * an authenticator app on the page: the secret as text and as an otpauth:// URI, then its first
 * code; SELECT_MFA_TYPE (a user with two factors, neither preferred) offers the choice, then asks
 * the chosen factor's code. Both over plain form posts, CSRF-protected like the other steps.
 */
describe('hosted UI MFA set-up and choice', () => {
  let server: Running;
  let hp: HostedPool;
  let loginUrl: string;

  before(async () => {
    server = await startTestServer();
    hp = await hostedPool(server.url);
    await idpClient(server.url).send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: hp.poolId,
        MfaConfiguration: 'ON',
        SoftwareTokenMfaConfiguration: { Enabled: true },
        EmailMfaConfiguration: { Subject: 'Sign-in code', Message: 'Your email sign-in code is {####}' },
      }),
    );
    loginUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.web.clientId, response_type: 'code', redirect_uri: CALLBACK, state: 's1' })}`;
  });
  after(() => server.close());

  const challengeUrl = () => `${hp.base}/challenge?${new URL(loginUrl).search.slice(1)}`;
  async function challengeAnswer(b: Browser, page: string, fields: Record<string, string>) {
    const form: Record<string, string> = { _csrf: csrfOf(page)!, _challenge: hidden(page, '_challenge'), _session: hidden(page, '_session'), _username: hidden(page, '_username'), ...fields };
    for (const extra of ['_secret', '_choices']) if (page.includes(`name="${extra}"`)) form[extra] = hidden(page, extra);
    return b.post(challengeUrl(), form);
  }
  async function login(b: Browser, username: string, password: string) {
    return b.post(loginUrl, { _csrf: csrfOf(await (await b.get(loginUrl)).text())!, username, password });
  }

  test('MFA_SETUP: the secret and otpauth URI, a wrong code refused, the right one signs in', async () => {
    await userWithPassword(server.url, hp.poolId, 'sam', 'Sam#Pass1234');
    const b = new Browser();
    const res = await login(b, 'sam', 'Sam#Pass1234');
    const page = await res.text();
    assert.equal(res.status, 200);
    assert.equal(hidden(page, '_challenge'), 'MFA_SETUP');
    assert.match(page, /Set up your authenticator app/);
    const secret = /<code id="secret">([A-Z2-7]+)<\/code>/.exec(page)?.[1];
    assert.ok(secret, page);
    const uri = new URL(hidden(page, '_secret') === secret ? /id="otpauth" href="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&') : 'x:');
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Web app');
    assert.match(decodeURIComponent(uri.pathname), /Web app:sam$/);

    const wrong = await challengeAnswer(b, page, { code: '000000' === totpAt(secret, Date.now()) ? '111111' : '000000' });
    const wrongPage = await wrong.text();
    assert.equal(wrong.status, 200);
    assert.match(wrongPage, /Code mismatch and fail enable Software Token MFA/);
    assert.ok(wrongPage.includes(secret), 'the same secret is shown again');

    const done = await challengeAnswer(b, wrongPage, { code: totpAt(secret, Date.now()) });
    assert.equal(done.status, 302, await done.clone().text());
    const cb = new URL(done.headers.get('location')!);
    assert.equal(`${cb.origin}${cb.pathname}`, CALLBACK);
    assert.ok(cb.searchParams.get('code'));
    assert.equal(cb.searchParams.get('state'), 's1');
    // Without the CSRF token the step is refused.
    assert.equal((await b.post(challengeUrl(), { _challenge: 'MFA_SETUP', _session: 'x', _username: 'sam', code: '1' })).status, 403);
  });

  test('SELECT_MFA_TYPE: the factors offered, the chosen one asks its code', async () => {
    const sdk = idpClient(server.url);
    await userWithPassword(server.url, hp.poolId, 'sel', 'Sel#Pass1234');
    // Set TOTP up through the page first, then add email MFA with neither preferred.
    const b0 = new Browser();
    const setupPage = await (await login(b0, 'sel', 'Sel#Pass1234')).text();
    const secret = /<code id="secret">([A-Z2-7]+)<\/code>/.exec(setupPage)![1]!;
    assert.equal((await challengeAnswer(b0, setupPage, { code: totpAt(secret, Date.now()) })).status, 302);
    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: hp.poolId, Username: 'sel', UserAttributes: [{ Name: 'email', Value: 'sel@example.com' }, { Name: 'email_verified', Value: 'true' }] }));
    await sdk.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: hp.poolId,
        Username: 'sel',
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: false },
        EmailMfaSettings: { Enabled: true, PreferredMfa: false },
      }),
    );

    const b = new Browser();
    const page = await (await login(b, 'sel', 'Sel#Pass1234')).text();
    assert.equal(hidden(page, '_challenge'), 'SELECT_MFA_TYPE');
    assert.match(page, /value="SOFTWARE_TOKEN_MFA"/);
    assert.match(page, /value="EMAIL_OTP"/);
    const bogus = await challengeAnswer(b, page, { answer: 'VOICE' });
    const bogusPage = await bogus.text();
    assert.equal(bogus.status, 200);
    assert.match(bogusPage, /Invalid ANSWER/);
    assert.equal(hidden(bogusPage, '_challenge'), 'SELECT_MFA_TYPE');

    const chosen = await challengeAnswer(b, bogusPage, { answer: 'EMAIL_OTP' });
    const codePage = await chosen.text();
    assert.equal(hidden(codePage, '_challenge'), 'EMAIL_OTP', codePage);
    const done = await challengeAnswer(b, codePage, { code: await mfaCode(server.url, 'sel@example.com') });
    assert.equal(done.status, 302, await done.clone().text());
    assert.ok(new URL(done.headers.get('location')!).searchParams.get('code'));
  });
});
