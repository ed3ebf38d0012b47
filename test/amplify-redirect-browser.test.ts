import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { hostedPool, type HostedPool, PASSWORD } from './helpers/hosted-ui.ts';

/**
 * Amplify v6's signInWithRedirect against the hosted UI, in a real Chromium (launched as in
 * hosted-ui-browser.test.ts). A page on http://localhost, whose script is aws-amplify bundled by
 * esbuild (test/fixtures/amplify-redirect-app.ts), sends the browser to /oauth2/authorize with
 * PKCE; the user signs in on /login; back on the callback, Amplify exchanges the code at
 * /oauth2/token (a cross-origin fetch) and the page shows the user and the ID token's claims.
 *
 * Amplify always builds `https://<oauth.domain>/...`, so the domain is reached over TLS here:
 * a small TLS proxy with a throwaway self-signed certificate in front of Tobira, which Chromium
 * accepts with ignoreHTTPSErrors (README, "Amplify signInWithRedirect"). Screenshots go to
 * test-artifacts/amplify-redirect/.
 */

const SYSTEM_NSS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib'];
async function chromiumPackage() {
  if (!SYSTEM_NSS.some((dir) => existsSync(`${dir}/libnss3.so`))) process.env.AWS_LAMBDA_JS_RUNTIME ??= 'nodejs20.x';
  return (await import('@sparticuz/chromium')).default;
}

const ARTIFACTS = new URL('../test-artifacts/amplify-redirect/', import.meta.url);
const REGION = 'us-east-1';

/** A self-signed certificate for *.auth.<region>.localhost, made with the openssl CLI. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=tobira-test',
      '-addext', `subjectAltName=DNS:*.auth.${REGION}.localhost`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The https proxy Amplify needs uses a certificate made with the openssl command.
describe('Amplify signInWithRedirect in a browser', needs('openssl'), () => {
  let server: Running;
  let hp: HostedPool;
  let tls: Server;
  let app: Server;
  let clientId: string;
  let callback: string;
  let appUrl: string;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startTestServer();
    hp = await hostedPool(server.url);
    const tobira = new URL(server.url);

    // TLS in front of Tobira, as a reverse proxy would be; the Host header goes through unchanged.
    tls = createTlsServer(selfSignedCertificate(), (req, res) => {
      const upstream = request({ host: tobira.hostname, port: tobira.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    }) as unknown as Server;
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const domain = `${hp.prefix}.auth.${REGION}.localhost:${(tls.address() as AddressInfo).port}`;

    const bundle = await build({
      entryPoints: [new URL('./fixtures/amplify-redirect-app.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;

    // The app: the same page at / and /callback, with Amplify's configuration inlined.
    let config = '';
    app = createServer((req, res) => {
      const path = new URL(req.url!, 'http://localhost').pathname;
      if (path === '/app.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      if (!['/', '/callback', '/signed-out'].includes(path)) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><title>Photo app</title><h1>Photo app</h1><p id="status">Loading</p>` +
          `<button id="sign-in">Sign in</button> <button id="sign-out">Sign out</button>` +
          `<script>window.TOBIRA = ${config};</script><script src="/app.js"></script>`,
      );
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://localhost:${(app.address() as AddressInfo).port}`;
    callback = `${appUrl}/callback`;

    // A public client: code flow, PKCE (Amplify always sends a code_challenge), no secret.
    const c = await idpClient(server.url).send(
      new CreateUserPoolClientCommand({
        UserPoolId: hp.poolId,
        ClientName: 'Photo app',
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email', 'profile'],
        CallbackURLs: [callback],
        LogoutURLs: [`${appUrl}/signed-out`],
        SupportedIdentityProviders: ['COGNITO'],
      }),
    );
    clientId = c.UserPoolClient!.ClientId!;
    config = JSON.stringify({ userPoolId: hp.poolId, userPoolClientId: clientId, userPoolEndpoint: server.url, domain, callback, signedOut: `${appUrl}/signed-out` });

    const chromium = await chromiumPackage();
    const args = chromium.args.filter((a) => a !== '--disable-web-security');
    if (process.getuid?.() === 0 && !args.includes('--no-sandbox')) args.push('--no-sandbox');
    args.push('--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1');
    browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
    page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await new Promise((resolve) => tls?.close(resolve));
    await server?.close();
  });

  test('sign in with redirect: Tobira\'s /login, back on the callback Amplify has the tokens', async () => {
    await page.goto(appUrl);
    await page.waitForSelector('body[data-ready=true]');
    assert.match((await page.textContent('#status'))!, /^Signed out/);
    await shot('01-app-signed-out');

    await Promise.all([page.waitForURL(/\/login\?/), page.getByRole('button', { name: 'Sign in' }).click()]);
    const login = new URL(page.url());
    assert.equal(login.protocol, 'https:');
    assert.equal(login.hostname, `${hp.prefix}.auth.${REGION}.localhost`);
    assert.equal(login.searchParams.get('client_id'), clientId);
    assert.equal(login.searchParams.get('code_challenge_method'), 'S256');
    await shot('02-tobira-login');

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.waitForSelector('body[data-ready=true]');
    const error = await page.$('#error');
    assert.equal(error && (await error.textContent()), null);
    assert.equal(await page.textContent('#status'), 'Signed in as alice');
    const idClaims = JSON.parse((await page.textContent('#claims'))!);
    assert.equal(idClaims['cognito:username'], 'alice');
    assert.equal(idClaims.email, 'alice@example.com');
    assert.equal(idClaims.aud, clientId);
    assert.equal(idClaims.iss, `${server.url}/${hp.poolId}`);
    assert.deepEqual((await page.textContent('#access-scope'))!.split(' ').sort(), ['email', 'openid', 'profile']);
    // Amplify removed the code from the address bar once it had exchanged it.
    assert.equal(new URL(page.url()).searchParams.get('code'), null);
    await shot('03-callback-signed-in');

    // A reload: Amplify keeps the session in localStorage.
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await page.textContent('#status'), 'Signed in as alice');
  });

  test('signOut ends the hosted UI session too: the next sign-in shows /login again', async () => {
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${appUrl}/signed-out`)), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.waitForSelector('body[data-ready=true]');
    assert.match((await page.textContent('#status'))!, /^Signed out/);
    await shot('04-signed-out');
    await Promise.all([page.waitForURL(/\/login\?/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await shot('05-login-again');
  });
});
