import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminListDevicesCommand,
  ConfirmDeviceCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  CreateGroupCommand,
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  SetUserPoolMfaConfigCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoIdentityClient, CreateIdentityPoolCommand, SetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { BIN, stopOnExit } from './helpers/process.ts';
import { makeDeviceSecret } from './helpers/device-client.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { startPostgres, type RunningPostgres } from './helpers/postgres.ts';
import { stepAt, totpAt } from '../src/domain/mfa/totp.ts';
import type { Running } from '../src/tobira.ts';

/** A store file opened to look at, never to change: it must exist, and queries may only read. */
function openToRead(file: string) {
  const db = new BetterSqlite3(file, { fileMustExist: true });
  db.pragma('query_only = ON');
  return db;
}

/** Runs `tobira <args>` to its end. */
function tobira(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TOBIRA_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const forget = stopOnExit(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => (forget(), resolve({ code, stdout, stderr })));
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await tobira(args);
  assert.equal(r.code, 0, `tobira ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const secretHash = (username: string, clientId: string, secret: string) => createHmac('sha256', secret).update(username + clientId).digest('base64');

const dir = mkdtempSync(join(tmpdir(), 'tobira-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tobira export / import: a round trip loses nothing', () => {
  const source = join(dir, 'source');
  let server: Running;
  let poolId: string;
  let clientId: string;
  let clientSecret: string;
  let totpSecret: string;
  let verifiedStep: number;
  let exported: string;
  let deviceKey: string;
  let pg: RunningPostgres | undefined;

  before(async () => {
    server = await startTestServer({ dataDir: source });
    const idp = idpClient(server.url);
    const pool = await idp.send(
      new CreateUserPoolCommand({
        PoolName: 'rich',
        Policies: { PasswordPolicy: { MinimumLength: 10, RequireNumbers: true, PasswordHistorySize: 2 } },
        Schema: [{ Name: 'tenant', AttributeDataType: 'String', Mutable: true }],
        AliasAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        UserPoolTags: { team: 'identity' },
        DeviceConfiguration: { ChallengeRequiredOnNewDevice: false, DeviceOnlyRememberedOnUserPrompt: false },
      }),
    );
    poolId = pool.UserPool!.Id!;
    await idp.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await idp.send(new CreateResourceServerCommand({ UserPoolId: poolId, Identifier: 'https://api.example.com', Name: 'api', Scopes: [{ ScopeName: 'read', ScopeDescription: 'read' }] }));
    const client = await idp.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'web', GenerateSecret: true, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], AccessTokenValidity: 2 }),
    );
    clientId = client.UserPoolClient!.ClientId!;
    clientSecret = client.UserPoolClient!.ClientSecret!;
    await idp.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: 'rich-export' }));
    await idp.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'admins', Precedence: 1, Description: 'administrators' }));
    await idp.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'readers' }));
    // Each user's temporary password differs from the permanent one: the pool keeps a password history.
    const user = async (Username: string, password: string, attributes: Record<string, string>) => {
      await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username, MessageAction: 'SUPPRESS', TemporaryPassword: `Temp${password}`, UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })) }));
      await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username, Password: password, Permanent: true }));
    };
    await user('alice', 'alicePassword1', { email: 'alice@example.com', email_verified: 'true', 'custom:tenant': 'acme' });
    await user('bob', 'bobPassword22', { email: 'bob@example.com' });
    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'carol', MessageAction: 'SUPPRESS', TemporaryPassword: 'carolTemp333' }));
    await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'alice', GroupName: 'admins' }));
    await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'alice', GroupName: 'readers' }));
    // Alice enrols a TOTP authenticator and prefers it.
    const signed = await idp.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'alicePassword1', SECRET_HASH: secretHash('alice', clientId, clientSecret) } }),
    );
    const AccessToken = signed.AuthenticationResult!.AccessToken!;
    totpSecret = (await idp.send(new AssociateSoftwareTokenCommand({ AccessToken }))).SecretCode!;
    const now = Date.now();
    verifiedStep = stepAt(now);
    await idp.send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(totpSecret, now), FriendlyDeviceName: 'phone' }));
    await idp.send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    // Bob remembers a device.
    const bobIn = await idp.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'bob', PASSWORD: 'bobPassword22', SECRET_HASH: secretHash('bob', clientId, clientSecret) } }),
    );
    const meta = bobIn.AuthenticationResult!.NewDeviceMetadata!;
    const device = await makeDeviceSecret(meta.DeviceGroupKey!, meta.DeviceKey!);
    await idp.send(new ConfirmDeviceCommand({ AccessToken: bobIn.AuthenticationResult!.AccessToken!, DeviceKey: meta.DeviceKey!, DeviceSecretVerifierConfig: device.config, DeviceName: 'laptop' }));
    deviceKey = meta.DeviceKey!;
    const identity = new CognitoIdentityClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'x' }, maxAttempts: 1 });
    const ip = await identity.send(
      new CreateIdentityPoolCommand({ IdentityPoolName: 'rich_identities', AllowUnauthenticatedIdentities: true, CognitoIdentityProviders: [{ ClientId: clientId, ProviderName: `cognito-idp.us-east-1.amazonaws.com/${poolId}` }] }),
    );
    await identity.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: ip.IdentityPoolId!, Roles: { authenticated: 'arn:aws:iam::000000000000:role/auth', unauthenticated: 'arn:aws:iam::000000000000:role/unauth' } }));
  });
  after(async () => {
    await server?.close();
    await pg?.stop();
  });

  /** Alice signs in on a server of that store: password (same as before), then her TOTP code. */
  async function aliceSignsIn(url: string): Promise<void> {
    const idp = idpClient(url);
    const first = await idp.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'alicePassword1', SECRET_HASH: secretHash('alice', clientId, clientSecret) } }),
    );
    assert.equal(first.ChallengeName, 'SOFTWARE_TOKEN_MFA');
    // The verifying code's step is used up (the store kept that too): the next step's code is within the window.
    const now = Date.now();
    const code = stepAt(now) <= verifiedStep ? totpAt(totpSecret, now + 30_000) : totpAt(totpSecret, now);
    const done = await idp.send(
      new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: first.Session, ChallengeResponses: { USERNAME: 'alice', SOFTWARE_TOKEN_MFA_CODE: code, SECRET_HASH: secretHash('alice', clientId, clientSecret) } }),
    );
    assert.ok(done.AuthenticationResult?.IdToken);
    const claims = JSON.parse(Buffer.from(done.AuthenticationResult!.IdToken!.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims['cognito:groups'], ['admins', 'readers']);
    assert.equal(claims['custom:tenant'], 'acme');
    const devices = await idp.send(new AdminListDevicesCommand({ UserPoolId: poolId, Username: 'bob' }));
    assert.deepEqual(devices.Devices?.map((d) => d.DeviceKey), [deviceKey]);
  }

  test('export while the server runs; import into a fresh SQLite store; export again: the same bytes', async () => {
    exported = await ok(['export', '--data-dir', source]);
    const doc = JSON.parse(exported);
    assert.equal(doc.tobiraExport, 1);
    const pool = doc.userPools[0];
    assert.equal(pool.Id, poolId);
    assert.equal(pool.clients[0].ClientSecret, clientSecret, 'a store without a master key holds secrets in clear, and exports them so');
    const alice = pool.users.find((u: { Username: string }) => u.Username === 'alice');
    assert.match(alice.PasswordHash, /^\$argon2id\$/);
    assert.deepEqual(alice.Groups, ['admins', 'readers']);
    assert.ok(pool.stored.rows.software_tokens?.length === 1, 'the TOTP authenticator is exported');
    assert.equal(doc.identityPools.length, 1);
    const file = join(dir, 'state.json');
    await ok(['export', '--data-dir', source, '--out', file]);
    assert.equal(readFileSync(file, 'utf8'), exported, 'the same store exports the same bytes');

    const target = join(dir, 'target');
    const imported = await ok(['import', file, '--data-dir', target]);
    assert.match(imported, new RegExp(`imported user pool ${poolId}`));
    assert.equal(await ok(['export', '--data-dir', target]), exported);
    const again = await tobira(['import', file, '--data-dir', target]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists in this store \(give --replace/);
    await ok(['import', file, '--data-dir', target, '--replace']);
    assert.equal(await ok(['export', '--data-dir', target]), exported);

    const moved = await startTestServer({ dataDir: target });
    try {
      await aliceSignsIn(moved.url);
    } finally {
      await moved.close();
    }
  });

  test('--secrets omit leaves the secrets out; --secrets clear on a store without a master key is the default; --pool; a config is not an export', async () => {
    const omitted = JSON.parse(await ok(['export', '--data-dir', source, '--secrets', 'omit']));
    assert.equal(omitted.userPools[0].clients[0].ClientSecret, undefined);
    assert.equal(omitted.userPools[0].stored.rows.signing_keys, undefined);
    assert.equal(omitted.userPools[0].stored.rows.software_tokens, undefined);
    assert.doesNotMatch(JSON.stringify(omitted), new RegExp(clientSecret));
    assert.equal(await ok(['export', '--data-dir', source, '--secrets', 'clear']), exported.replace('"secrets": "sealed"', '"secrets": "clear"'));
    const one = JSON.parse(await ok(['export', '--data-dir', source, '--pool', poolId]));
    assert.deepEqual([one.userPools.map((p: { Id: string }) => p.Id), one.identityPools], [[poolId], []]);
    const notExport = join(dir, 'not-an-export.json');
    writeFileSync(notExport, JSON.stringify({ userPools: [] }));
    const refused = await tobira(['import', notExport, '--data-dir', join(dir, 'never')]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not a file written by tobira export/);
  });

  test('into PostgreSQL: import, export the same bytes, and sign in there', async () => {
    pg = await startPostgres();
    const url = await pg.newDatabase();
    const file = join(dir, 'state.json');
    await ok(['import', file, '--database-url', url]);
    assert.equal(await ok(['export', '--database-url', url]), exported);
    const onPg = await startTestServer({ databaseUrl: url });
    try {
      await aliceSignsIn(onPg.url);
    } finally {
      await onPg.close();
    }
  });
});

describe('tobira export / import with a master key', () => {
  test('secrets stay sealed by default (the new store needs the key), or move in clear and are sealed under the new key', async () => {
    const keyFile = join(dir, 'master.key');
    const otherKeyFile = join(dir, 'other.key');
    writeFileSync(keyFile, 'first-master-key-0123456789');
    writeFileSync(otherKeyFile, 'second-master-key-9876543210');
    const data = join(dir, 'sealed-source');
    const server = await startTestServer({ dataDir: data, masterKey: 'first-master-key-0123456789' });
    let poolId: string;
    let clientId: string;
    let secret: string;
    try {
      const idp = idpClient(server.url);
      poolId = (await idp.send(new CreateUserPoolCommand({ PoolName: 'sealed' }))).UserPool!.Id!;
      const client = await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'c', GenerateSecret: true, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }));
      clientId = client.UserPoolClient!.ClientId!;
      secret = client.UserPoolClient!.ClientSecret!;
      await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'dora', MessageAction: 'SUPPRESS', TemporaryPassword: 'TempDora12345!' }));
      await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'dora', Password: 'doraPassword1!', Permanent: true }));
      await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'dora', PASSWORD: 'doraPassword1!', SECRET_HASH: secretHash('dora', clientId, secret) } }));
    } finally {
      await server.close();
    }
    const signIn = async (dataDir: string, masterKey: string) => {
      const s = await startTestServer({ dataDir, masterKey });
      try {
        const r = await idpClient(s.url).send(
          new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'dora', PASSWORD: 'doraPassword1!', SECRET_HASH: secretHash('dora', clientId, secret) } }),
        );
        assert.ok(r.AuthenticationResult?.IdToken);
      } finally {
        await s.close();
      }
    };
    const sealed = await ok(['export', '--data-dir', data]);
    assert.match(sealed, /"client_secret": "sealed:v1:/);
    assert.doesNotMatch(sealed, new RegExp(secret));
    const sealedFile = join(dir, 'sealed.json');
    writeFileSync(sealedFile, sealed);
    const sameKey = join(dir, 'sealed-same-key');
    await ok(['import', sealedFile, '--data-dir', sameKey]);
    await signIn(sameKey, 'first-master-key-0123456789');

    const noKey = await tobira(['export', '--data-dir', data, '--secrets', 'clear']);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /master key/);
    const clear = await ok(['export', '--data-dir', data, '--secrets', 'clear', '--master-key-file', keyFile]);
    assert.match(clear, new RegExp(`"ClientSecret": "${secret}"`));
    const clearFile = join(dir, 'clear.json');
    writeFileSync(clearFile, clear);
    const otherKey = join(dir, 'sealed-other-key');
    await ok(['import', clearFile, '--data-dir', otherKey, '--master-key-file', otherKeyFile]);
    const db = openToRead(join(otherKey, 'tobira.sqlite'));
    try {
      const row = db.prepare('SELECT client_secret FROM user_pool_clients WHERE client_id = ?').get(clientId) as { client_secret: string };
      assert.match(row.client_secret, /^sealed:v1:/);
    } finally {
      db.close();
    }
    await signIn(otherKey, 'second-master-key-9876543210');
  });
});

describe('an export applied as a config', () => {
  test('tobira start --config state.json on an empty store: pools, clients and password hashes', async () => {
    const s = await startTestServer({ configFile: join(dir, 'state.json') });
    try {
      const doc = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
      const pool = doc.userPools[0];
      const client = pool.clients[0];
      const r = await idpClient(s.url).send(
        new InitiateAuthCommand({ ClientId: client.ClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'bob', PASSWORD: 'bobPassword22', SECRET_HASH: secretHash('bob', client.ClientId, client.ClientSecret) } }),
      );
      assert.ok(r.AuthenticationResult?.IdToken);
    } finally {
      await s.close();
    }
  });
});

describe('tobira backup', () => {
  test('a consistent copy of the SQLite store while the server writes (and a consistent export)', async () => {
    const data = join(dir, 'busy');
    const server = await startTestServer({ dataDir: data });
    const idp = idpClient(server.url);
    try {
      const pool = await idp.send(new CreateUserPoolCommand({ PoolName: 'busy' }));
      const poolId = pool.UserPool!.Id!;
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: `user${written}`, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `u${written}@example.com` }] }));
          written++;
        }
      })();
      while (written < 3) await new Promise((r) => setTimeout(r, 50));
      const copy = join(dir, 'backup');
      const out = await ok(['backup', copy, '--data-dir', data]);
      assert.match(out, /backed up/);
      // An export taken meanwhile is one snapshot too: it imports whole (every index row has its user).
      const busyFile = join(dir, 'busy.json');
      await ok(['export', '--data-dir', data, '--out', busyFile]);
      assert.match(await ok(['import', busyFile, '--data-dir', join(dir, 'busy-imported')]), /rows imported/);
      writing = false;
      await writer;
      assert.ok(written > 3, 'the server kept writing');
      const db = openToRead(join(copy, 'tobira.sqlite'));
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        assert.deepEqual(db.pragma('foreign_key_check'), []);
        const users = (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
        // Every user in the copy is whole: its indexed email came with it, in the same transaction.
        const indexed = (db.prepare("SELECT COUNT(*) AS n FROM user_attribute_index WHERE name = 'email'").get() as { n: number }).n;
        assert.ok(users >= 3 && users <= written, `${users} users in the copy, ${written} written`);
        assert.equal(indexed, users);
      } finally {
        db.close();
      }
      const restored = await startTestServer({ dataDir: copy });
      try {
        const listed = await idpClient(restored.url).send(new ListUsersCommand({ UserPoolId: poolId }));
        assert.ok((listed.Users?.length ?? 0) >= 3);
      } finally {
        await restored.close();
      }
      const refused = await tobira(['backup', copy, '--data-dir', data]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /exists already/);
    } finally {
      await server.close();
    }
  });
});
