import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import {
  AdminCreateUserCommand,
  ConfirmForgotPasswordCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import type { Running } from '../src/tobira.ts';
import { getPool } from '../src/domain/pools/user-pools.ts';
import { aliasKeysFor, newUser } from '../src/domain/users/users.ts';
import { computeSecretHash } from '../src/domain/sign-in/secret-hash.ts';
import { uuid } from '../src/util/ids.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';

/**
 * The admin console in a real Chromium (@sparticuz/chromium driven by playwright-core, launched
 * as in hosted-ui-browser.test.ts), with no script of the test's own in the page: an operator
 * creates a pool, an app client (and reveals its secret), a user; reads the invitation's
 * temporary password on the outbox page (which then shows a new message live); sets and resets
 * the password; finds one user among 100,000 by email prefix; inspects an ID token.
 * Screenshots go to test-artifacts/console/.
 */

const SYSTEM_NSS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib'];
async function chromiumPackage() {
  if (!SYSTEM_NSS.some((dir) => existsSync(`${dir}/libnss3.so`))) process.env.AWS_LAMBDA_JS_RUNTIME ??= 'nodejs20.x';
  return (await import('@sparticuz/chromium')).default;
}

const ARTIFACTS = new URL('../test-artifacts/console/', import.meta.url);
const USERS = 100_000;
const BATCH = 2_000;

/**
 * 100,000 users straight into the store, a transaction per batch, as bench/users.bench.ts does.
 * No passwords: listing and searching never read them, and 100,000 argon2id hashes would take
 * the test's whole budget.
 */
async function bulkLoad(server: Running, poolId: string): Promise<void> {
  const { app } = server;
  const pool = await getPool(app.store, poolId);
  const now = app.clock.now();
  for (let i = 0; i < USERS; i += BATCH) {
    await app.store.tx(async (s) => {
      for (let j = i; j < Math.min(i + BATCH, USERS); j++) {
        const username = `user${String(j).padStart(6, '0')}`;
        const user = newUser(pool, { username, sub: uuid(app.random), status: 'CONFIRMED', now, attributes: { email: `${username}@example.com`, email_verified: 'true' } });
        await s.users.insert(user);
        await s.users.setAliases(poolId, user.usernameKey, aliasKeysFor(pool, user));
      }
    });
  }
}

/**
 * What every console page keeps to: one h1, a main landmark and navigation, every visible field
 * labelled, every button named. Checked in the page, as a screen reader would meet it.
 */
async function assertAccessible(page: Page): Promise<void> {
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    if (document.querySelectorAll('h1').length !== 1) out.push('not exactly one h1');
    if (!document.querySelector('main')) out.push('no main landmark');
    if (!document.querySelector('nav[aria-label]')) out.push('no labelled navigation');
    for (const el of document.querySelectorAll<HTMLInputElement>('input:not([type=hidden]), select, textarea')) {
      if (!el.labels?.length && !el.getAttribute('aria-label')) out.push(`unlabelled ${el.tagName} ${el.name}`);
    }
    for (const b of document.querySelectorAll('button')) if (!(b.getAttribute('aria-label') || b.textContent?.trim())) out.push('unnamed button');
    return out;
  });
  assert.deepEqual(problems, [], `${page.url()}: ${problems.join('; ')}`);
}

describe('admin console in a browser', () => {
  let server: Running;
  let browser: Browser;
  let page: Page;
  let bigPool: string;
  let base: string;
  const shot = (name: string) => page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
  // State carried from step to step, as the operator would carry it.
  let poolId = '';
  let clientId = '';
  let clientSecret = '';
  let temporaryPassword = '';

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startTestServer();
    base = `${server.url}/_tobira/console`;
    bigPool = (await idpClient(server.url).send(new CreateUserPoolCommand({ PoolName: 'Big' }))).UserPool!.Id!;
    await bulkLoad(server, bigPool);

    const chromium = await chromiumPackage();
    const args = chromium.args.filter((a) => a !== '--disable-web-security');
    if (process.getuid?.() === 0 && !args.includes('--no-sandbox')) args.push('--no-sandbox');
    browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(60_000);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('creates a user pool and an app client, and shows the secret only when asked', async () => {
    await page.goto(`${base}/`);
    assert.equal(await page.locator('h1').textContent(), 'User pools');
    // The first Tab reaches the skip link, which leads to the main content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await assertAccessible(page);
    await page.getByLabel('Pool name').fill('Photo app users');
    await page.getByLabel('Verify email addresses automatically').check();
    await page.getByRole('button', { name: 'Create user pool' }).click();
    await page.waitForURL(/\/pools\/us-east-1_/);
    assert.equal(await page.locator('h1').textContent(), 'User pool Photo app users');
    poolId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await assertAccessible(page);
    await shot('1-pool');

    await page.getByRole('navigation', { name: `User pool ${poolId}` }).getByRole('link', { name: 'App clients' }).click();
    await page.getByLabel('Client name').fill('Web app');
    await page.getByLabel('Generate a client secret').check();
    await page.getByRole('button', { name: 'Create app client' }).click();
    await page.waitForURL(/\/clients\/\w+$/);
    clientId = new URL(page.url()).pathname.split('/').pop()!;
    assert.equal(await page.locator('#client-secret').count(), 0);
    await page.getByRole('button', { name: 'Show secret' }).click();
    clientSecret = (await page.locator('#client-secret').textContent())!;
    assert.match(clientSecret, /^[a-z0-9]{40,}$/);
    await assertAccessible(page);
    await shot('2-client-secret');
  });

  test('creates a user and reads the invitation in the outbox, which updates live', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Username', { exact: true }).fill('ann');
    await page.getByLabel('Email (optional)').fill('ann@example.com');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.waitForURL(/\/users\/ann$/);
    assert.equal(await page.locator('h1').textContent(), 'User ann');
    assert.match((await page.locator('main dl').first().textContent())!, /FORCE_CHANGE_PASSWORD/);

    await page.getByRole('link', { name: 'Outbox' }).click();
    const row = page.locator('#outbox tbody tr', { hasText: 'ann@example.com' }).first();
    assert.match((await row.textContent())!, /invitation/);
    temporaryPassword = (await row.locator('code.code').textContent())!;
    assert.ok(temporaryPassword.length >= 8);
    // Newest first, and live: a message sent now appears at the top without a reload.
    await page.locator('#live-status', { hasText: 'Live' }).waitFor();
    await idpClient(server.url).send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'bea', UserAttributes: [{ Name: 'email', Value: 'bea@example.com' }] }));
    await page.locator('#outbox tbody tr', { hasText: 'bea@example.com' }).waitFor();
    assert.match((await page.locator('#outbox tbody tr').first().textContent())!, /bea@example\.com/);
    await assertAccessible(page);
    await shot('3-outbox');

    // The code on the page is the real one: ann signs in with it and is asked for a new password.
    const sdk = idpClient(server.url);
    const r = await sdk.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'ann', PASSWORD: temporaryPassword, SECRET_HASH: computeSecretHash(clientSecret, 'ann', clientId) },
      }),
    );
    assert.equal(r.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    const done = await sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: r.Session,
        ChallengeResponses: { USERNAME: 'ann', NEW_PASSWORD: 'Correct#Horse1', SECRET_HASH: computeSecretHash(clientSecret, 'ann', clientId) },
      }),
    );
    assert.ok(done.AuthenticationResult?.IdToken);
  });

  test('sets and resets a password; a refused action shows Cognito’s error', async () => {
    await page.goto(`${base}/pools/${poolId}/users/ann`);
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Set password', exact: true }).click();
    assert.match((await page.getByRole('alert').textContent())!, /^InvalidPasswordException: Password did not conform with password policy: Password not long enough/);

    await page.getByLabel('New password').fill('Another#Horse2');
    await page.getByLabel('Permanent').check();
    await page.getByRole('button', { name: 'Set password', exact: true }).click();
    assert.equal(await page.getByRole('status').textContent(), 'Password set.');

    await page.getByRole('button', { name: 'Reset password' }).click();
    assert.match((await page.getByRole('status').textContent())!, /Password reset/);
    assert.match((await page.locator('main dl').first().textContent())!, /RESET_REQUIRED/);
    await assertAccessible(page);
    await shot('4-password-reset');

    // The reset code, read on the outbox page, lets ann choose a new password.
    await page.goto(`${base}/outbox?to=ann%40example.com`);
    const code = (await page.locator('#outbox tbody tr').first().locator('code.code').textContent())!;
    assert.match(code, /^\d{6}$/);
    await idpClient(server.url).send(
      new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'ann', ConfirmationCode: code, Password: 'Third#Horse3', SecretHash: computeSecretHash(clientSecret, 'ann', clientId) }),
    );
  });

  test('finds one user among 100,000 by email prefix, and pages through them', async () => {
    await page.goto(`${base}/pools/${bigPool}/users`);
    assert.equal(await page.locator('table tbody tr').count(), 60);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.getByRole('link', { name: 'Next page' }).click();
    assert.match((await page.locator('main').textContent())!, /Page 3, 60 user\(s\)/);
    assert.equal(await page.locator('table tbody tr').count(), 60);
    assert.match((await page.locator('table tbody tr').first().textContent())!, /user000120/);
    await page.getByRole('link', { name: 'Previous page' }).click();
    assert.match((await page.locator('main').textContent())!, /Page 2, 60 user\(s\)/);
    assert.match((await page.locator('table tbody tr').first().textContent())!, /user000060/);

    await page.getByLabel('ListUsers filter').fill('email ^= "user054321"');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('table tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent())!, /user054321@example\.com/);
    await assertAccessible(page);
    await shot('5-search-100k');
    await rows.first().getByRole('link').click();
    assert.equal(await page.locator('h1').textContent(), 'User user054321');
  });

  test('inspects an ID token against the pool’s JWKS', async () => {
    const sdk = idpClient(server.url);
    const r = await sdk.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'ann', PASSWORD: 'Third#Horse3', SECRET_HASH: computeSecretHash(clientSecret, 'ann', clientId) },
      }),
    );
    await page.getByRole('link', { name: 'Token inspector' }).click();
    await page.getByLabel('JWT (ID or access token)').fill(r.AuthenticationResult!.IdToken!);
    await page.getByRole('button', { name: 'Inspect' }).click();
    const checks = (await page.locator('#checks').textContent())!;
    assert.doesNotMatch(checks, /Fail/);
    assert.match(checks, /signature verifies/);
    assert.match((await page.locator('#claims').textContent())!, /"cognito:username": "ann"/);
    await assertAccessible(page);
    await shot('6-token-inspector');

    // A tampered token fails its signature check.
    const [h, p, s] = r.AuthenticationResult!.IdToken!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), email: 'mallory@example.com' })).toString('base64url');
    await page.getByLabel('JWT (ID or access token)').fill(`${h}.${forged}.${s}`);
    await page.getByRole('button', { name: 'Inspect' }).click();
    assert.match((await page.locator('#checks').textContent())!, /Fail: RS256 signature does not verify/);
  });
});
