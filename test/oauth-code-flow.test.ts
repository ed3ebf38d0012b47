import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { claims } from './helpers/sign-in.ts';
import { Browser, CALLBACK, hostedPool, type HostedPool, LOGOUT, signInThrough } from './helpers/hosted-ui.ts';

/**
 * The authorization code flow end to end with openid-client (panva, v6), a client nobody here
 * wrote: discovery from the pool's issuer, a confidential client with a secret (Basic), a public
 * client with PKCE, then refresh, userInfo and revocation; the hosted-UI session and logout.
 */
describe('OAuth code flow with openid-client', () => {
  let server: Running;
  let hp: HostedPool;
  let issuer: URL;

  before(async () => {
    server = await startTestServer();
    hp = await hostedPool(server.url);
    issuer = new URL(`${server.url}/${hp.poolId}`);
  });
  after(() => server.close());

  test('the discovery document names the domain endpoints, and they answer', async () => {
    const doc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    assert.equal(doc.authorization_endpoint, `${hp.base}/oauth2/authorize`);
    assert.equal(doc.token_endpoint, `${hp.base}/oauth2/token`);
    assert.equal(doc.userinfo_endpoint, `${hp.base}/oauth2/userInfo`);
    assert.equal(doc.revocation_endpoint, `${hp.base}/oauth2/revoke`);
    assert.equal(doc.end_session_endpoint, `${hp.base}/logout`);
    const r = await fetch(doc.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { error: 'invalid_request' });
  });

  test('a confidential client: code, tokens, refresh, userInfo, revoke', async () => {
    const config = await oidc.discovery(issuer, hp.web.clientId, undefined, oidc.ClientSecretBasic(hp.web.clientSecret), {
      execute: [oidc.allowInsecureRequests],
    });
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid email profile', state, nonce });
    const callback = await signInThrough(new Browser(), url.href);
    assert.equal(`${callback.origin}${callback.pathname}`, CALLBACK);
    assert.equal(callback.searchParams.get('state'), state);

    const tokens = await oidc.authorizationCodeGrant(config, callback, { expectedState: state, expectedNonce: nonce });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.refresh_token);
    const id = tokens.claims()!;
    assert.equal(id.nonce, nonce);
    assert.equal(id.aud, hp.web.clientId);
    assert.equal(id['cognito:username'], 'alice');
    assert.equal(id.email, 'alice@example.com');
    const access = claims(tokens.access_token);
    assert.equal(access.scope, 'openid email profile');
    assert.equal(access.version, 2);
    assert.equal(access.client_id, hp.web.clientId);
    assert.equal(access.username, 'alice');
    assert.equal(access.token_use, 'access');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, id.sub);
    assert.equal(info.sub, id.sub);
    assert.equal(info.email, 'alice@example.com');
    assert.equal(info.email_verified, 'true', 'userInfo answers strings, as Cognito');
    assert.equal(info.username, 'alice');
    // openid alone opens every attribute the client can read; email only email's.
    const emailOnly = await signInThrough(new Browser(), oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid email', state: 's2' }).href);
    const t2 = await oidc.authorizationCodeGrant(config, emailOnly, { expectedState: 's2' });
    assert.deepEqual(Object.keys(await oidc.fetchUserInfo(config, t2.access_token, id.sub)).sort(), ['email', 'email_verified', 'sub', 'username']);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const again = claims(refreshed.access_token);
    assert.equal(again.scope, 'openid email profile', 'a refresh keeps the granted scopes');
    assert.equal(again.version, 2);
    assert.equal(again.origin_jti, access.origin_jti);
    assert.notEqual(again.jti, access.jti);
    assert.equal(refreshed.refresh_token, undefined);

    await oidc.tokenRevocation(config, tokens.refresh_token!);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (e: any) => e.error === 'invalid_grant');
    // Revocation ends the sign-in's access tokens too.
    const ui = await fetch(`${hp.base}/oauth2/userInfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(ui.status, 401);
    assert.match(ui.headers.get('www-authenticate')!, /invalid_token/);
  });

  test('a public client with PKCE (S256); the session signs in a second time without the form', async () => {
    const config = await oidc.discovery(issuer, hp.spa.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const challenge = await oidc.calculatePKCECodeChallenge(verifier);
    const params = { redirect_uri: CALLBACK, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' };
    const callback = await signInThrough(browser, oidc.buildAuthorizationUrl(config, params).href);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
    assert.equal(claims(tokens.access_token).scope, 'openid');
    assert.equal(tokens.claims()!.aud, hp.spa.clientId);

    // Same browser: the hosted-UI session answers the next authorize straight away.
    const verifier2 = oidc.randomPKCECodeVerifier();
    const second = await browser.get(
      oidc.buildAuthorizationUrl(config, { ...params, code_challenge: await oidc.calculatePKCECodeChallenge(verifier2) }).href,
    );
    assert.equal(second.status, 302);
    const back = new URL(second.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    const t2 = await oidc.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier2 });
    assert.equal(t2.claims()!.sub, tokens.claims()!.sub);

    // prompt=login shows the form again despite the session.
    const forced = await browser.get(oidc.buildAuthorizationUrl(config, { ...params, prompt: 'login' }).href);
    assert.match(forced.headers.get('location')!, /\/login\?/);

    // Logout ends the session and goes to a registered logout_uri only.
    const out = await browser.get(`${hp.base}/logout?client_id=${hp.spa.clientId}&logout_uri=${encodeURIComponent(LOGOUT)}`);
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), LOGOUT);
    const none = await browser.get(oidc.buildAuthorizationUrl(config, { ...params, prompt: 'none', state: 's1' }).href);
    const noneBack = new URL(none.headers.get('location')!);
    assert.equal(noneBack.searchParams.get('error'), 'login_required');
    assert.equal(noneBack.searchParams.get('state'), 's1');
    const evil = await browser.get(`${hp.base}/logout?client_id=${hp.spa.clientId}&logout_uri=${encodeURIComponent('https://evil.example/')}`);
    assert.equal(evil.status, 302);
    assert.match(evil.headers.get('location')!, /\/error\?error=redirect_mismatch/);
  });

  test('PKCE plain, the implicit flow, and tokens from the API still carry the API scope', async () => {
    const browser = new Browser();
    const verifier = 'v'.repeat(50);
    const q = new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK, code_challenge: verifier, code_challenge_method: 'plain' });
    const cb = await signInThrough(browser, `${hp.base}/oauth2/authorize?${q}`);
    const code = cb.searchParams.get('code')!;
    const r = await fetch(`${hp.base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code, redirect_uri: CALLBACK, code_verifier: verifier }),
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^application\/json/);
    const body = await r.json();
    assert.deepEqual(Object.keys(body), ['id_token', 'access_token', 'refresh_token', 'expires_in', 'token_type']);
    assert.equal(body.expires_in, 3600);

    const implicit = new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'token', redirect_uri: CALLBACK, scope: 'openid email', state: 'st', nonce: 'n-1' });
    const frag = await browser.get(`${hp.base}/oauth2/authorize?${implicit}`);
    const loc = new URL(frag.headers.get('location')!);
    const f = new URLSearchParams(loc.hash.slice(1));
    assert.equal(f.get('state'), 'st');
    assert.equal(f.get('token_type'), 'Bearer');
    assert.equal(f.get('refresh_token'), null);
    assert.equal(claims(f.get('id_token')!).nonce, 'n-1');
    assert.equal(claims(f.get('access_token')!).scope, 'openid email');

    const api = await idpClient(server.url).send(
      new InitiateAuthCommand({ ClientId: hp.spa.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'Correct#Horse1' } }),
    );
    const apiAccess = claims(api.AuthenticationResult!.AccessToken!);
    assert.equal(apiAccess.scope, 'aws.cognito.signin.user.admin');
    assert.equal(apiAccess.version, undefined);
    // An API token has no openid scope: userInfo refuses it.
    const ui = await fetch(`${hp.base}/oauth2/userInfo`, { headers: { authorization: `Bearer ${api.AuthenticationResult!.AccessToken}` } });
    assert.equal(ui.status, 401);
  });
});
