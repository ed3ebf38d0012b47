import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CompleteWebAuthnRegistrationCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteWebAuthnCredentialCommand,
  GetUserAuthFactorsCommand,
  GetUserPoolMfaConfigCommand,
  InitiateAuthCommand,
  ListWebAuthnCredentialsCommand,
  RespondToAuthChallengeCommand,
  SetUserPoolMfaConfigCommand,
  StartWebAuthnRegistrationCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { chromium as playwright, type Browser, type CDPSession, type Page } from 'playwright-core';
import type { Running } from '../src/tobira.ts';
import { idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { claims, userWithPassword } from './helpers/sign-in.ts';

/**
 * Passkeys from a real Chromium (the one the npm package @sparticuz/chromium ships, driven by
 * playwright-core), with the virtual authenticator of the DevTools protocol's WebAuthn domain:
 * a page served on http://localhost calls Tobira's API with fetch (cross-origin: Tobira answers
 * CORS) to register a passkey and sign in with it, through navigator.credentials.create / get.
 */

const PASSWORD = 'Correct#Horse1';

const SYSTEM_NSS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib'];

/** @sparticuz/chromium, told to bring its own libraries when the system has no libnss3. */
async function chromiumPackage() {
  if (!SYSTEM_NSS.some((dir) => existsSync(`${dir}/libnss3.so`))) process.env.AWS_LAMBDA_JS_RUNTIME ??= 'nodejs20.x';
  return (await import('@sparticuz/chromium')).default;
}
const PAGE = readFileSync(new URL('./fixtures/passkey-page.html', import.meta.url), 'utf8');

describe('passkeys in a browser', () => {
  let server: Running;
  let sdk: CognitoIdentityProviderClient;
  let poolId: string;
  let clientId: string;
  let pageServer: Server;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let accessToken: string;

  const signIn = async (username: string) => {
    const r = await sdk.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: 'PASSWORD', PASSWORD } }),
    );
    return r.AuthenticationResult!.AccessToken!;
  };

  before(async () => {
    server = await startTestServer();
    sdk = idpClient(server.url);
    const p = await sdk.send(
      new CreateUserPoolCommand({ PoolName: 'passkeys', Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'WEB_AUTHN'] } } }),
    );
    poolId = p.UserPool!.Id!;
    const mfa = await sdk.send(
      new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OFF', WebAuthnConfiguration: { RelyingPartyId: 'localhost', UserVerification: 'required' } }),
    );
    assert.deepEqual(mfa.WebAuthnConfiguration, { RelyingPartyId: 'localhost', UserVerification: 'required', FactorConfiguration: 'SINGLE_FACTOR' });
    assert.deepEqual((await sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }))).WebAuthnConfiguration, mfa.WebAuthnConfiguration);
    const c = await sdk.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'web', ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    clientId = c.UserPoolClient!.ClientId!;
    await userWithPassword(server.url, poolId, 'alice', PASSWORD, { attributes: { email: 'alice@example.com', email_verified: 'true' } });
    accessToken = await signIn('alice');

    pageServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE));
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    const port = (pageServer.address() as AddressInfo).port;

    // The Chromium of @sparticuz/chromium runs on a machine with npm only: it links against NSS,
    // and where the system has none, the package's own copies (made for Amazon Linux, which it
    // unpacks and puts on LD_LIBRARY_PATH when it believes it runs there) serve. Its default flags
    // turn web security off; that is left out, so the page's calls to Tobira are real CORS requests.
    const chromium = await chromiumPackage();
    const args = chromium.args.filter((a) => a !== '--disable-web-security');
    if (process.getuid?.() === 0 && !args.includes('--no-sandbox')) args.push('--no-sandbox');
    args.push('--host-resolver-rules=MAP localhost 127.0.0.1');
    browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
    const context = await browser.newContext();
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const added = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    authenticatorId = added.authenticatorId;
    const url = new URL(`http://localhost:${port}/`);
    url.searchParams.set('endpoint', server.url);
    url.searchParams.set('client', clientId);
    await page.goto(url.toString());
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
    await server?.close();
  });

  const register = () => page.evaluate((token) => (window as any).registerPasskey(token), accessToken) as Promise<string>;
  const passkeySignIn = (username: string, allow?: string) =>
    page.evaluate(([u, a]) => (window as any).signInWithPasskey(u, a), [username, allow] as const) as Promise<{
      ok: boolean;
      result?: any;
      error?: { name: string; message: string };
      assertion: any;
    }>;

  test('a passkey is registered and signs in from the page; its counter is kept', async () => {
    const credentialId = await register();
    const listed = await sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken }));
    assert.equal(listed.Credentials!.length, 1);
    const [cred] = listed.Credentials!;
    assert.equal(cred.CredentialId, credentialId);
    assert.equal(cred.RelyingPartyId, 'localhost');
    assert.deepEqual(cred.AuthenticatorTransports, ['internal']);
    assert.equal(cred.AuthenticatorAttachment, 'platform');
    assert.ok(cred.CreatedAt instanceof Date);
    const factors = await sdk.send(new GetUserAuthFactorsCommand({ AccessToken: accessToken }));
    assert.deepEqual(factors.ConfiguredUserAuthFactors, ['PASSWORD', 'WEB_AUTHN']);

    const first = await passkeySignIn('alice');
    assert.ok(first.ok, JSON.stringify(first.error));
    assert.equal(claims(first.result.AuthenticationResult.AccessToken)['username'], 'alice');
    const afterFirst = (await server.app.store.webauthn.get(poolId, credentialId))!.signCount;
    const second = await passkeySignIn('alice');
    assert.ok(second.ok, JSON.stringify(second.error));
    const afterSecond = (await server.app.store.webauthn.get(poolId, credentialId))!.signCount;
    assert.ok(afterSecond > afterFirst, `counter ${afterFirst} -> ${afterSecond}`);

    mkdirSync(new URL('../test-artifacts/', import.meta.url), { recursive: true });
    await page.screenshot({ path: new URL('../test-artifacts/passkey-sign-in.png', import.meta.url).pathname, fullPage: true });

    // The same assertion again, on a new challenge: refused.
    const fresh = await sdk.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'alice', PREFERRED_CHALLENGE: 'WEB_AUTHN' } }),
    );
    assert.equal(fresh.ChallengeName, 'WEB_AUTHN');
    const replay = await sdkError(
      sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: 'WEB_AUTHN',
          Session: fresh.Session,
          ChallengeResponses: { USERNAME: 'alice', CREDENTIAL: JSON.stringify(second.assertion) },
        }),
      ),
    );
    assert.equal(replay.name, 'NotAuthorizedException');
  });

  test('refused: an assertion carrying another origin, an unregistered credential, a user not verified', async () => {
    // An assertion for a live challenge whose client data names another origin. (The browser
    // itself will not sign for RP ID "localhost" on another origin, so the origin is rewritten.)
    const started = await sdk.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'alice', PREFERRED_CHALLENGE: 'WEB_AUTHN' } }),
    );
    const options = JSON.parse(started.ChallengeParameters!.CREDENTIAL_REQUEST_OPTIONS);
    assert.equal(options.rpId, 'localhost');
    assert.equal(options.userVerification, 'required');
    const assertion = await page.evaluate((o) => (window as any).getAssertion(o), options);
    const data = JSON.parse(Buffer.from(assertion.response.clientDataJSON, 'base64url').toString('utf8'));
    assert.match(data.origin, /^http:\/\/localhost:\d+$/);
    const forged = { ...assertion, response: { ...assertion.response, clientDataJSON: Buffer.from(JSON.stringify({ ...data, origin: 'https://evil.example' })).toString('base64url') } };
    const foreign = await sdkError(
      sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: 'WEB_AUTHN',
          Session: started.Session,
          ChallengeResponses: { USERNAME: 'alice', CREDENTIAL: JSON.stringify(forged) },
        }),
      ),
    );
    assert.equal(foreign.name, 'NotAuthorizedException');
    assert.match(foreign.message, /origin/);

    // A passkey for this relying party that Tobira never registered.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const strayId = randomBytes(16);
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: strayId.toString('base64'),
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
        userHandle: Buffer.from('stranger').toString('base64'),
        signCount: 0,
      },
    });
    const stray = await passkeySignIn('alice', strayId.toString('base64url'));
    // Chromium's virtual authenticator keeps three discoverable credentials at most.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: strayId.toString('base64') });
    assert.equal(stray.ok, false);
    assert.equal(stray.error!.name, 'NotAuthorizedException');
    assert.match(stray.error!.message, /not registered/);

    // The pool requires user verification: an assertion without it (the page asked for none) is refused.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    try {
      const started2 = await sdk.send(
        new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'alice', PREFERRED_CHALLENGE: 'WEB_AUTHN' } }),
      );
      const o2 = JSON.parse(started2.ChallengeParameters!.CREDENTIAL_REQUEST_OPTIONS);
      const unverified = await page.evaluate((o) => (window as any).getAssertion({ ...o, userVerification: 'discouraged' }), o2);
      const refused = await sdkError(
        sdk.send(
          new RespondToAuthChallengeCommand({
            ClientId: clientId,
            ChallengeName: 'WEB_AUTHN',
            Session: started2.Session,
            ChallengeResponses: { USERNAME: 'alice', CREDENTIAL: JSON.stringify(unverified) },
          }),
        ),
      );
      assert.equal(refused.name, 'NotAuthorizedException');
      assert.match(refused.message, /verif/i);
    } finally {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    }
  });

  test('race: one assertion answered concurrently signs in once', async (t) => {
    await userWithPassword(server.url, poolId, 'eve', PASSWORD);
    const eveCredential: string = await page.evaluate((token) => (window as any).registerPasskey(token), await signIn('eve'));
    t.after(() => cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: Buffer.from(eveCredential, 'base64url').toString('base64') }));
    const started = await sdk.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'eve', PREFERRED_CHALLENGE: 'WEB_AUTHN' } }),
    );
    const assertion = await page.evaluate((o) => (window as any).getAssertion(o), JSON.parse(started.ChallengeParameters!.CREDENTIAL_REQUEST_OPTIONS));
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        sdk.send(
          new RespondToAuthChallengeCommand({
            ClientId: clientId,
            ChallengeName: 'WEB_AUTHN',
            Session: started.Session,
            ChallengeResponses: { USERNAME: 'eve', CREDENTIAL: JSON.stringify(assertion) },
          }),
        ),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as Error).name, 'NotAuthorizedException');
  });

  test('hostile CREDENTIAL values are refused with Cognito errors, never a 500', async () => {
    // A user of its own: the refusals count toward the user's lockout.
    await userWithPassword(server.url, poolId, 'dora', PASSWORD);
    await page.evaluate((token) => (window as any).registerPasskey(token), await signIn('dora'));
    const started = await sdk.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'dora', PREFERRED_CHALLENGE: 'WEB_AUTHN' } }),
    );
    const valid = await page.evaluate((o) => (window as any).getAssertion(o), JSON.parse(started.ChallengeParameters!.CREDENTIAL_REQUEST_OPTIONS));
    const hostile = [
      'null',
      '[]',
      '"x"',
      '{',
      '{"__proto__":{"polluted":true},"id":"a","rawId":"a","type":"public-key","response":{}}',
      JSON.stringify({ ...valid, response: { ...valid.response, clientDataJSON: '!!!' } }),
      JSON.stringify({ ...valid, response: { ...valid.response, authenticatorData: 'AAAA' } }),
      JSON.stringify({ ...valid, response: { ...valid.response, signature: Buffer.alloc(70).toString('base64url') } }),
      JSON.stringify({ ...valid, id: 'A'.repeat(5000) }),
      '['.repeat(10000),
    ];
    for (const CREDENTIAL of hostile) {
      const r = await rawCall(server.url, 'RespondToAuthChallenge', {
        ClientId: clientId,
        ChallengeName: 'WEB_AUTHN',
        Session: started.Session,
        ChallengeResponses: { USERNAME: 'dora', CREDENTIAL },
      });
      assert.equal(r.status, 400, `${CREDENTIAL.slice(0, 60)}: ${r.text}`);
      assert.ok(['InvalidParameterException', 'NotAuthorizedException'].includes(r.json.__type), r.text);
      // A refused answer does not spend the session.
      assert.doesNotMatch(r.json.message, /used once/);
    }
    assert.equal(({} as any).polluted, undefined);
  });

  test('registration refusals: another origin, another client, no challenge, a pool without passkeys', async () => {
    // A real attestation whose client data is rewritten to another origin.
    const { CredentialCreationOptions } = await sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }));
    const options = CredentialCreationOptions as any;
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.authenticatorSelection.userVerification, 'required');
    assert.equal(options.excludeCredentials.length, 1);
    const created = await page.evaluate((o) => (window as any).createCredential({ ...o, excludeCredentials: [] }), options);
    const data = JSON.parse(Buffer.from(created.response.clientDataJSON, 'base64url').toString('utf8'));
    const forged = { ...created, response: { ...created.response, clientDataJSON: Buffer.from(JSON.stringify({ ...data, origin: 'https://evil.example' })).toString('base64url') } };
    const foreign = await sdkError(sdk.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: forged })));
    assert.equal(foreign.name, 'WebAuthnOriginNotAllowedException');

    // The access token of another client than the one that started.
    const other = await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'other', ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }));
    const otherToken = (
      await sdk.send(
        new InitiateAuthCommand({
          ClientId: other.UserPoolClient!.ClientId!,
          AuthFlow: 'USER_AUTH',
          AuthParameters: { USERNAME: 'alice', PREFERRED_CHALLENGE: 'PASSWORD', PASSWORD },
        }),
      )
    ).AuthenticationResult!.AccessToken!;
    const mismatch = await sdkError(sdk.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: otherToken, Credential: created })));
    assert.equal(mismatch.name, 'WebAuthnClientMismatchException');

    // Not an attestation at all.
    const garbage = await sdkError(sdk.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: accessToken, Credential: { id: 'x' } })));
    assert.equal(garbage.name, 'InvalidParameterException');

    // A user who started no registration has no challenge to answer.
    await userWithPassword(server.url, poolId, 'carol', PASSWORD);
    const none = await sdkError(sdk.send(new CompleteWebAuthnRegistrationCommand({ AccessToken: await signIn('carol'), Credential: created })));
    assert.equal(none.name, 'WebAuthnChallengeNotFoundException');

    const plain = await sdk.send(new CreateUserPoolCommand({ PoolName: 'no-passkeys' }));
    const plainClient = await sdk.send(
      new CreateUserPoolClientCommand({ UserPoolId: plain.UserPool!.Id!, ClientName: 'c', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    await userWithPassword(server.url, plain.UserPool!.Id!, 'bob', PASSWORD);
    const bobToken = (
      await sdk.send(
        new InitiateAuthCommand({ ClientId: plainClient.UserPoolClient!.ClientId!, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'bob', PASSWORD } }),
      )
    ).AuthenticationResult!.AccessToken!;
    const off = await sdkError(sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: bobToken })));
    assert.equal(off.name, 'WebAuthnNotEnabledException');
  });

  test('a deleted passkey no longer signs in', async () => {
    const listed = await sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken }));
    for (const c of listed.Credentials!) await sdk.send(new DeleteWebAuthnCredentialCommand({ AccessToken: accessToken, CredentialId: c.CredentialId! }));
    assert.deepEqual((await sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: accessToken }))).Credentials, []);
    const again = await sdkError(sdk.send(new DeleteWebAuthnCredentialCommand({ AccessToken: accessToken, CredentialId: listed.Credentials![0].CredentialId! })));
    assert.equal(again.name, 'ResourceNotFoundException');
    const r = await sdk.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'alice', PREFERRED_CHALLENGE: 'WEB_AUTHN' } }),
    );
    assert.equal(r.ChallengeName, 'SELECT_CHALLENGE');
    assert.deepEqual(r.AvailableChallenges, ['PASSWORD_SRP', 'PASSWORD']);
  });
});
