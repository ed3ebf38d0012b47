import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { CreateTermsCommand, CreateUserPoolClientCommand, SetUICustomizationCommand, SetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import { totpAt } from '../src/domain/mfa/totp.ts';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { claims, userWithPassword } from './helpers/sign-in.ts';
import { hostedPool, type HostedPool, PASSWORD } from './helpers/hosted-ui.ts';
import { lastCode } from './helpers/outbox.ts';

/**
 * The hosted UI in a real Chromium (the one @sparticuz/chromium ships, driven by playwright-core,
 * launched as in passkeys-browser.test.ts): the app sends the browser to /oauth2/authorize on
 * `<prefix>.auth.us-east-1.localhost:<port>`, the user signs in on /login with the keyboard, the
 * browser lands on the app's callback with a code, which openid-client exchanges (confidential
 * client, Basic auth). Screenshots go to test-artifacts/hosted-ui/.
 */

const SYSTEM_NSS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib'];
async function chromiumPackage() {
  if (!SYSTEM_NSS.some((dir) => existsSync(`${dir}/libnss3.so`))) process.env.AWS_LAMBDA_JS_RUNTIME ??= 'nodejs20.x';
  return (await import('@sparticuz/chromium')).default;
}

const ARTIFACTS = new URL('../test-artifacts/hosted-ui/', import.meta.url);

describe('hosted UI in a browser', () => {
  let server: Running;
  let hp: HostedPool;
  let app: Server;
  let callback: string;
  let client: { clientId: string; clientSecret: string };
  let browser: Browser;
  let page: Page;
  let domainUrl: string;
  const shot = (name: string) => page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startTestServer();
    hp = await hostedPool(server.url);
    // The app: its callback shows what it got.
    app = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<h1>Callback</h1><p>${req.url!.replace(/[<>&"]/g, '')}</p>`));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    callback = `http://localhost:${(app.address() as AddressInfo).port}/callback`;
    const c = await idpClient(server.url).send(
      new CreateUserPoolClientCommand({
        UserPoolId: hp.poolId,
        ClientName: 'Photo app',
        GenerateSecret: true,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email', 'profile'],
        CallbackURLs: [callback],
        LogoutURLs: [callback.replace('/callback', '/bye')],
        SupportedIdentityProviders: ['COGNITO'],
      }),
    );
    client = { clientId: c.UserPoolClient!.ClientId!, clientSecret: c.UserPoolClient!.ClientSecret! };
    domainUrl = `http://${hp.prefix}.auth.us-east-1.localhost:${new URL(server.url).port}`;

    const chromium = await chromiumPackage();
    const args = chromium.args.filter((a) => a !== '--disable-web-security');
    if (process.getuid?.() === 0 && !args.includes('--no-sandbox')) args.push('--no-sandbox');
    args.push('--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1');
    browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
    page = await (await browser.newContext()).newPage();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await server?.close();
  });

  test('sign up on /signup, confirm with the code from the outbox, sign in and land on the callback', async () => {
    const q = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: callback, scope: 'openid email', state: 'signup-1' });
    await page.goto(`${domainUrl}/oauth2/authorize?${q}`);
    await Promise.all([page.waitForURL(/\/signup\?/), page.getByRole('link', { name: 'Sign up' }).click()]);
    await shot('09-signup');
    await page.getByLabel('Username').fill('carol');
    await page.getByLabel('Email').fill('carol@example.com');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForSelector('[role=alert]');
    // The pool's password policy, in the API's words.
    assert.match((await page.textContent('[role=alert]'))!, /Password did not conform with policy/);
    await shot('10-signup-error');
    await page.getByLabel('Password').fill('Carol#Secret9');
    await Promise.all([page.waitForURL(/\/confirm\?/), page.getByRole('button', { name: 'Sign up' }).click()]);
    await shot('11-confirm');
    assert.equal(await page.inputValue('#username'), 'carol');
    await page.getByLabel('Verification code').fill(await lastCode(server.url, 'carol@example.com'));
    await Promise.all([page.waitForURL(/\/login\?/), page.getByRole('button', { name: 'Confirm account' }).click()]);
    assert.equal(await page.inputValue('#username'), 'carol');
    await page.getByLabel('Password').fill('Carol#Secret9');
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.keyboard.press('Enter')]);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), 'signup-1');
    assert.ok(landed.searchParams.get('code'));
    await shot('12-signed-up-callback');
    await page.goto(`${domainUrl}/logout?${new URLSearchParams({ client_id: client.clientId, logout_uri: callback.replace('/callback', '/bye') })}`);
  });

  test('sign in on /login and land on the callback with a code that openid-client exchanges', async () => {
    const issuer = new URL(`${server.url}/${hp.poolId}`);
    const config = await oidc.discovery(issuer, client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret), {
      execute: [oidc.allowInsecureRequests],
    });
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const q = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: callback, scope: 'openid email', state, nonce });
    await page.goto(`${domainUrl}/oauth2/authorize?${q}`);
    assert.match(new URL(page.url()).pathname, /^\/login$/);
    assert.equal(await page.title(), 'Sign in');
    assert.equal(await page.textContent('.client'), 'Photo app');
    await shot('01-login');

    // A wrong password: the page says why, the username stays, focus can go on.
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong-password');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[role=alert]');
    assert.equal(await page.textContent('[role=alert]'), 'Incorrect username or password.');
    assert.equal(await page.inputValue('#username'), 'alice');
    await shot('02-login-error');

    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.getByRole('button', { name: 'Sign in' }).click()]);
    await shot('03-callback');
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), state);
    assert.ok(landed.searchParams.get('code'));
    const tokens = await oidc.authorizationCodeGrant(config, landed, { expectedState: state, expectedNonce: nonce });
    assert.equal(tokens.claims()!['cognito:username'], 'alice');
    assert.equal(claims(tokens.access_token).scope, 'openid email');

    // The session cookie signs the browser in again without the form; logout ends it.
    const cookies = await page.context().cookies(domainUrl);
    const session = cookies.find((c) => c.name === 'cognito')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    await page.goto(`${domainUrl}/oauth2/authorize?${q}`);
    assert.ok(page.url().startsWith(callback), 'straight back to the app');
    await page.goto(`${domainUrl}/logout?${new URLSearchParams({ client_id: client.clientId, logout_uri: callback.replace('/callback', '/bye') })}`);
    assert.ok(page.url().endsWith('/bye'));
    await page.goto(`${domainUrl}/oauth2/authorize?${q}`);
    assert.match(new URL(page.url()).pathname, /^\/login$/);
    await shot('04-login-after-logout');
  });

  test('the pool\'s UI customization (CSS, logo) and the client\'s terms are on the pages', async () => {
    const sdk = idpClient(server.url);
    // A 1x1 PNG, scaled up by the CSS below.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await sdk.send(
      new SetUICustomizationCommand({
        UserPoolId: hp.poolId,
        ClientId: 'ALL',
        CSS: '.submitButton-customizable { background-color: #1d8102; } .logo-customizable { width: 64px; height: 64px; } .background-customizable { background-color: #fdf6e3; }',
        ImageFile: png,
      }),
    );
    await sdk.send(
      new CreateTermsCommand({ UserPoolId: hp.poolId, ClientId: client.clientId, TermsName: 'terms-of-use', TermsSource: 'LINK', Enforcement: 'NONE', Links: { 'cognito:default': 'https://example.com/terms' } }),
    );
    await sdk.send(
      new CreateTermsCommand({ UserPoolId: hp.poolId, ClientId: client.clientId, TermsName: 'privacy-policy', TermsSource: 'LINK', Enforcement: 'NONE', Links: { 'cognito:default': 'https://example.com/privacy' } }),
    );
    const q = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: callback });
    await page.goto(`${domainUrl}/login?${q}`);
    const colour = await page.$eval('button.submitButton-customizable', (el) => getComputedStyle(el).backgroundColor);
    assert.equal(colour, 'rgb(29, 129, 2)');
    const logo = await page.$eval('img.logo-customizable', (el) => ({ w: (el as HTMLImageElement).naturalWidth, ok: (el as HTMLImageElement).complete }));
    assert.deepEqual(logo, { w: 1, ok: true });
    await shot('20-login-customized');
    await page.goto(`${domainUrl}/signup?${q}`);
    assert.equal(await page.getAttribute('a:text("Terms of use")', 'href'), 'https://example.com/terms');
    assert.equal(await page.getAttribute('a:text("Privacy policy")', 'href'), 'https://example.com/privacy');
    await shot('21-signup-terms');
  });

  test('an unregistered redirect_uri ends on the error page', async () => {
    const q = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: 'https://evil.example/cb' });
    const r = await page.goto(`${domainUrl}/oauth2/authorize?${q}`);
    assert.equal(r!.status(), 400);
    assert.match(await page.textContent('body') ?? '', /An error was encountered with the requested page\./);
    await shot('05-error');
  });

  test('password recovery, the new-password challenge and the logout result, each page photographed', async () => {
    await userWithPassword(server.url, hp.poolId, 'dave', 'Dave#Pass1234', { attributes: { email: 'dave@example.com', email_verified: 'true' } });
    await userWithPassword(server.url, hp.poolId, 'erin', 'Temp#Pass1234', { temporary: true });
    const q = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: callback, scope: 'openid' });
    await page.goto(`${domainUrl}/login?${q}`);
    await Promise.all([page.waitForURL(/\/forgotPassword\?/), page.getByRole('link', { name: 'Forgot your password?' }).click()]);
    await shot('30-forgot-password');
    await page.getByLabel('Username').fill('dave');
    await Promise.all([page.waitForURL(/\/confirmForgotPassword\?/), page.locator('button[type=submit]').click()]);
    await shot('31-confirm-forgot-password');
    await page.getByLabel('Code').fill(await lastCode(server.url, 'dave@example.com'));
    await page.getByLabel('New password').fill('Dave#Fresh5678');
    await Promise.all([page.waitForURL(/\/login\?/), page.locator('button[type=submit]').click()]);
    assert.equal(await page.inputValue('#username'), 'dave');

    await page.goto(`${domainUrl}/login?${q}`);
    await page.getByLabel('Username').fill('erin');
    await page.getByLabel('Password').fill('Temp#Pass1234');
    await page.keyboard.press('Enter');
    await page.waitForSelector('input[name=_challenge][value=NEW_PASSWORD_REQUIRED]', { state: 'attached' });
    assert.equal(await page.title(), 'Change your password');
    await shot('32-challenge');
    await page.getByLabel('New password').fill('Erin#Final5678');
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.getByRole('button', { name: 'Continue' }).click()]);
    assert.ok(new URL(page.url()).searchParams.get('code'));

    await page.goto(`${domainUrl}/logout?${new URLSearchParams({ client_id: client.clientId, logout_uri: callback.replace('/callback', '/bye') })}`);
    assert.ok(page.url().endsWith('/bye'));
    await shot('33-logout');
    const r = await page.goto(`${domainUrl}/logout?${new URLSearchParams({ client_id: client.clientId })}`);
    assert.equal(r!.status(), 400);
    await shot('34-logout-without-uri');
  });

  // Last: it makes MFA required in the pool.
  test('MFA set-up on the challenge page: the secret shown, the first code from it signs in', async () => {
    await idpClient(server.url).send(new SetUserPoolMfaConfigCommand({ UserPoolId: hp.poolId, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await userWithPassword(server.url, hp.poolId, 'finn', 'Finn#Pass1234');
    const q = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: callback, scope: 'openid' });
    await page.goto(`${domainUrl}/login?${q}`);
    await page.getByLabel('Username').fill('finn');
    await page.getByLabel('Password').fill('Finn#Pass1234');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#secret');
    assert.equal(await page.title(), 'Set up your authenticator app');
    const secret = (await page.textContent('#secret'))!;
    assert.ok((await page.getAttribute('#otpauth', 'href'))!.startsWith('otpauth://totp/'));
    await shot('35-challenge-mfa-setup');
    await page.getByLabel('Code').fill(totpAt(secret, Date.now()));
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.getByRole('button', { name: 'Continue' }).click()]);
    assert.ok(new URL(page.url()).searchParams.get('code'));
  });
});
