import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  CreateIdentityProviderCommand,
  CreateUserPoolClientCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  GetUserCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { clearSealer, masterKeySealer } from '../src/store/sealing.ts';
import { computeSecretHash } from '../src/domain/sign-in/secret-hash.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { spawnTobira } from './helpers/process.ts';
import { configFromArgs } from '../src/cli/main.ts';
import { parseArgs } from '../src/cli/args.ts';

const MASTER = 'correct horse battery staple 42';
// Fixed, so tokens issued before a restart (on another port) keep their issuer.
const ISSUER_BASE = 'http://tobira.test';

describe('the master key seals secrets at rest', () => {
  test('a sealed value opens only with its key and in its own row', () => {
    const sealer = masterKeySealer(MASTER);
    const sealed = sealer.seal('{"d":"private"}', 'signing_keys/kid-1');
    assert.match(sealed, /^sealed:v1:[\w-]{8}:[\w-]+$/);
    assert.doesNotMatch(sealed, /private/);
    assert.notEqual(sealer.seal('{"d":"private"}', 'signing_keys/kid-1'), sealed, 'a fresh IV each time');
    assert.equal(sealer.open(sealed, 'signing_keys/kid-1'), '{"d":"private"}');
    assert.throws(() => sealer.open(sealed, 'signing_keys/kid-2'), /does not open: it was altered or belongs to another row/);
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    assert.throws(() => sealer.open(flipped, 'signing_keys/kid-1'), /does not open/);
    assert.throws(() => masterKeySealer('another master key!!').open(sealed, 'signing_keys/kid-1'), /sealed with another master key/);
    assert.throws(() => clearSealer.open(sealed, 'signing_keys/kid-1'), /TOBIRA_MASTER_KEY or --master-key-file/);
    assert.equal(sealer.open('{"written":"before the key"}', 'signing_keys/kid-1'), '{"written":"before the key"}');
    assert.throws(() => masterKeySealer('short'), /at least 16 characters/);
  });

  test('given later, the key seals what was in clear; clients, tokens and SECRET_HASH keep working; without it or with another, no start', async (tc) => {
    const dir = await mkdtemp(join(tmpdir(), 'tobira-master-key-'));
    try {
      // 1. No master key: a pool, a client with a secret, a signed-in user (keys made).
      let t = await startTestServer({ dataDir: dir, publicUrl: ISSUER_BASE });
      tc.after(() => t.close()); // whichever is running when the test ends, on failure too
      const { poolId } = await poolWithClient(t.url);
      const idp = idpClient(t.url);
      const c = await idp.send(
        new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'secret', GenerateSecret: true, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
      );
      const clientId = c.UserPoolClient!.ClientId!;
      const secret = c.UserPoolClient!.ClientSecret!;
      await userWithPassword(t.url, poolId, 'mei', 'Passw0rd!x');
      await idp.send(
        new CreateIdentityProviderCommand({
          UserPoolId: poolId,
          ProviderName: 'Google',
          ProviderType: 'Google',
          ProviderDetails: { client_id: 'gid', client_secret: 'google-secret-value', authorize_scopes: 'openid email' },
        }),
      );
      const signIn = (url: string) =>
        idpClient(url).send(
          new InitiateAuthCommand({
            ClientId: clientId,
            AuthFlow: 'USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: 'mei', PASSWORD: 'Passw0rd!x', SECRET_HASH: computeSecretHash(secret, 'mei', clientId) },
          }),
        );
      const before = (await signIn(t.url)).AuthenticationResult!;
      const jwksBefore = await (await fetch(`${t.url}/${poolId}/.well-known/jwks.json`)).text();
      await t.close();

      /** Rows as stored on disk, read past Tobira by opening the file directly. */
      const stored = <T>(sql: string, ...params: string[]): T[] => {
        const db = new Database(join(dir, 'tobira.sqlite'), { fileMustExist: true });
        try {
          return db.prepare(sql).all(...params) as T[];
        } finally {
          db.close();
        }
      };
      const clientSecretOf = (id: string) => stored<{ v: string }>('SELECT client_secret AS v FROM user_pool_clients WHERE client_id = ?', id)[0].v;
      const raw = () => ({
        keys: stored<{ v: string }>('SELECT private_jwk AS v FROM signing_keys'),
        secret: clientSecretOf(clientId),
        provider: stored<{ v: string }>('SELECT provider_details AS v FROM identity_providers')[0].v,
      });
      assert.equal(raw().secret, secret, 'stored in clear without a master key');
      assert.ok(raw().keys.every((k) => k.v.startsWith('{')));

      // 2. With the master key: everything is sealed at start, and works as before.
      t = await startTestServer({ dataDir: dir, publicUrl: ISSUER_BASE, masterKey: MASTER });
      const sealed = raw();
      assert.ok(sealed.keys.length >= 2);
      for (const v of [sealed.secret, sealed.provider, ...sealed.keys.map((k) => k.v)]) assert.match(v, /^sealed:v1:/);
      assert.ok(!sealed.provider.includes('google-secret-value'));
      const google = await idpClient(t.url).send(new DescribeIdentityProviderCommand({ UserPoolId: poolId, ProviderName: 'Google' }));
      assert.equal(google.IdentityProvider!.ProviderDetails!.client_secret, 'google-secret-value');
      assert.ok(!sealed.secret.includes(secret));
      const described = await idpClient(t.url).send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }));
      assert.equal(described.UserPoolClient!.ClientSecret, secret);
      assert.equal(await (await fetch(`${t.url}/${poolId}/.well-known/jwks.json`)).text(), jwksBefore);
      assert.equal((await idpClient(t.url).send(new GetUserCommand({ AccessToken: before.AccessToken }))).Username, 'mei');
      const after = (await signIn(t.url)).AuthenticationResult!;
      assert.equal(JSON.parse(Buffer.from(after.IdToken!.split('.')[0], 'base64url').toString()).kid, JSON.parse(Buffer.from(before.IdToken!.split('.')[0], 'base64url').toString()).kid);
      // A client made now is sealed from the start.
      const c2 = await idpClient(t.url).send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'secret2', GenerateSecret: true }));
      await t.close();
      assert.match(clientSecretOf(c2.UserPoolClient!.ClientId!), /^sealed:v1:/);

      // 3. Without the key, or with another one, the server refuses to start and says why.
      await assert.rejects(startTestServer({ dataDir: dir, publicUrl: ISSUER_BASE }), /sealed with a master key: start Tobira with TOBIRA_MASTER_KEY or --master-key-file/);
      await assert.rejects(startTestServer({ dataDir: dir, masterKey: 'a different master key' }), /sealed with another master key/);

      // 4. The CLI: `keys rotate` needs the key too; `start --master-key-file` reads it.
      const keyFile = join(dir, 'master.key');
      await writeFile(keyFile, `${MASTER}\n`, { mode: 0o600 });
      assert.equal(configFromArgs(parseArgs(['--master-key-file', keyFile]), {}).masterKey, MASTER);
      assert.throws(() => configFromArgs(parseArgs(['--master-key-file', join(dir, 'nope')]), {}), /cannot read the master key file .*nope: ENOENT/);
      const refused = spawnTobira(['keys', 'rotate', '--data-dir', dir], { TOBIRA_MASTER_KEY: '' });
      assert.equal((await refused.exited).code, 1);
      assert.match(refused.output(), /TOBIRA_MASTER_KEY or --master-key-file/);
      const rotated = spawnTobira(['keys', 'rotate', '--data-dir', dir, '--master-key-file', keyFile]);
      assert.equal((await rotated.exited).code, 0, rotated.output());
      assert.match(rotated.output(), new RegExp(`${poolId}  id token key `));
      assert.ok(!rotated.output().includes(MASTER));

      t = await startTestServer({ dataDir: dir, publicUrl: ISSUER_BASE, masterKey: MASTER });
      const rotatedKeys = raw().keys;
      assert.equal(rotatedKeys.length, 4);
      for (const k of rotatedKeys) assert.match(k.v, /^sealed:v1:/);
      assert.ok((await signIn(t.url)).AuthenticationResult!.IdToken);
      await t.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
