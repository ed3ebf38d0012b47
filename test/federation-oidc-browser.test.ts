import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { AdminUpdateUserAttributesCommand, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { chromium as playwright, type Browser } from 'playwright-core';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { claims } from './helpers/sign-in.ts';
import { PASSWORD } from './helpers/hosted-ui.ts';
import { createProvider, type Downstream, downstreamPool, offer, redeem, type Upstream, upstreamPool, upstreamUser } from './helpers/federation.ts';

/**
 * A federated sign-in in a real Chromium (@sparticuz/chromium driven by playwright-core, started
 * as in hosted-ui-browser.test.ts): the app sends the browser to Tobira's
 * /oauth2/authorize?identity_provider=Upstream on `<prefix>.auth.us-east-1.localhost`; the
 * upstream, a second Tobira pool whose hosted UI is the OIDC provider, shows its own /login on its
 * own host; the answer comes back through /oauth2/idpresponse to the app. The second sign-in goes
 * by the provider's button on Tobira's /login. Screenshots go to test-artifacts/federation/.
 */

const SYSTEM_NSS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib'];
async function chromiumPackage() {
  if (!SYSTEM_NSS.some((dir) => existsSync(`${dir}/libnss3.so`))) process.env.AWS_LAMBDA_JS_RUNTIME ??= 'nodejs20.x';
  return (await import('@sparticuz/chromium')).default;
}

const ARTIFACTS = new URL('../test-artifacts/federation/', import.meta.url);

describe('federation through the hosted UI in a browser', () => {
  let server: Running;
  let app: Server;
  let callback: string;
  let browser: Browser;
  let up: Upstream;
  let down: Downstream;
  let downHost: string;
  let sub: string;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startTestServer();
    const port = new URL(server.url).port;
    app = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<h1>Callback</h1><p>${req.url!.replace(/[<>&"]/g, '')}</p>`));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    callback = `http://localhost:${(app.address() as AddressInfo).port}/callback`;

    down = await downstreamPool(server.url, [callback]);
    downHost = `http://${down.prefix}.auth.us-east-1.localhost:${port}`;
    up = await upstreamPool(server.url, [`${downHost}/oauth2/idpresponse`]);
    await createProvider(server.url, {
      UserPoolId: down.poolId,
      ProviderName: 'Upstream',
      ProviderType: 'OIDC',
      ProviderDetails: {
        client_id: up.clientId,
        client_secret: up.clientSecret,
        attributes_request_method: 'GET',
        oidc_issuer: up.issuer,
        authorize_scopes: 'openid email profile',
        // The browser meets the upstream on its own host; discovery supplies the rest.
        authorize_url: `http://${up.prefix}.auth.us-east-1.localhost:${port}/oauth2/authorize`,
      },
      AttributeMapping: { email: 'email', name: 'name', username: 'sub' },
    });
    await offer(server.url, down, ['Upstream'], [callback]);
    sub = await upstreamUser(server.url, up, 'uma', { email: 'uma@example.com', name: 'Uma Upstream' });

    const chromium = await chromiumPackage();
    const args = chromium.args.filter((a) => a !== '--disable-web-security');
    if (process.getuid?.() === 0 && !args.includes('--no-sandbox')) args.push('--no-sandbox');
    args.push('--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1');
    browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await server?.close();
  });

  test('identity_provider=Upstream, then the provider button on /login: <Provider>_<sub>, EXTERNAL_PROVIDER, identities, updated attributes', async () => {
    const page = await (await browser.newContext()).newPage();
    const shot = (name: string) => page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
    const q = new URLSearchParams({ client_id: down.clientId, response_type: 'code', redirect_uri: callback, scope: 'openid email profile', state: 'browser-1' });
    await page.goto(`${downHost}/oauth2/authorize?${q}&identity_provider=Upstream`);
    // At the upstream's own sign-in page, on its own host.
    assert.equal(new URL(page.url()).hostname, `${up.prefix}.auth.us-east-1.localhost`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await shot('01-upstream-login');
    await page.getByLabel('Username').fill('uma');
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.getByRole('button', { name: 'Sign in' }).click()]);
    await shot('02-callback');
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), 'browser-1');
    const id = claims((await redeem(down, landed, callback)).id_token);
    assert.equal(id['cognito:username'], `Upstream_${sub}`);
    assert.equal(id.name, 'Uma Upstream');
    assert.equal(id.identities[0].providerName, 'Upstream');
    assert.equal(id.identities[0].primary, 'true');

    const sdk = idpClient(server.url);
    const listed = (await sdk.send(new ListUsersCommand({ UserPoolId: down.poolId }))).Users!;
    assert.deepEqual(listed.map((u) => [u.Username, u.UserStatus]), [[`Upstream_${sub}`, 'EXTERNAL_PROVIDER']]);

    // Renamed upstream; a fresh browser signs in by the button on Tobira's /login.
    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: up.poolId, Username: 'uma', UserAttributes: [{ Name: 'name', Value: 'Uma Renamed' }] }));
    const page2 = await (await browser.newContext()).newPage();
    q.set('state', 'browser-2');
    await page2.goto(`${downHost}/oauth2/authorize?${q}`);
    assert.equal(new URL(page2.url()).pathname, '/login');
    await page2.screenshot({ path: new URL('03-login-with-provider-button.png', ARTIFACTS).pathname, fullPage: true });
    await Promise.all([page2.waitForURL((u) => u.hostname.startsWith(up.prefix)), page2.getByRole('button', { name: 'Continue with Upstream' }).click()]);
    await page2.getByLabel('Username').fill('uma');
    await page2.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page2.waitForURL((u) => u.href.startsWith(callback)), page2.keyboard.press('Enter')]);
    const landed2 = new URL(page2.url());
    assert.equal(landed2.searchParams.get('state'), 'browser-2');
    const id2 = claims((await redeem(down, landed2, callback)).id_token);
    assert.equal(id2.sub, id.sub);
    assert.equal(id2.name, 'Uma Renamed');
  });
});
