import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  DeleteIdentitiesCommand,
  DescribeIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
  ListIdentitiesCommand,
  LookupDeveloperIdentityCommand,
  MergeDeveloperIdentitiesCommand,
  UnlinkDeveloperIdentityCommand,
  UnlinkIdentityCommand,
  type CreateIdentityPoolCommandInput,
} from '@aws-sdk/client-cognito-identity';
import { GlobalSignOutCommand } from '@aws-sdk/client-cognito-identity-provider';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ManualClock } from '../src/clock.ts';
import { verifyOpenIdToken } from '../src/domain/identity/identities.ts';
import { rotateOpenIdKey } from '../src/domain/identity/open-id-tokens.ts';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { addClient, createPoolAndClient, createUser, decodeJwt, httpJwksCache, sdkError, signIn } from './helpers/tokens.ts';

/**
 * Identities of identity pools through the JS SDK v3 (@aws-sdk/client-cognito-identity): GetId
 * with user pool, OIDC and developer logins, GetOpenIdToken verified by aws-jwt-verify against
 * Tobira's identity JWKS, linking and merging, the developer-identity operations, listing and
 * deleting, and the refusals with Cognito's words.
 */

const clock = new ManualClock(Date.now());
let t: Running;
let ci: CognitoIdentityClient;
const idp = () => idpClient(t.url);

const provider = (poolId: string) => `cognito-idp.us-east-1.amazonaws.com/${poolId}`;

async function identityPool(input: Partial<CreateIdentityPoolCommandInput>): Promise<string> {
  const r = await ci.send(
    new CreateIdentityPoolCommand({ IdentityPoolName: 'ids', AllowUnauthenticatedIdentities: false, ...input }),
  );
  return r.IdentityPoolId!;
}

before(async () => {
  t = await startTestServer({}, { clock });
  ci = new CognitoIdentityClient({
    endpoint: t.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'tobira-test-secret' },
    maxAttempts: 1,
  });
});
after(() => t.close());

describe('GetId and GetOpenIdToken with a Tobira user pool', () => {
  test('one identity per user, found again by either provider spelling; the OpenID token verifies with aws-jwt-verify', async () => {
    const up = await createPoolAndClient(idp());
    await createUser(idp(), up.poolId, 'alice');
    await createUser(idp(), up.poolId, 'bob');
    const poolId = await identityPool({ CognitoIdentityProviders: [{ ProviderName: provider(up.poolId), ClientId: up.clientId, ServerSideTokenCheck: true }] });
    const alice = await signIn(idp(), up.clientId, 'alice');

    const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [provider(up.poolId)]: alice.IdToken } }));
    assert.match(IdentityId!, /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const again = await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [`${t.url}/${up.poolId}`]: alice.IdToken } }));
    assert.equal(again.IdentityId, IdentityId, "Tobira's issuer form names the same provider");
    const bob = await signIn(idp(), up.clientId, 'bob');
    const other = await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [provider(up.poolId)]: bob.IdToken } }));
    assert.notEqual(other.IdentityId, IdentityId);

    const r = await ci.send(new GetOpenIdTokenCommand({ IdentityId, Logins: { [provider(up.poolId)]: alice.IdToken } }));
    assert.equal(r.IdentityId, IdentityId);
    const discovery = await (await fetch(`${t.url}/cognito-identity/.well-known/openid-configuration`)).json();
    assert.equal(discovery.issuer, `${t.url}/cognito-identity`);
    const verifier = JwtRsaVerifier.create({ issuer: discovery.issuer, audience: poolId, jwksUri: discovery.jwks_uri }, { jwksCache: httpJwksCache().cache });
    const claims = await verifier.verify(r.Token!);
    assert.equal(claims.sub, IdentityId);
    assert.equal(claims.aud, poolId);
    assert.deepEqual(claims.amr, ['authenticated', provider(up.poolId), `${provider(up.poolId)}:CognitoSignIn:${decodeJwt(alice.IdToken).payload.sub}`]);
    assert.equal(claims.exp! - claims.iat!, 600, 'GetOpenIdToken tokens last 10 minutes');
    assert.deepEqual(Object.keys(decodeJwt(r.Token!).payload), ['sub', 'aud', 'iss', 'amr', 'exp', 'iat']);

    // Without its logins, an authenticated identity is not handed out.
    assert.deepEqual(await sdkError(ci.send(new GetOpenIdTokenCommand({ IdentityId }))), {
      name: 'NotAuthorizedException',
      message: `Access to Identity '${IdentityId}' is forbidden.`,
    });
    // Another user's token does not open this identity.
    assert.deepEqual(await sdkError(ci.send(new GetOpenIdTokenCommand({ IdentityId, Logins: { [provider(up.poolId)]: bob.IdToken } }))), {
      name: 'NotAuthorizedException',
      message: "Logins don't match. Please include at least one valid login for this identity or identity pool.",
    });

    const described = await ci.send(new DescribeIdentityCommand({ IdentityId }));
    assert.deepEqual(described.Logins, [provider(up.poolId)]);
    assert.ok(described.CreationDate instanceof Date);
  });

  test('refusals: another user pool, an app client not listed, an access token, an expired token, a revoked one, a provider the pool does not list', async () => {
    const up = await createPoolAndClient(idp());
    const otherClient = await addClient(idp(), up.poolId);
    const elsewhere = await createPoolAndClient(idp());
    const unchecked = await addClient(idp(), up.poolId);
    await createUser(idp(), up.poolId, 'carol');
    await createUser(idp(), elsewhere.poolId, 'carol');
    const poolId = await identityPool({
      CognitoIdentityProviders: [
        { ProviderName: provider(up.poolId), ClientId: up.clientId, ServerSideTokenCheck: true },
        { ProviderName: provider(up.poolId), ClientId: unchecked.clientId, ServerSideTokenCheck: false },
      ],
    });
    const getId = (logins: Record<string, string>) => sdkError(ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: logins })));

    const foreign = await signIn(idp(), elsewhere.clientId, 'carol');
    assert.deepEqual(await getId({ [provider(up.poolId)]: foreign.IdToken }), {
      name: 'NotAuthorizedException',
      message: "Invalid login token. Issuer doesn't match providerName",
    });
    assert.deepEqual(await getId({ [provider(elsewhere.poolId)]: foreign.IdToken }), {
      name: 'NotAuthorizedException',
      message: 'Token is not from a supported provider of this identity pool.',
    });
    const viaOther = await signIn(idp(), otherClient.clientId, 'carol');
    assert.deepEqual(await getId({ [provider(up.poolId)]: viaOther.IdToken }), {
      name: 'NotAuthorizedException',
      message: 'Token is not from a supported provider of this identity pool.',
    });
    assert.deepEqual(await getId({ [provider(up.poolId)]: viaOther.AccessToken }), {
      name: 'NotAuthorizedException',
      message: 'Invalid login token. Missing a required claim: aud',
    });
    assert.deepEqual(await getId({ [provider(up.poolId)]: 'not-a-token' }), {
      name: 'NotAuthorizedException',
      message: "Invalid login token. Couldn't verify signed token.",
    });
    assert.deepEqual(await getId({ 'graph.facebook.com': 'EAAB...' }), {
      name: 'NotAuthorizedException',
      message: 'Token is not from a supported provider of this identity pool.',
    });

    const old = await signIn(idp(), up.clientId, 'carol');
    clock.advance(3600 * 1000 + 1000);
    try {
      const exp = decodeJwt(old.IdToken).payload.exp;
      assert.deepEqual(await getId({ [provider(up.poolId)]: old.IdToken }), {
        name: 'NotAuthorizedException',
        message: `Invalid login token. Token expired: ${Math.floor(clock.now() / 1000)} >= ${exp}`,
      });
    } finally {
      clock.advance(-(3600 * 1000 + 1000));
    }

    // GlobalSignOut: refused where ServerSideTokenCheck is on, still accepted where it is off.
    const signedIn = await signIn(idp(), up.clientId, 'carol');
    const signedInUnchecked = await signIn(idp(), unchecked.clientId, 'carol');
    await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [provider(up.poolId)]: signedIn.IdToken } }));
    clock.advance(1000);
    await idp().send(new GlobalSignOutCommand({ AccessToken: signedIn.AccessToken }));
    clock.advance(1000);
    assert.deepEqual(await getId({ [provider(up.poolId)]: signedIn.IdToken }), {
      name: 'NotAuthorizedException',
      message: 'Invalid login token. Token has been revoked.',
    });
    const ok = await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [provider(up.poolId)]: signedInUnchecked.IdToken } }));
    assert.ok(ok.IdentityId);
  });

  test('guests: refused by a pool that forbids them, a new identity each time otherwise, with an unauthenticated token', async () => {
    const closed = await identityPool({ AllowUnauthenticatedIdentities: false });
    assert.deepEqual(await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: closed }))), {
      name: 'NotAuthorizedException',
      message: 'Unauthenticated access is not supported for this identity pool.',
    });
    const open = await identityPool({ AllowUnauthenticatedIdentities: true });
    const a = await ci.send(new GetIdCommand({ IdentityPoolId: open }));
    const b = await ci.send(new GetIdCommand({ IdentityPoolId: open }));
    assert.notEqual(a.IdentityId, b.IdentityId);
    const r = await ci.send(new GetOpenIdTokenCommand({ IdentityId: a.IdentityId }));
    assert.deepEqual(decodeJwt(r.Token!).payload.amr, ['unauthenticated']);
    assert.deepEqual(await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000' }))), {
      name: 'ResourceNotFoundException',
      message: "IdentityPool 'us-east-1:00000000-0000-4000-8000-000000000000' not found.",
    });
    assert.deepEqual(await sdkError(ci.send(new GetOpenIdTokenCommand({ IdentityId: 'us-east-1:00000000-0000-4000-8000-000000000000' }))), {
      name: 'ResourceNotFoundException',
      message: "Identity 'us-east-1:00000000-0000-4000-8000-000000000000' not found.",
    });
  });

  test('GetOpenIdToken is the classic flow: refused where AllowClassicFlow is false, allowed where it is true or never set', async () => {
    for (const [setting, refused] of [[{ AllowClassicFlow: false }, true], [{ AllowClassicFlow: true }, false], [{}, false]] as const) {
      const poolId = await identityPool({ AllowUnauthenticatedIdentities: true, ...setting });
      const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId: poolId }));
      const asked = ci.send(new GetOpenIdTokenCommand({ IdentityId }));
      if (!refused) assert.ok((await asked).Token);
      else assert.deepEqual(await sdkError(asked), { name: 'InvalidParameterException', message: 'Basic (classic) flow is not enabled, please use enhanced flow.' });
    }
  });

  test('a guest signing in keeps its id; logins of two identities meeting merge them into the older', async () => {
    const up = await createPoolAndClient(idp());
    await createUser(idp(), up.poolId, 'dora');
    const poolId = await identityPool({
      AllowUnauthenticatedIdentities: true,
      DeveloperProviderName: 'login.example.app',
      CognitoIdentityProviders: [{ ProviderName: provider(up.poolId), ClientId: up.clientId }],
    });
    const dora = await signIn(idp(), up.clientId, 'dora');
    const guest = (await ci.send(new GetIdCommand({ IdentityPoolId: poolId }))).IdentityId!;
    const signedIn = await ci.send(new GetOpenIdTokenCommand({ IdentityId: guest, Logins: { [provider(up.poolId)]: dora.IdToken } }));
    assert.equal(signedIn.IdentityId, guest);
    assert.equal((await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [provider(up.poolId)]: dora.IdToken } }))).IdentityId, guest);

    // The developer user first has an identity of its own; naming both merges it into the older one.
    clock.advance(1000);
    const dev = await ci.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: poolId, Logins: { 'login.example.app': 'user-dora' } }));
    assert.notEqual(dev.IdentityId, guest);
    const merged = await ci.send(
      new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: poolId, Logins: { 'login.example.app': 'user-dora', [provider(up.poolId)]: dora.IdToken } }),
    );
    assert.equal(merged.IdentityId, guest);
    assert.deepEqual((await ci.send(new DescribeIdentityCommand({ IdentityId: guest }))).Logins?.sort(), ['login.example.app', provider(up.poolId)].sort());
    assert.equal((await sdkError(ci.send(new DescribeIdentityCommand({ IdentityId: dev.IdentityId })))).name, 'ResourceNotFoundException');

    // A second guest signing in with a login another identity has joins that identity: the answer names it.
    const guest2 = (await ci.send(new GetIdCommand({ IdentityPoolId: poolId }))).IdentityId!;
    const joined = await ci.send(new GetOpenIdTokenCommand({ IdentityId: guest2, Logins: { [provider(up.poolId)]: dora.IdToken } }));
    assert.equal(joined.IdentityId, guest);
    assert.equal((await sdkError(ci.send(new DescribeIdentityCommand({ IdentityId: guest2 })))).name, 'ResourceNotFoundException');

    // Another developer user cannot join an identity that has one user pool user, with another user's token.
    await createUser(idp(), up.poolId, 'ed');
    const ed = await signIn(idp(), up.clientId, 'ed');
    await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [provider(up.poolId)]: ed.IdToken } }));
    const clash = await sdkError(
      ci.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: poolId, Logins: { 'login.example.app': 'user-dora', [provider(up.poolId)]: ed.IdToken } })),
    );
    assert.equal(clash.name, 'ResourceConflictException');
  });
});

describe('the OpenID token key', () => {
  test('verifyOpenIdToken (for STS) checks our tokens; after a rotation the old key stays published and its tokens still verify', async () => {
    const poolId = await identityPool({ AllowUnauthenticatedIdentities: true });
    const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId: poolId }));
    const before = (await ci.send(new GetOpenIdTokenCommand({ IdentityId }))).Token!;
    const checked = await verifyOpenIdToken(t.app, before);
    assert.deepEqual([checked.identityId, checked.identityPoolId, checked.amr], [IdentityId, poolId, ['unauthenticated']]);
    assert.equal(checked.expiresAt, decodeJwt(before).payload.exp * 1000);

    const jwks1 = await (await fetch(`${t.url}/cognito-identity/.well-known/jwks_uri`)).json();
    const kid = await rotateOpenIdKey(t.app);
    const jwks2 = await (await fetch(`${t.url}/cognito-identity/.well-known/jwks.json`)).json();
    assert.deepEqual(jwks2.keys.map((k: any) => k.kid).sort(), [...jwks1.keys.map((k: any) => k.kid), kid].sort());
    const after = (await ci.send(new GetOpenIdTokenCommand({ IdentityId }))).Token!;
    assert.equal(decodeJwt(after).header.kid, kid);
    await verifyOpenIdToken(t.app, before);

    const [h, p, sig] = after.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(after).payload, sub: 'us-east-1:00000000-0000-4000-8000-000000000000' })).toString('base64url');
    await assert.rejects(verifyOpenIdToken(t.app, `${h}.${forged}.${sig}`), { message: "Invalid login token. Couldn't verify signed token." });
    clock.advance(601_000);
    try {
      await assert.rejects(verifyOpenIdToken(t.app, after), { message: /^Invalid login token\. Token expired: \d+ >= \d+$/ });
    } finally {
      clock.advance(-601_000);
    }
  });
});

describe('races', () => {
  test('concurrent first GetIds of one login, and concurrent developer calls for one user, make one identity', async () => {
    const up = await createPoolAndClient(idp());
    await createUser(idp(), up.poolId, 'gus');
    const poolId = await identityPool({ DeveloperProviderName: 'login.race.app', CognitoIdentityProviders: [{ ProviderName: provider(up.poolId), ClientId: up.clientId }] });
    const gus = await signIn(idp(), up.clientId, 'gus');
    const ids = await Promise.all(
      Array.from({ length: 8 }, () => ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [provider(up.poolId)]: gus.IdToken } }))),
    );
    assert.equal(new Set(ids.map((r) => r.IdentityId)).size, 1);
    const devs = await Promise.all(
      Array.from({ length: 8 }, () => ci.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: poolId, Logins: { 'login.race.app': 'user-race' } }))),
    );
    assert.equal(new Set(devs.map((r) => r.IdentityId)).size, 1);
    const listed = await ci.send(new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 60 }));
    assert.equal(listed.Identities!.length, 2);
  });
});

describe('developer-authenticated identities', () => {
  test('made, found, looked up, merged, unlinked, listed (paged, hiding disabled) and deleted', async () => {
    const poolId = await identityPool({ DeveloperProviderName: 'login.example.dev' });
    const dev = (user: string, extra: Partial<{ IdentityId: string; TokenDuration: number; PrincipalTags: Record<string, string> }> = {}) =>
      ci.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: poolId, Logins: { 'login.example.dev': user }, ...extra }));

    const a = await dev('user-a', { TokenDuration: 3600, PrincipalTags: { team: 'red' } });
    const payload = decodeJwt(a.Token!).payload;
    assert.equal(payload.exp - payload.iat, 3600);
    assert.deepEqual(payload.amr, ['authenticated', 'login.example.dev', `login.example.dev:${poolId}:user-a`]);
    assert.deepEqual(payload['https://aws.amazon.com/tags'], { principal_tags: { team: ['red'] } });
    assert.equal(decodeJwt((await dev('user-a')).Token!).payload.exp - decodeJwt((await dev('user-a')).Token!).payload.iat, 900, 'default 15 minutes');
    assert.equal((await dev('user-a')).IdentityId, a.IdentityId);
    assert.equal((await sdkError(dev('user-a', { TokenDuration: 86401 }))).name, 'ValidationException', 'the model caps TokenDuration at 86400');
    const b = await dev('user-b');
    assert.deepEqual(await sdkError(dev('user-b', { IdentityId: a.IdentityId })), {
      name: 'DeveloperUserAlreadyRegisteredException',
      message: 'The provided developer user identifier is already registered with Cognito under a different identity ID.',
    });
    assert.deepEqual(await sdkError(dev('user-c', { IdentityId: a.IdentityId })), {
      name: 'NotAuthorizedException',
      message: "Logins don't match. Please include at least one valid login for this identity or identity pool.",
    });
    assert.deepEqual(
      await sdkError(ci.send(new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: poolId, Logins: { 'login.other.dev': 'x' } }))),
      { name: 'NotAuthorizedException', message: 'This identity pool does not support the specified developer provider.' },
    );
    // An end user cannot name a developer user.
    assert.equal((await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { 'login.example.dev': 'user-a' } })))).name, 'NotAuthorizedException');

    const looked = await ci.send(new LookupDeveloperIdentityCommand({ IdentityPoolId: poolId, DeveloperUserIdentifier: 'user-b', MaxResults: 10 }));
    assert.deepEqual([looked.IdentityId, looked.DeveloperUserIdentifierList], [b.IdentityId, ['user-b']]);

    const merged = await ci.send(
      new MergeDeveloperIdentitiesCommand({ IdentityPoolId: poolId, DeveloperProviderName: 'login.example.dev', SourceUserIdentifier: 'user-b', DestinationUserIdentifier: 'user-a' }),
    );
    assert.equal(merged.IdentityId, a.IdentityId);
    const both = await ci.send(new LookupDeveloperIdentityCommand({ IdentityPoolId: poolId, IdentityId: a.IdentityId, MaxResults: 1 }));
    assert.deepEqual(both.DeveloperUserIdentifierList, ['user-a']);
    const rest = await ci.send(new LookupDeveloperIdentityCommand({ IdentityPoolId: poolId, IdentityId: a.IdentityId, MaxResults: 1, NextToken: both.NextToken }));
    assert.deepEqual(rest.DeveloperUserIdentifierList, ['user-b']);
    assert.equal((await sdkError(ci.send(new DescribeIdentityCommand({ IdentityId: b.IdentityId })))).name, 'ResourceNotFoundException');

    const c = await dev('user-c');
    for (const user of ['user-a', 'user-b']) {
      await ci.send(new UnlinkDeveloperIdentityCommand({ IdentityPoolId: poolId, IdentityId: a.IdentityId!, DeveloperProviderName: 'login.example.dev', DeveloperUserIdentifier: user }));
    }
    const all = await ci.send(new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 1 }));
    assert.equal(all.Identities!.length, 1);
    const second = await ci.send(new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 1, NextToken: all.NextToken }));
    assert.equal(second.NextToken, undefined);
    assert.deepEqual([...all.Identities!, ...second.Identities!].map((i) => i.IdentityId).sort(), [a.IdentityId, c.IdentityId].sort());
    const visible = await ci.send(new ListIdentitiesCommand({ IdentityPoolId: poolId, MaxResults: 10, HideDisabled: true }));
    assert.deepEqual(visible.Identities!.map((i) => i.IdentityId), [c.IdentityId]);
    // user-a is new again once unlinked.
    assert.notEqual((await dev('user-a')).IdentityId, a.IdentityId);

    const deleted = await ci.send(new DeleteIdentitiesCommand({ IdentityIdsToDelete: [c.IdentityId!, 'us-east-1:00000000-0000-4000-8000-000000000000'] }));
    assert.deepEqual(deleted.UnprocessedIdentityIds, [{ IdentityId: 'us-east-1:00000000-0000-4000-8000-000000000000', ErrorCode: 'AccessDenied' }]);
    assert.equal((await sdkError(ci.send(new DescribeIdentityCommand({ IdentityId: c.IdentityId })))).name, 'ResourceNotFoundException');
  });
});

describe('UnlinkIdentity and OIDC providers', () => {
  let oidc: Server;
  let issuerKey: string;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    oidc = createServer((req, res) => {
      const base = `http://${issuerKey}`;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/issuer/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
      else if (req.url === '/issuer/jwks') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => oidc.listen(0, '127.0.0.1', resolve));
    issuerKey = `127.0.0.1:${(oidc.address() as AddressInfo).port}/issuer`;
    sign = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(`http://${issuerKey}`)
        .setIssuedAt(Math.floor(clock.now() / 1000))
        .setExpirationTime(Math.floor(clock.now() / 1000) + 600)
        .sign(privateKey);
  });
  after(() => new Promise<void>((resolve) => oidc.close(() => resolve())));

  test('Google ID tokens: verified against the issuer TOBIRA_SOCIAL_ISSUERS names, refused without one', async () => {
    const pool = { IdentityPoolName: 'google', AllowUnauthenticatedIdentities: false, SupportedLoginProviders: { 'accounts.google.com': 'my-app' } };
    const plainPool = (await ci.send(new CreateIdentityPoolCommand(pool))).IdentityPoolId!;
    const token = await sign({ sub: 'google-user', aud: 'my-app' });
    assert.deepEqual(await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: plainPool, Logins: { 'accounts.google.com': token } }))), {
      name: 'InvalidParameterException',
      message: 'Tobira verifies accounts.google.com logins only against an issuer set in TOBIRA_SOCIAL_ISSUERS; none is set.',
    });
    // SAML and Facebook logins are refused saying so.
    const saml = 'arn:aws:iam::000000000000:saml-provider/corp';
    const others = await identityPool({ SamlProviderARNs: [saml], SupportedLoginProviders: { 'graph.facebook.com': '1234567890' } });
    assert.deepEqual(await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: others, Logins: { [saml]: Buffer.from('<samlp:Response/>').toString('base64') } }))), {
      name: 'InvalidParameterException',
      message: 'Tobira does not support SAML logins for identity pools yet.',
    });
    assert.deepEqual(await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: others, Logins: { 'graph.facebook.com': 'EAAB' } }))), {
      name: 'InvalidParameterException',
      message: 'Tobira does not support logins from graph.facebook.com yet.',
    });
    const t2 = await startTestServer({ socialIssuers: { 'accounts.google.com': `http://${issuerKey}` } }, { clock });
    try {
      const ci2 = new CognitoIdentityClient({ endpoint: t2.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'tobira-test-secret' }, maxAttempts: 1 });
      const poolId = (await ci2.send(new CreateIdentityPoolCommand(pool))).IdentityPoolId!;
      const { IdentityId } = await ci2.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { 'accounts.google.com': token } }));
      assert.deepEqual((await ci2.send(new DescribeIdentityCommand({ IdentityId }))).Logins, ['accounts.google.com']);
      assert.deepEqual(await sdkError(ci2.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { 'accounts.google.com': await sign({ sub: 'g', aud: 'another-app' }) } }))), {
        name: 'NotAuthorizedException',
        message: 'Token is not from a supported provider of this identity pool.',
      });
    } finally {
      await t2.close();
    }
  });

  test('an OIDC provider named by IAM ARN: verified through its discovery document; linked to a user pool login, then unlinked', async () => {
    const up = await createPoolAndClient(idp());
    await createUser(idp(), up.poolId, 'fay');
    const poolId = await identityPool({
      OpenIdConnectProviderARNs: [`arn:aws:iam::000000000000:oidc-provider/${issuerKey}`],
      CognitoIdentityProviders: [{ ProviderName: provider(up.poolId), ClientId: up.clientId }],
    });
    const token = await sign({ sub: 'oidc-fay', aud: 'my-app' });
    const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [issuerKey]: token } }));
    const fay = await signIn(idp(), up.clientId, 'fay');
    const linked = await ci.send(new GetOpenIdTokenCommand({ IdentityId, Logins: { [issuerKey]: token, [provider(up.poolId)]: fay.IdToken } }));
    assert.equal(linked.IdentityId, IdentityId);
    assert.deepEqual((await ci.send(new DescribeIdentityCommand({ IdentityId }))).Logins, [issuerKey, provider(up.poolId)]);

    assert.deepEqual(await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [issuerKey]: await sign({ sub: 'x' }) } }))), {
      name: 'NotAuthorizedException',
      message: 'Invalid login token. Missing a required claim: aud',
    });
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${fay.IdToken.split('.')[2]}`;
    assert.deepEqual(await sdkError(ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [issuerKey]: forged } }))), {
      name: 'NotAuthorizedException',
      message: "Invalid login token. Couldn't verify signed token.",
    });

    await ci.send(new UnlinkIdentityCommand({ IdentityId, Logins: { [provider(up.poolId)]: fay.IdToken }, LoginsToRemove: [issuerKey] }));
    assert.deepEqual((await ci.send(new DescribeIdentityCommand({ IdentityId }))).Logins, [provider(up.poolId)]);
    // The OIDC user is new again.
    assert.notEqual((await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: { [issuerKey]: token } }))).IdentityId, IdentityId);
    // Removing the last login leaves the identity disabled: no one may use it.
    await ci.send(new UnlinkIdentityCommand({ IdentityId, Logins: { [provider(up.poolId)]: fay.IdToken }, LoginsToRemove: [provider(up.poolId)] }));
    assert.deepEqual(await sdkError(ci.send(new GetOpenIdTokenCommand({ IdentityId, Logins: { [provider(up.poolId)]: fay.IdToken } }))), {
      name: 'NotAuthorizedException',
      message: `Access to Identity '${IdentityId}' is forbidden.`,
    });
  });
});
