import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminAddUserToGroupCommand,
  CreateGroupCommand,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureError,
  KidNotFoundInJwksError,
  ParameterValidationError,
} from 'aws-jwt-verify/error';
import { ManualClock } from '../src/clock.ts';
import { rotatePoolKeys } from '../src/domain/tokens/keys.ts';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { addClient, createPoolAndClient, createUser, decodeJwt, httpJwksCache, sdkError, signIn } from './helpers/tokens.ts';

const TOKEN_PATTERN = /^[A-Za-z0-9-_=.]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('tokens issued at sign-in', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  before(async () => {
    t = await startTestServer();
    idp = idpClient(t.url);
  });
  after(() => t.close());

  test("ID and access tokens carry Cognito's header, claims and validities", async () => {
    const { poolId, clientId } = await createPoolAndClient(idp, {
      Schema: [
        { Name: 'tier', AttributeDataType: 'Number', Mutable: true },
        { Name: 'secret', AttributeDataType: 'String', DeveloperOnlyAttribute: true, Mutable: true },
      ],
    });
    await createUser(idp, poolId, 'alice', {
      email: 'alice@example.com',
      email_verified: 'true',
      phone_number: '+15555550100',
      phone_number_verified: 'false',
      name: 'Alice',
      address: '1 Main St, Springfield',
      updated_at: '1700000000',
      'custom:tier': '3',
      'dev:custom:secret': 'hidden',
    });
    const r = await signIn(idp, clientId, 'alice');
    assert.equal(r.TokenType, 'Bearer');
    assert.equal(r.ExpiresIn, 3600);
    assert.match(r.RefreshToken, TOKEN_PATTERN);
    assert.equal(r.RefreshToken.split('.').length, 5);

    const id = decodeJwt(r.IdToken);
    const access = decodeJwt(r.AccessToken);
    for (const h of [id.header, access.header]) {
      assert.deepEqual(Object.keys(h), ['kid', 'alg']);
      assert.equal(h.alg, 'RS256');
      assert.match(h.kid, /^[A-Za-z0-9+/]{43}=$/);
    }
    assert.notEqual(id.header.kid, access.header.kid, 'ID and access tokens are signed by different keys');

    const iss = `${t.url}/${poolId}`;
    const p = id.payload;
    assert.match(p.sub, UUID);
    assert.equal(p.iss, iss);
    assert.equal(p.aud, clientId);
    assert.equal(p.token_use, 'id');
    assert.equal(p['cognito:username'], 'alice');
    assert.equal(p.email_verified, true);
    assert.equal(p.phone_number_verified, false);
    assert.equal(p.email, 'alice@example.com');
    assert.equal(p.phone_number, '+15555550100');
    assert.equal(p.name, 'Alice');
    assert.equal(p.updated_at, 1700000000, 'updated_at is a number, as in Cognito and OIDC');
    assert.deepEqual(p.address, { formatted: '1 Main St, Springfield' }, 'address is an OIDC address object, as in Cognito');
    assert.equal(p['custom:tier'], '3', 'custom attributes are strings whatever their type');
    assert.equal(p['dev:custom:secret'], undefined);
    assert.equal(p['cognito:groups'], undefined, 'no groups claim without groups');
    assert.equal(p.exp - p.iat, 3600);
    assert.ok(Number.isInteger(p.auth_time) && Number.isInteger(p.iat));
    assert.match(p.jti, UUID);
    assert.match(p.origin_jti, UUID);
    assert.match(p.event_id, UUID);

    const a = access.payload;
    assert.deepEqual(Object.keys(a), [
      'sub', 'iss', 'client_id', 'origin_jti', 'event_id', 'token_use', 'scope', 'auth_time', 'exp', 'iat', 'jti', 'username',
    ]);
    assert.equal(a.sub, p.sub);
    assert.equal(a.iss, iss);
    assert.equal(a.client_id, clientId);
    assert.equal(a.token_use, 'access');
    assert.equal(a.scope, 'aws.cognito.signin.user.admin');
    assert.equal(a.username, 'alice');
    assert.equal(a.origin_jti, p.origin_jti, 'one sign-in, one origin_jti');
    assert.equal(a.event_id, p.event_id);
    assert.notEqual(a.jti, p.jti);
    assert.equal(a.exp - a.iat, 3600);

    const again = decodeJwt((await signIn(idp, clientId, 'alice')).AccessToken).payload;
    assert.notEqual(again.origin_jti, a.origin_jti, 'each sign-in has its own origin_jti');
  });

  test('groups give cognito:groups in precedence order, cognito:roles and cognito:preferred_role', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    await createUser(idp, poolId, 'bob');
    await createUser(idp, poolId, 'carol');
    const role = (n: string) => `arn:aws:iam::000000000000:role/${n}`;
    const groups = [
      { GroupName: 'readers', Precedence: 5, RoleArn: role('reader') },
      { GroupName: 'admins', Precedence: 1, RoleArn: role('admin') },
      { GroupName: 'plain' },
      { GroupName: 'peers-a', Precedence: 2, RoleArn: role('peer-a') },
      { GroupName: 'peers-b', Precedence: 2, RoleArn: role('peer-b') },
    ];
    for (const g of groups) await idp.send(new CreateGroupCommand({ UserPoolId: poolId, ...g }));
    for (const g of ['readers', 'admins', 'plain']) {
      await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'bob', GroupName: g }));
    }
    for (const g of ['peers-a', 'peers-b']) {
      await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'carol', GroupName: g }));
    }

    const bob = await signIn(idp, clientId, 'bob');
    const id = decodeJwt(bob.IdToken).payload;
    assert.deepEqual(id['cognito:groups'], ['admins', 'readers', 'plain']);
    assert.deepEqual([...id['cognito:roles']].sort(), [role('admin'), role('reader')]);
    assert.equal(id['cognito:preferred_role'], role('admin'));
    const access = decodeJwt(bob.AccessToken).payload;
    assert.deepEqual(access['cognito:groups'], ['admins', 'readers', 'plain']);
    assert.equal(access['cognito:roles'], undefined, 'no roles in access tokens');

    const carol = decodeJwt((await signIn(idp, clientId, 'carol')).IdToken).payload;
    assert.equal(carol['cognito:roles'].length, 2);
    assert.equal(carol['cognito:preferred_role'], undefined, 'two roles tie for the best precedence');
  });

  test("validities follow the client's settings and TokenValidityUnits; ReadAttributes limits the ID token", async () => {
    const { poolId, clientId } = await createPoolAndClient(
      idp,
      { Schema: [{ Name: 'team', AttributeDataType: 'String', Mutable: true }] },
      {
        AccessTokenValidity: 5,
        IdTokenValidity: 2,
        TokenValidityUnits: { AccessToken: 'minutes' },
        ReadAttributes: ['email', 'email_verified'],
      },
    );
    await createUser(idp, poolId, 'dave', { email: 'dave@example.com', email_verified: 'true', 'custom:team': 'red', name: 'Dave' });
    const r = await signIn(idp, clientId, 'dave');
    assert.equal(r.ExpiresIn, 300);
    const a = decodeJwt(r.AccessToken).payload;
    assert.equal(a.exp - a.iat, 300);
    const id = decodeJwt(r.IdToken).payload;
    assert.equal(id.exp - id.iat, 2 * 3600, 'IdTokenValidity without a unit counts hours');
    assert.equal(id.email, 'dave@example.com');
    assert.equal(id['custom:team'], undefined);
    assert.equal(id.name, undefined);
  });

  test('aws-jwt-verify JwtRsaVerifier accepts our ID and access tokens from our JWKS URL, and rejects forgeries', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    const other = await createPoolAndClient(idp);
    const otherClient = await addClient(idp, poolId);
    await createUser(idp, poolId, 'erin');
    await createUser(idp, other.poolId, 'erin');
    await createUser(idp, poolId, 'frank');
    const r = await signIn(idp, clientId, 'erin');

    const issuer = `${t.url}/${poolId}`;
    const jwksUri = `${issuer}/.well-known/jwks.json`;
    const { cache, fetched } = httpJwksCache();
    const idVerifier = JwtRsaVerifier.create({ issuer, audience: clientId, jwksUri }, { jwksCache: cache });
    const accessVerifier = JwtRsaVerifier.create(
      { issuer, audience: null, jwksUri, customJwtCheck: ({ payload }) => assert.equal(payload.token_use, 'access') },
      { jwksCache: cache },
    );
    const idPayload = await idVerifier.verify(r.IdToken);
    assert.equal(idPayload['cognito:username'], 'erin');
    const accessPayload = await accessVerifier.verify(r.AccessToken);
    assert.equal(accessPayload.client_id, clientId);
    assert.deepEqual([...new Set(fetched)], [jwksUri]);

    // Tampered: a claim changed, signature kept.
    const [h, p, s] = r.IdToken.split('.');
    const forged = JSON.parse(Buffer.from(p, 'base64url').toString());
    forged['cognito:username'] = 'frank';
    await assert.rejects(idVerifier.verify(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`), JwtInvalidSignatureError);
    // Signature of another token.
    await assert.rejects(idVerifier.verify(`${h}.${p}.${r.AccessToken.split('.')[2]}`), JwtInvalidSignatureError);
    // The access token tampered with: a wider scope.
    const [ah, ap, as] = r.AccessToken.split('.');
    const widened = { ...JSON.parse(Buffer.from(ap, 'base64url').toString()), scope: 'aws.cognito.signin.user.admin openid' };
    await assert.rejects(accessVerifier.verify(`${ah}.${Buffer.from(JSON.stringify(widened)).toString('base64url')}.${as}`), JwtInvalidSignatureError);
    // Another pool: signed by keys that are not in this pool's JWKS.
    const foreign = await signIn(idp, other.clientId, 'erin');
    await assert.rejects(idVerifier.verify(foreign.IdToken), KidNotFoundInJwksError);
    // Another client of the same pool: another audience.
    const otherUser = await signIn(idp, otherClient.clientId, 'frank');
    await assert.rejects(idVerifier.verify(otherUser.IdToken), JwtInvalidAudienceError);
  });

  test('expired tokens: aws-jwt-verify refuses them and GetUser says "Access Token has expired"', async () => {
    // Tokens minted two hours ago (aws-jwt-verify reads the real clock).
    const clock = new ManualClock(Date.now() - 2 * 3600_000);
    const old = await startTestServer({}, { clock });
    try {
      const oldIdp = idpClient(old.url);
      const { poolId, clientId } = await createPoolAndClient(oldIdp);
      await createUser(oldIdp, poolId, 'gina');
      const r = await signIn(oldIdp, clientId, 'gina');
      // Still valid by the server's clock.
      assert.equal((await oldIdp.send(new GetUserCommand({ AccessToken: r.AccessToken }))).Username, 'gina');

      const issuer = `${old.url}/${poolId}`;
      const verifier = JwtRsaVerifier.create(
        { issuer, audience: clientId, jwksUri: `${issuer}/.well-known/jwks.json` },
        { jwksCache: httpJwksCache().cache },
      );
      await assert.rejects(verifier.verify(r.IdToken), JwtExpiredError);

      clock.advance(3600_000);
      const e = await sdkError(oldIdp.send(new GetUserCommand({ AccessToken: r.AccessToken })));
      assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Access Token has expired' });
    } finally {
      await old.close();
    }
  });
});

describe('tokens in the AWS issuer mode', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  before(async () => {
    t = await startTestServer({ issuerMode: 'aws', region: 'eu-west-1' });
    idp = idpClient(t.url, 'eu-west-1');
  });
  after(() => t.close());

  test('CognitoJwtVerifier accepts them with the JWKS from our endpoint, and rejects forgeries and other clients', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    const second = await addClient(idp, poolId);
    await createUser(idp, poolId, 'hana', { email: 'hana@example.com' });
    const r = await signIn(idp, clientId, 'hana');
    assert.equal(decodeJwt(r.IdToken).payload.iss, `https://cognito-idp.eu-west-1.amazonaws.com/${poolId}`);

    // The verifier derives https://cognito-idp.eu-west-1.amazonaws.com/<pool>/.well-known/jwks.json; serve it from here.
    const { cache, fetched } = httpJwksCache((uri) => uri.replace(/^https:\/\/cognito-idp\.[^/]+/, t.url));
    const idVerifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: 'id', clientId }, { jwksCache: cache });
    const accessVerifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: 'access', clientId }, { jwksCache: cache });
    assert.equal((await idVerifier.verify(r.IdToken)).email, 'hana@example.com');
    assert.equal((await accessVerifier.verify(r.AccessToken)).username, 'hana');
    assert.deepEqual([...new Set(fetched)], [`${t.url}/${poolId}/.well-known/jwks.json`]);

    await assert.rejects(accessVerifier.verify(r.IdToken), CognitoJwtInvalidTokenUseError);
    const [h, p, s] = r.AccessToken.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.scope = 'aws.cognito.signin.user.admin openid';
    await assert.rejects(accessVerifier.verify(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`), JwtInvalidSignatureError);
    const otherClientTokens = await signIn(idp, second.clientId, 'hana');
    await assert.rejects(accessVerifier.verify(otherClientTokens.AccessToken), CognitoJwtInvalidClientIdError);

    const other = await createPoolAndClient(idp);
    await createUser(idp, other.poolId, 'hana');
    const foreign = await signIn(idp, other.clientId, 'hana');
    // Its issuer names another pool, which this verifier is not configured for.
    await assert.rejects(idVerifier.verify(foreign.IdToken), ParameterValidationError);
  });

  test('CognitoJwtVerifier refuses expired ID and access tokens', async () => {
    // Tokens minted two hours ago (aws-jwt-verify reads the real clock).
    const old = await startTestServer({ issuerMode: 'aws', region: 'eu-west-1' }, { clock: new ManualClock(Date.now() - 2 * 3600_000) });
    try {
      const oldIdp = idpClient(old.url, 'eu-west-1');
      const { poolId, clientId } = await createPoolAndClient(oldIdp);
      await createUser(oldIdp, poolId, 'kai');
      const r = await signIn(oldIdp, clientId, 'kai');
      const { cache } = httpJwksCache((uri) => uri.replace(/^https:\/\/cognito-idp\.[^/]+/, old.url));
      for (const tokenUse of ['id', 'access'] as const) {
        const verifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse, clientId }, { jwksCache: cache });
        await assert.rejects(verifier.verify(tokenUse === 'id' ? r.IdToken : r.AccessToken), JwtExpiredError, tokenUse);
      }
    } finally {
      await old.close();
    }
  });

  test('our own API checks the AWS-form issuer too (GetUser)', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    await createUser(idp, poolId, 'ivan');
    const r = await signIn(idp, clientId, 'ivan');
    assert.equal((await idp.send(new GetUserCommand({ AccessToken: r.AccessToken }))).Username, 'ivan');
  });
});

describe('refreshing tokens', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  const clock = new ManualClock(Date.now());
  before(async () => {
    t = await startTestServer({}, { clock });
    idp = idpClient(t.url);
  });
  after(() => t.close());

  test('GetTokensFromRefreshToken: new jti, same origin_jti and auth_time, no new refresh token', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    const other = await addClient(idp, poolId);
    await createUser(idp, poolId, 'jo');
    const first = await signIn(idp, clientId, 'jo');
    clock.advance(10 * 60_000);
    const r = await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken }));
    const res = r.AuthenticationResult!;
    assert.equal(res.RefreshToken, undefined);
    assert.equal(res.TokenType, 'Bearer');
    const before = decodeJwt(first.AccessToken).payload;
    const after = decodeJwt(res.AccessToken!).payload;
    assert.equal(after.origin_jti, before.origin_jti);
    assert.equal(after.auth_time, before.auth_time);
    assert.notEqual(after.jti, before.jti);
    assert.equal(after.iat, before.iat + 600);
    assert.equal(decodeJwt(res.IdToken!).payload.origin_jti, before.origin_jti);

    // Another client of the pool is told so since January 2022 (aws/aws-sdk-js#4016).
    const e = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: other.clientId, RefreshToken: first.RefreshToken })));
    assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Refresh Token has different Client' });
    const bogus = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: 'not.a.token' })));
    assert.deepEqual(bogus, { name: 'NotAuthorizedException', message: 'Invalid Refresh Token.' });

    clock.advance(30 * 86400_000);
    const expired = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken })));
    assert.deepEqual(expired, { name: 'NotAuthorizedException', message: 'Refresh Token has expired' });
  });

  test('with RefreshTokenRotation, a refresh returns a new refresh token and the old one stops after the grace period', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp, {}, { RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 10 } });
    await createUser(idp, poolId, 'kim');
    const first = await signIn(idp, clientId, 'kim');
    const r1 = (await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken }))).AuthenticationResult!;
    assert.match(r1.RefreshToken!, TOKEN_PATTERN);
    assert.notEqual(r1.RefreshToken, first.RefreshToken);
    // A retry within the grace period still works.
    clock.advance(5_000);
    await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken }));
    clock.advance(6_000);
    const e = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken })));
    assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Refresh Token has been revoked' });
    const r2 = (await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: r1.RefreshToken! }))).AuthenticationResult!;
    assert.equal(decodeJwt(r2.AccessToken!).payload.origin_jti, decodeJwt(first.AccessToken).payload.origin_jti);
  });

  test('GetTokensFromRefreshToken for a client with a secret needs its ClientSecret', async () => {
    const { poolId, clientId, clientSecret } = await createPoolAndClient(idp, {}, { GenerateSecret: true });
    await createUser(idp, poolId, 'max');
    const first = await signIn(idp, clientId, 'max', undefined, clientSecret);
    const missing = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken })));
    assert.equal(missing.name, 'NotAuthorizedException');
    const wrong = await sdkError(
      idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, ClientSecret: 'a'.repeat(51), RefreshToken: first.RefreshToken })),
    );
    assert.equal(wrong.name, 'NotAuthorizedException');
    const r = await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, ClientSecret: clientSecret, RefreshToken: first.RefreshToken }));
    assert.ok(r.AuthenticationResult?.AccessToken);
  });

  test('race: with rotation and no grace period, concurrent refreshes with one token: exactly one succeeds', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp, {}, { RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 0 } });
    await createUser(idp, poolId, 'lou');
    const first = await signIn(idp, clientId, 'lou');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken }))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as Error).message, 'Refresh Token has been revoked');
    }
  });

  test('race: refreshes (no rotation) racing a GlobalSignOut: every token they return is revoked, later refreshes fail', async () => {
    const { poolId, clientId } = await createPoolAndClient(idp);
    await createUser(idp, poolId, 'ned');
    const first = await signIn(idp, clientId, 'ned');
    const refresh = () => idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken }));
    const racing = Array.from({ length: 6 }, refresh);
    const signOut = idp.send(new GlobalSignOutCommand({ AccessToken: first.AccessToken }));
    racing.push(...Array.from({ length: 6 }, refresh));
    await signOut;
    const results = await Promise.allSettled(racing);
    for (const r of results) {
      if (r.status === 'rejected') {
        assert.equal((r.reason as Error).message, 'Refresh Token has been revoked');
        continue;
      }
      // A refresh that ran before the sign-out committed continues the signed-out sign-in.
      const e = await sdkError(idp.send(new GetUserCommand({ AccessToken: r.value.AuthenticationResult!.AccessToken })));
      assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Access Token has been revoked' });
    }
    const later = await sdkError(refresh());
    assert.deepEqual(later, { name: 'NotAuthorizedException', message: 'Refresh Token has been revoked' });
  });

  // A revocation marks the sign-in (revoked_tokens) before its refresh tokens; a refresh that reads
  // between the two (another node's, mid-commit) must still see it. Here only the mark is written.
  for (const rotation of [false, true]) {
    test(`a sign-in revoked by its origin_jti alone refuses its refresh token (rotation ${rotation ? 'on: read in a transaction' : 'off: one joined read'})`, async () => {
      const { poolId, clientId } = await createPoolAndClient(idp, {}, rotation ? { RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 0 } } : {});
      await createUser(idp, poolId, 'olga');
      const first = await signIn(idp, clientId, 'olga');
      const other = await signIn(idp, clientId, 'olga');
      const originJti = decodeJwt(first.AccessToken).payload.origin_jti as string;
      const now = Date.now();
      await t.app.store.tokens.revokeOrigin(originJti, poolId, now, now + 3_600_000);
      const refresh = (token: string) =>
        idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: token } }));
      assert.deepEqual(await sdkError(refresh(first.RefreshToken)), { name: 'NotAuthorizedException', message: 'Refresh Token has been revoked' });
      // The user's other sign-in goes on.
      assert.ok((await refresh(other.RefreshToken)).AuthenticationResult?.AccessToken);
    });
  }

  // Which keys sign now is read with the refresh token, in its one statement (outside a transaction),
  // or on its own (inside one): either way a rotation made between two refreshes signs the second.
  for (const rotation of [false, true]) {
    test(`a refresh right after a key rotation signs with the new keys, each of its use (rotation ${rotation ? 'on' : 'off'})`, async () => {
      const { poolId, clientId } = await createPoolAndClient(idp, {}, rotation ? { RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 60 } } : {});
      await createUser(idp, poolId, 'pavel');
      const first = await signIn(idp, clientId, 'pavel');
      const refresh = async () =>
        (await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: first.RefreshToken } })))
          .AuthenticationResult!;
      const kidsOf = (r: { IdToken?: string; AccessToken?: string }) => ({ id: decodeJwt(r.IdToken!).header.kid, access: decodeJwt(r.AccessToken!).header.kid });
      const before = kidsOf(await refresh());
      assert.deepEqual(before, kidsOf(first));
      const rotated = await rotatePoolKeys(t.app, poolId);
      assert.notEqual(rotated.id, before.id);
      const after = await refresh();
      assert.deepEqual(kidsOf(after), { id: rotated.id, access: rotated.access });
      // And they verify against the pool's JWKS as tokens of their use.
      const issuer = `${t.url}/${poolId}`;
      const verifier = (tokenUse: 'id' | 'access') =>
        JwtRsaVerifier.create(
          { issuer, audience: tokenUse === 'id' ? clientId : null, jwksUri: `${issuer}/.well-known/jwks.json`, customJwtCheck: ({ payload }) => assert.equal(payload.token_use, tokenUse) },
          { jwksCache: httpJwksCache().cache },
        );
      assert.equal((await verifier('id').verify(after.IdToken!))['cognito:username'], 'pavel');
      assert.equal((await verifier('access').verify(after.AccessToken!)).username, 'pavel');
      assert.equal((await idp.send(new GetUserCommand({ AccessToken: after.AccessToken }))).Username, 'pavel');
    });
  }
});
