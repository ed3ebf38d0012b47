import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddUserPoolClientSecretCommand,
  DeleteUserPoolClientSecretCommand,
  DescribeUserPoolClientCommand,
  InitiateAuthCommand,
  ListUserPoolClientSecretsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { hostedPool, PASSWORD, type HostedPool } from './helpers/hosted-ui.ts';
import { computeSecretHash } from '../src/domain/sign-in/secret-hash.ts';
import type { Running } from '../src/tobira.ts';

/**
 * Client secret rotation (AddUserPoolClientSecret, ListUserPoolClientSecrets,
 * DeleteUserPoolClientSecret) through the JS SDK v3: while two secrets are current, SECRET_HASH
 * and the token endpoint's client_secret_basic accept either; after the old one is deleted, only
 * the new one. (The AWS CLI v2 of the test machines, 2.9, predates these operations.)
 */
describe('client secret rotation', () => {
  let t: Running;
  let hp: HostedPool;
  const sdk = () => idpClient(t.url);

  before(async () => {
    t = await startTestServer({ masterKey: 'client-secrets-test-master-key' });
    hp = await hostedPool(t.url);
  });
  after(() => t.close());

  const signIn = (secret: string) =>
    sdk().send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: hp.web.clientId,
        AuthParameters: { USERNAME: 'alice', PASSWORD, SECRET_HASH: computeSecretHash(secret, 'alice', hp.web.clientId) },
      }),
    );
  const tokenWith = async (secret: string, refreshToken: string) => {
    const r = await fetch(`${hp.base}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${hp.web.clientId}:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    return { status: r.status, body: (await r.json()) as any };
  };

  test('add, list, both work, delete the old, only the new works', async () => {
    const old = hp.web.clientSecret;
    const first = await signIn(old);
    const refresh = first.AuthenticationResult!.RefreshToken!;
    assert.equal((await tokenWith(old, refresh)).status, 200);

    const listed = await sdk().send(new ListUserPoolClientSecretsCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId }));
    assert.equal(listed.ClientSecrets!.length, 1, 'the secret of CreateUserPoolClient counts as one');
    const oldId = listed.ClientSecrets![0].ClientSecretId!;
    assert.match(oldId, new RegExp(`^${hp.web.clientId}--\\d+$`));
    assert.equal(listed.ClientSecrets![0].ClientSecretValue, undefined);
    assert.ok(listed.ClientSecrets![0].ClientSecretCreateDate instanceof Date);

    // A generated secret: its value comes back once, on Add.
    const added = await sdk().send(new AddUserPoolClientSecretCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId }));
    const fresh = added.ClientSecretDescriptor!.ClientSecretValue!;
    assert.match(fresh, /^[a-z0-9]{51}$/);
    const freshId = added.ClientSecretDescriptor!.ClientSecretId!;
    assert.notEqual(freshId, oldId);

    const both = await sdk().send(new ListUserPoolClientSecretsCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId }));
    assert.deepEqual(both.ClientSecrets!.map((s) => s.ClientSecretId), [oldId, freshId]);
    assert.ok(both.ClientSecrets!.every((s) => s.ClientSecretValue === undefined), 'never a value after creation');
    assert.equal(both.NextToken, undefined);

    // A third is refused: two at most.
    const third = await sdkError(sdk().send(new AddUserPoolClientSecretCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId })));
    assert.equal(third.name, 'LimitExceededException');

    // Both secrets work, for SECRET_HASH and at the token endpoint.
    assert.ok((await signIn(old)).AuthenticationResult);
    assert.ok((await signIn(fresh)).AuthenticationResult);
    assert.equal((await tokenWith(old, refresh)).status, 200);
    assert.equal((await tokenWith(fresh, refresh)).status, 200);
    const described = await sdk().send(new DescribeUserPoolClientCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId }));
    assert.equal(described.UserPoolClient!.ClientSecret, old, 'DescribeUserPoolClient keeps showing the oldest current secret');

    await sdk().send(new DeleteUserPoolClientSecretCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId, ClientSecretId: oldId }));
    const wrong = await sdkError(signIn(old));
    assert.deepEqual(wrong, { name: 'NotAuthorizedException', message: `Unable to verify secret hash for client ${hp.web.clientId}` });
    assert.ok((await signIn(fresh)).AuthenticationResult);
    assert.deepEqual(await tokenWith(old, refresh), { status: 400, body: { error: 'invalid_client' } });
    assert.equal((await tokenWith(fresh, refresh)).status, 200);

    const after = await sdk().send(new ListUserPoolClientSecretsCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId }));
    assert.deepEqual(after.ClientSecrets!.map((s) => s.ClientSecretId), [freshId], 'the added secret keeps its id');
    const now = await sdk().send(new DescribeUserPoolClientCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId }));
    assert.equal(now.UserPoolClient!.ClientSecret, fresh);

    // The last remaining secret cannot be deleted.
    const last = await sdkError(sdk().send(new DeleteUserPoolClientSecretCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId, ClientSecretId: freshId })));
    assert.equal(last.name, 'InvalidParameterException');
    const missing = await sdkError(sdk().send(new DeleteUserPoolClientSecretCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId, ClientSecretId: oldId })));
    assert.equal(missing.name, 'ResourceNotFoundException');
  });

  test('a given secret is not echoed; a public client, an unknown client and a bad value are refused', async () => {
    const { poolId } = hp;
    const { UserPoolClient } = await sdk().send(
      new (await import('@aws-sdk/client-cognito-identity-provider')).CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: 'rotating',
        GenerateSecret: true,
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
    const clientId = UserPoolClient!.ClientId!;
    const given = 'my_own_secret_value_0123456789';
    const added = await sdk().send(new AddUserPoolClientSecretCommand({ UserPoolId: poolId, ClientId: clientId, ClientSecret: given }));
    assert.equal(added.ClientSecretDescriptor!.ClientSecretValue, undefined);
    const r = await sdk().send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: 'alice', PASSWORD, SECRET_HASH: computeSecretHash(given, 'alice', clientId) },
      }),
    );
    assert.ok(r.AuthenticationResult);

    const pub = await sdkError(sdk().send(new AddUserPoolClientSecretCommand({ UserPoolId: poolId, ClientId: hp.spa.clientId })));
    assert.equal(pub.name, 'InvalidParameterException');
    const unknown = await sdkError(sdk().send(new ListUserPoolClientSecretsCommand({ UserPoolId: poolId, ClientId: 'nosuchclient' })));
    assert.deepEqual(unknown, { name: 'ResourceNotFoundException', message: 'User pool client nosuchclient does not exist.' });
    const short = await sdkError(sdk().send(new AddUserPoolClientSecretCommand({ UserPoolId: poolId, ClientId: clientId, ClientSecret: 'short' })));
    assert.equal(short.name, 'InvalidParameterException');
  });
});

test('an added secret is sealed at rest and survives a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tobira-client-secrets-'));
  const masterKey = 'client-secrets-restart-master-key';
  let t = await startTestServer({ dataDir: dir, masterKey });
  try {
    const sdk = idpClient(t.url);
    const { CreateUserPoolCommand, CreateUserPoolClientCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const poolId = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'sealed' }))).UserPool!.Id!;
    const clientId = (await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'c', GenerateSecret: true }))).UserPoolClient!.ClientId!;
    const added = await sdk.send(new AddUserPoolClientSecretCommand({ UserPoolId: poolId, ClientId: clientId }));
    const stored = await t.app.store.db.get<{ client_secret: string }>('SELECT client_secret FROM user_pool_client_secrets WHERE client_id = ?', [clientId]);
    assert.match(stored!.client_secret, /^sealed:v1:/);
    assert.ok(!stored!.client_secret.includes(added.ClientSecretDescriptor!.ClientSecretValue!));
    await t.close();
    t = await startTestServer({ dataDir: dir, masterKey });
    const client = await t.app.store.clients.get(clientId);
    assert.deepEqual(
      client!.secrets!.map((x) => x.value).slice(1),
      [added.ClientSecretDescriptor!.ClientSecretValue],
    );
  } finally {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  }
});
