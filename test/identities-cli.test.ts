import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { jwtVerify, createRemoteJWKSet } from 'jose';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import type { Running } from '../src/tobira.ts';
import { aws, idpClient, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import { createPoolAndClient, createUser, decodeJwt, httpJwksCache, signIn } from './helpers/tokens.ts';

/**
 * Identities with the real clients from outside npm: the AWS CLI v2 runs seed 003's
 * create-identity-pool (with a real Tobira user pool and app client in its placeholders), then
 * get-id with a user's ID token, get-open-id-token (verified against Tobira's identity JWKS) and
 * the developer-identity commands; boto3 runs get_id and get_open_id_token.
 */

/** Seed 003's command, its user pool and client id placeholders filled in. */
const seed003 = (userPoolId: string, clientId: string) => [
  'cognito-identity', 'create-identity-pool',
  '--identity-pool-name', 'app-identity-pool',
  '--allow-unauthenticated-identities',
  '--cognito-identity-providers', `[{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/${userPoolId}", "ClientId": "${clientId}", "ServerSideTokenCheck": true}]`,
];

function ok(r: { code: number; stderr: string; json: any }) {
  assert.equal(r.code, 0, r.stderr);
  return r.json;
}

describe('identities with the AWS CLI v2', needs('aws'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test("seed 003's pool, get-id and get-open-id-token with a user's ID token; developer identities; list, describe, delete", async () => {
    const up = await createPoolAndClient(idpClient(t.url));
    await createUser(idpClient(t.url), up.poolId, 'alice');
    const idToken = (await signIn(idpClient(t.url), up.clientId, 'alice')).IdToken;
    const providerName = `cognito-idp.us-east-1.amazonaws.com/${up.poolId}`;

    const pool = ok(await aws(t.url, seed003(up.poolId, up.clientId)));
    const poolId: string = pool.IdentityPoolId;
    const logins = JSON.stringify({ [providerName]: idToken });

    const got = ok(await aws(t.url, ['cognito-identity', 'get-id', '--identity-pool-id', poolId, '--logins', logins]));
    assert.match(got.IdentityId, /^us-east-1:[0-9a-f-]{36}$/);
    const token = ok(await aws(t.url, ['cognito-identity', 'get-open-id-token', '--identity-id', got.IdentityId, '--logins', logins]));
    assert.equal(token.IdentityId, got.IdentityId);
    // Verified from its own discovery document: aws-jwt-verify, and jose.
    const discovery = await (await fetch(`${t.url}/cognito-identity/.well-known/openid-configuration`)).json();
    const verifier = JwtRsaVerifier.create({ issuer: discovery.issuer, audience: poolId, jwksUri: discovery.jwks_uri }, { jwksCache: httpJwksCache().cache });
    const claims = await verifier.verify(token.Token);
    assert.equal(claims.sub, got.IdentityId);
    const { payload } = await jwtVerify(token.Token, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: `${t.url}/cognito-identity`, audience: poolId });
    assert.deepEqual((payload.amr as string[]).slice(0, 2), ['authenticated', providerName]);

    // A guest (the seed allows them).
    const guest = ok(await aws(t.url, ['cognito-identity', 'get-id', '--identity-pool-id', poolId]));
    assert.notEqual(guest.IdentityId, got.IdentityId);

    // Developer identities need a developer provider on the pool.
    ok(await aws(t.url, ['cognito-identity', 'update-identity-pool', '--identity-pool-id', poolId, '--identity-pool-name', 'app-identity-pool',
      '--allow-unauthenticated-identities', '--developer-provider-name', 'login.example.app',
      '--cognito-identity-providers', `ProviderName=${providerName},ClientId=${up.clientId},ServerSideTokenCheck=true`]));
    const dev = ok(await aws(t.url, ['cognito-identity', 'get-open-id-token-for-developer-identity', '--identity-pool-id', poolId,
      '--logins', 'login.example.app=user-1', '--token-duration', '1200']));
    assert.equal(decodeJwt(dev.Token).payload.exp - decodeJwt(dev.Token).payload.iat, 1200);
    const dev2 = ok(await aws(t.url, ['cognito-identity', 'get-open-id-token-for-developer-identity', '--identity-pool-id', poolId,
      '--logins', 'login.example.app=user-2']));
    const looked = ok(await aws(t.url, ['cognito-identity', 'lookup-developer-identity', '--identity-pool-id', poolId,
      '--developer-user-identifier', 'user-1', '--max-results', '10']));
    assert.deepEqual(looked, { IdentityId: dev.IdentityId, DeveloperUserIdentifierList: ['user-1'] });
    const merged = ok(await aws(t.url, ['cognito-identity', 'merge-developer-identities', '--identity-pool-id', poolId,
      '--developer-provider-name', 'login.example.app', '--source-user-identifier', 'user-2', '--destination-user-identifier', 'user-1']));
    assert.equal(merged.IdentityId, dev.IdentityId);
    const both = ok(await aws(t.url, ['cognito-identity', 'lookup-developer-identity', '--identity-pool-id', poolId, '--identity-id', dev.IdentityId]));
    assert.deepEqual(both.DeveloperUserIdentifierList, ['user-1', 'user-2']);
    const unlinked = await aws(t.url, ['cognito-identity', 'unlink-developer-identity', '--identity-pool-id', poolId, '--identity-id', dev.IdentityId,
      '--developer-provider-name', 'login.example.app', '--developer-user-identifier', 'user-2']);
    ok(unlinked);
    const after = ok(await aws(t.url, ['cognito-identity', 'lookup-developer-identity', '--identity-pool-id', poolId, '--identity-id', dev.IdentityId]));
    assert.deepEqual(after.DeveloperUserIdentifierList, ['user-1']);

    const listed = ok(await aws(t.url, ['cognito-identity', 'list-identities', '--identity-pool-id', poolId, '--max-results', '10']));
    assert.deepEqual(listed.Identities.map((i: any) => i.IdentityId).sort(), [got.IdentityId, guest.IdentityId, dev.IdentityId].sort());
    assert.ok(!listed.Identities.some((i: any) => i.IdentityId === dev2.IdentityId), 'the merged source identity is gone');
    const described = ok(await aws(t.url, ['cognito-identity', 'describe-identity', '--identity-id', got.IdentityId]));
    assert.deepEqual(described.Logins, [providerName]);
    assert.match(String(described.CreationDate), /^\d{4}-\d\d-\d\dT|^\d+(\.\d+)?$/);

    const deleted = ok(await aws(t.url, ['cognito-identity', 'delete-identities', '--identity-ids-to-delete', guest.IdentityId, 'us-east-1:00000000-0000-4000-8000-000000000000']));
    assert.deepEqual(deleted.UnprocessedIdentityIds, [{ IdentityId: 'us-east-1:00000000-0000-4000-8000-000000000000', ErrorCode: 'AccessDenied' }]);
    const gone = await aws(t.url, ['cognito-identity', 'describe-identity', '--identity-id', guest.IdentityId]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /ResourceNotFoundException.*Identity '.*' not found\./);
  });

  test('refusals as the CLI shows them', async () => {
    const up = await createPoolAndClient(idpClient(t.url));
    const poolId = ok(await aws(t.url, ['cognito-identity', 'create-identity-pool', '--identity-pool-name', 'closed', '--no-allow-unauthenticated-identities',
      '--cognito-identity-providers', `ProviderName=cognito-idp.us-east-1.amazonaws.com/${up.poolId},ClientId=${up.clientId}`])).IdentityPoolId;
    const guest = await aws(t.url, ['cognito-identity', 'get-id', '--identity-pool-id', poolId]);
    assert.notEqual(guest.code, 0);
    assert.match(guest.stderr, /NotAuthorizedException\) when calling the GetId operation: Unauthenticated access is not supported for this identity pool\./);
    const unlisted = await aws(t.url, ['cognito-identity', 'get-id', '--identity-pool-id', poolId, '--logins', 'accounts.google.com=eyJ.x.y']);
    assert.match(unlisted.stderr, /NotAuthorizedException.*Token is not from a supported provider of this identity pool\./);
  });
});

describe('identities with boto3', needs('boto3'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('get_id and get_open_id_token with a user pool ID token', async () => {
    const up = await createPoolAndClient(idpClient(t.url));
    await createUser(idpClient(t.url), up.poolId, 'bob');
    const idToken = (await signIn(idpClient(t.url), up.clientId, 'bob')).IdToken;
    const script = `import boto3, json, sys
c = boto3.client('cognito-identity', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='tobira-test-secret')
provider = 'cognito-idp.us-east-1.amazonaws.com/' + sys.argv[2]
pool = c.create_identity_pool(IdentityPoolName='boto', AllowUnauthenticatedIdentities=False,
    CognitoIdentityProviders=[{'ProviderName': provider, 'ClientId': sys.argv[3]}])['IdentityPoolId']
logins = {provider: sys.argv[4]}
ident = c.get_id(IdentityPoolId=pool, Logins=logins)['IdentityId']
tok = c.get_open_id_token(IdentityId=ident, Logins=logins)
err = None
try:
    c.get_id(IdentityPoolId=pool)
except c.exceptions.NotAuthorizedException as e:
    err = e.response['Error']['Message']
print(json.dumps({'pool': pool, 'id': ident, 'tokenId': tok['IdentityId'], 'token': tok['Token'], 'err': err}))`;
    const out: any = await new Promise((resolve, reject) =>
      execFile(PYTHON, ['-c', script, t.url, up.poolId, up.clientId, idToken], { encoding: 'utf8', timeout: 60_000 }, (e, stdout, stderr) =>
        e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
      ),
    );
    assert.equal(out.tokenId, out.id);
    const claims = decodeJwt(out.token).payload;
    assert.deepEqual([claims.sub, claims.aud, claims.iss], [out.id, out.pool, `${t.url}/cognito-identity`]);
    assert.equal(out.err, 'Unauthenticated access is not supported for this identity pool.');
  });
});
