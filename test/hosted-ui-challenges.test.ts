import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminSetUserMFAPreferenceCommand, SetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { userWithPassword } from './helpers/sign-in.ts';
import { mfaCode } from './helpers/mfa.ts';
import { Browser, CALLBACK, csrfOf, hostedPool, type HostedPool } from './helpers/hosted-ui.ts';

/** The hidden fields of the challenge form. */
const hidden = (page: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';

/**
 * After the password, the hosted UI asks what the API would: NEW_PASSWORD_REQUIRED for a user on
 * a temporary password, then the MFA code, with the API's own challenge code; only then the code
 * for the app. A wrong MFA code is refused in the API's words.
 */
describe('hosted UI challenge steps', () => {
  let server: Running;
  let hp: HostedPool;
  let loginUrl: string;

  before(async () => {
    server = await startTestServer();
    hp = await hostedPool(server.url);
    await idpClient(server.url).send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: hp.poolId,
        MfaConfiguration: 'OPTIONAL',
        EmailMfaConfiguration: { Subject: 'Sign-in code', Message: 'Your email sign-in code is {####}' },
      }),
    );
    loginUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.web.clientId, response_type: 'code', redirect_uri: CALLBACK, state: 'c1' })}`;
  });
  after(() => server.close());

  async function challengeAnswer(b: Browser, page: string, fields: Record<string, string>) {
    const form: Record<string, string> = { _csrf: csrfOf(page)!, _challenge: hidden(page, '_challenge'), _session: hidden(page, '_session'), _username: hidden(page, '_username'), ...fields };
    return b.post(`${hp.base}/challenge?${new URL(loginUrl).search.slice(1)}`, form);
  }

  test('a temporary password: the new-password step, then the code for the app', async () => {
    await userWithPassword(server.url, hp.poolId, 'tina', 'Temp#Pass11', { temporary: true, attributes: { email: 'tina@example.com' } });
    const b = new Browser();
    const login = await b.post(loginUrl, { _csrf: csrfOf(await (await b.get(loginUrl)).text())!, username: 'tina', password: 'Temp#Pass11' });
    const page = await login.text();
    assert.equal(login.status, 200);
    assert.match(page, /Change your password/);
    assert.equal(hidden(page, '_challenge'), 'NEW_PASSWORD_REQUIRED');
    const weak = await challengeAnswer(b, page, { new_password: 'weak' });
    const weakPage = await weak.text();
    assert.match(weakPage, /Password does not conform to policy|Password did not conform with policy/);
    const done = await challengeAnswer(b, weakPage, { new_password: 'Tina#Final22' });
    assert.equal(done.status, 302, await done.clone().text());
    const cb = new URL(done.headers.get('location')!);
    assert.equal(`${cb.origin}${cb.pathname}`, CALLBACK);
    assert.ok(cb.searchParams.get('code'));
    assert.equal(cb.searchParams.get('state'), 'c1');
  });

  test('email MFA: the code from the outbox; a wrong one is refused', async () => {
    await userWithPassword(server.url, hp.poolId, 'mo', 'Mo#Pass1234', { attributes: { email: 'mo@example.com', email_verified: 'true' } });
    await idpClient(server.url).send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: hp.poolId, Username: 'mo', EmailMfaSettings: { Enabled: true, PreferredMfa: true } }));
    const b = new Browser();
    const login = await b.post(loginUrl, { _csrf: csrfOf(await (await b.get(loginUrl)).text())!, username: 'mo', password: 'Mo#Pass1234' });
    const page = await login.text();
    assert.equal(hidden(page, '_challenge'), 'EMAIL_OTP');
    assert.ok(!login.headers.getSetCookie().some((c) => c.startsWith('cognito=')), 'no session before the second factor');
    const wrong = await challengeAnswer(b, page, { code: '00000000' });
    const wrongPage = await wrong.text();
    assert.match(wrongPage, /Invalid code or auth state for the user\./);
    const done = await challengeAnswer(b, wrongPage, { code: await mfaCode(server.url, 'mo@example.com') });
    assert.equal(done.status, 302, await done.clone().text());
    assert.ok(new URL(done.headers.get('location')!).searchParams.get('code'));
    // Without the CSRF token the step is refused.
    assert.equal((await b.post(`${hp.base}/challenge?${new URL(loginUrl).search.slice(1)}`, { _challenge: 'EMAIL_OTP', _session: 'x', _username: 'mo', code: '1' })).status, 403);
  });
});
