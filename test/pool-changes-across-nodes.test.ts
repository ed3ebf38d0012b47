import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawCall } from './helpers/tobira.ts';
import { startPostgres, type RunningPostgres } from './helpers/postgres.ts';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';

/**
 * A node reads a pool's settings text only when the row's version changed (repos/pools.ts):
 * every way a pool is written, on another process, must still show on this node's next call.
 * Node 1 reads the pool before each change, so it holds the old settings when the change lands.
 * GetUser reads its token's pool, user, revocation and client in one statement: app client
 * changes and revocations through node 0 must show on node 1's next call as well.
 */
for (const store of ['sqlite', 'postgres'] as const) {
  describe(`a pool changed by another process is seen at once (${store})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tobira-pool-nodes-'));
    let postgres: RunningPostgres | undefined;
    let storeFlags: string[] = [];
    const nodes: { proc: Spawned; url: string }[] = [];

    const call = async (node: number, op: string, body: unknown) => {
      const r = await rawCall(nodes[node].url, op, body);
      assert.equal(r.status, 200, `node ${node} ${op}: ${r.text}`);
      return r.json;
    };
    const minLength = async (node: number, poolId: string) =>
      (await call(node, 'DescribeUserPool', { UserPoolId: poolId })).UserPool.Policies.PasswordPolicy.MinimumLength as number;
    /** AdminCreateUser with a 9-character temporary password: refused while the minimum is above 9. */
    const createWithNineCharacters = (node: number, poolId: string, username: string) =>
      rawCall(nodes[node].url, 'AdminCreateUser', { UserPoolId: poolId, Username: username, TemporaryPassword: 'Abcdef12!', MessageAction: 'SUPPRESS' });
    /** A `tobira` command on the nodes' store, run to its end. */
    const run = async (args: string[]) => {
      const proc = spawnTobira([...args, ...storeFlags]);
      const { code } = await proc.exited;
      assert.equal(code, 0, `tobira ${args.join(' ')}: ${proc.output()}`);
      return proc.output();
    };

    after(async () => {
      await stopSpawned(...nodes.map((n) => n.proc));
      await postgres?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('two nodes start on one store', async () => {
      if (store === 'postgres') {
        postgres = await startPostgres();
        storeFlags = ['--database-url', await postgres.newDatabase()];
      } else storeFlags = ['--data-dir', dir];
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        const proc = spawnTobira(['start', '--port', String(port), '--log-level', 'error', ...storeFlags]);
        nodes.push({ proc, url: `http://127.0.0.1:${port}` });
        // One after the other: the first applies the migrations.
        await waitForHealth(nodes[i].url, 30_000);
      }
    });

    test('UpdateUserPool, tags (which leave LastModifiedDate alone) and SetUserPoolMfaConfig', async () => {
      const poolId = (await call(0, 'CreateUserPool', { PoolName: 'nodes', Policies: { PasswordPolicy: { MinimumLength: 8 } } })).UserPool.Id;
      assert.equal(await minLength(1, poolId), 8);
      assert.equal((await createWithNineCharacters(1, poolId, 'nine')).status, 200);

      await call(0, 'UpdateUserPool', { UserPoolId: poolId, Policies: { PasswordPolicy: { MinimumLength: 12 } } });
      assert.equal(await minLength(1, poolId), 12);
      const refused = await createWithNineCharacters(1, poolId, 'nine-again');
      assert.equal(refused.status, 400);
      assert.equal(refused.json.__type, 'InvalidPasswordException');

      // Tags are settings too, written without a new LastModifiedDate: two changes in a row, each
      // read by node 1 at once (most likely within one millisecond of the write).
      const arn = (await call(1, 'DescribeUserPool', { UserPoolId: poolId })).UserPool.Arn;
      for (const value of ['a', 'b']) {
        await call(0, 'TagResource', { ResourceArn: arn, Tags: { team: value } });
        assert.deepEqual((await call(1, 'DescribeUserPool', { UserPoolId: poolId })).UserPool.UserPoolTags, { team: value });
      }

      assert.equal((await call(1, 'GetUserPoolMfaConfig', { UserPoolId: poolId })).MfaConfiguration, 'OFF');
      await call(0, 'SetUserPoolMfaConfig', { UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } });
      assert.equal((await call(1, 'GetUserPoolMfaConfig', { UserPoolId: poolId })).MfaConfiguration, 'OPTIONAL');
    });

    test('SignUp and InitiateAuth, which name only a ClientId (its row and its pool read together), after UpdateUserPool', async () => {
      const poolId = (await call(0, 'CreateUserPool', { PoolName: 'by-client', Policies: { PasswordPolicy: { MinimumLength: 8 } } })).UserPool.Id;
      const clientId = (await call(0, 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] })).UserPoolClient.ClientId;
      const signUp = (username: string) => rawCall(nodes[1].url, 'SignUp', { ClientId: clientId, Username: username, Password: 'Abcdef12!' });
      // Twice on node 1: the second read asks for the pool's settings only if they changed.
      assert.equal((await signUp('first')).status, 200);
      assert.equal((await signUp('second')).status, 200);
      await call(0, 'UpdateUserPool', { UserPoolId: poolId, Policies: { PasswordPolicy: { MinimumLength: 12 } } });
      const refused = await signUp('third');
      assert.equal(refused.status, 400);
      assert.equal(refused.json.__type, 'InvalidPasswordException');
      // A pool setting InitiateAuth reads: users must confirm first, then admin-confirmed may sign in.
      await call(0, 'AdminConfirmSignUp', { UserPoolId: poolId, Username: 'first' });
      const signIn = () => rawCall(nodes[1].url, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'first', PASSWORD: 'Abcdef12!' } });
      assert.equal((await signIn()).status, 200);
      await call(0, 'DeleteUserPool', { UserPoolId: poolId });
      const gone = await signIn();
      assert.equal(gone.status, 400);
      assert.equal(gone.json.__type, 'ResourceNotFoundException');
    });

    /** `tobira start --config` with these pools, by a third process, until it serves (the config is applied before). */
    const apply = async (userPools: unknown[]) => {
      const file = join(dir, 'tobira.json');
      writeFileSync(file, JSON.stringify({ userPools }));
      const port = await freePort();
      const proc = spawnTobira(['start', '--port', String(port), '--config', file, '--log-level', 'error', ...storeFlags]);
      try {
        await waitForHealth(`http://127.0.0.1:${port}`, 30_000);
      } finally {
        await stopSpawned(proc);
      }
    };

    test('a declarative config applied by a third process', async () => {
      const poolId = 'us-east-1_Declared9';
      const pool = (min: number) => ({ Id: poolId, PoolName: 'declared', Policies: { PasswordPolicy: { MinimumLength: min } } });
      await apply([pool(8)]);
      assert.equal(await minLength(1, poolId), 8);
      await apply([pool(11)]);
      assert.equal(await minLength(1, poolId), 11);
    });

    test('AdminGetUser after the pool was made anew under its id, now case sensitive', async () => {
      // AdminGetUser reads the pool and the user in one statement, by the username key the kept
      // settings give; a pool made anew may key the same username otherwise.
      const poolId = 'us-east-1_RemadeXX1';
      const pool = (caseSensitive: boolean) => ({ Id: poolId, PoolName: 'remade', UsernameConfiguration: { CaseSensitive: caseSensitive } });
      await apply([pool(false)]);
      await call(0, 'AdminCreateUser', { UserPoolId: poolId, Username: 'Alice', MessageAction: 'SUPPRESS' });
      assert.equal((await call(1, 'AdminGetUser', { UserPoolId: poolId, Username: 'ALICE' })).Username, 'Alice');

      await call(0, 'DeleteUserPool', { UserPoolId: poolId });
      await apply([pool(true)]);
      await call(0, 'AdminCreateUser', { UserPoolId: poolId, Username: 'Alice', MessageAction: 'SUPPRESS' });
      assert.equal((await call(1, 'AdminGetUser', { UserPoolId: poolId, Username: 'Alice' })).Username, 'Alice');
      const missing = await rawCall(nodes[1].url, 'AdminGetUser', { UserPoolId: poolId, Username: 'ALICE' });
      assert.equal(missing.json.__type, 'UserNotFoundException');
    });

    test('tobira import --replace of an edited export', async () => {
      const poolId = (await call(0, 'CreateUserPool', { PoolName: 'exported', Policies: { PasswordPolicy: { MinimumLength: 8 } } })).UserPool.Id;
      const file = join(dir, 'export.json');
      await run(['export', '--pool', poolId, '--out', file]);
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      const row = doc.userPools[0].stored.rows.user_pools[0];
      assert.equal(row.version, undefined, 'the version is not exported');
      // The stored settings edited by hand: the same row, other settings.
      const settings = JSON.parse(row.config);
      settings.Policies.PasswordPolicy.MinimumLength = 14;
      row.config = JSON.stringify(settings);
      writeFileSync(file, JSON.stringify(doc));

      assert.equal(await minLength(1, poolId), 8);
      await run(['import', file, '--replace']);
      assert.equal(await minLength(1, poolId), 14);
      assert.equal(await minLength(0, poolId), 14);
    });

    /** A pool with a client for USER_PASSWORD_AUTH and refresh, and a user with a password; signs in through `node`. */
    const poolWithUser = async (name: string, client: Record<string, unknown>) => {
      const poolId = (await call(0, 'CreateUserPool', { PoolName: name })).UserPool.Id;
      const clientId = (await call(0, 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: name, ...client })).UserPoolClient.ClientId as string;
      const attributes = { email: 'ann@example.com', given_name: 'Ann', family_name: 'Lee' };
      await call(0, 'AdminCreateUser', {
        UserPoolId: poolId,
        Username: 'ann',
        MessageAction: 'SUPPRESS',
        UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
      });
      await call(0, 'AdminSetUserPassword', { UserPoolId: poolId, Username: 'ann', Password: 'Passw0rd!long', Permanent: true });
      const signIn = (node: number) =>
        rawCall(nodes[node].url, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ann', PASSWORD: 'Passw0rd!long' } });
      return { poolId, clientId, signIn };
    };
    const userAttributeNames = async (node: number, accessToken: string) =>
      ((await call(node, 'GetUser', { AccessToken: accessToken })).UserAttributes as { Name: string }[]).map((a) => a.Name).sort();
    const lifetime = (jwt: string) => {
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
      return claims.exp - claims.iat;
    };

    test('UpdateUserPoolClient: GetUser, sign-in flows and token validity on the other node', async () => {
      // GetUser reads the token's client with its pool and user in one statement (access-tokens.ts).
      const flows = ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'];
      const { poolId, clientId, signIn } = await poolWithUser('clients', { ExplicitAuthFlows: flows, ReadAttributes: ['email', 'given_name'] });
      const first = (await signIn(1)).json.AuthenticationResult;
      assert.equal(lifetime(first.AccessToken), 3600);
      assert.deepEqual(await userAttributeNames(1, first.AccessToken), ['email', 'given_name', 'sub']);

      await call(0, 'UpdateUserPoolClient', {
        UserPoolId: poolId,
        ClientId: clientId,
        ExplicitAuthFlows: flows,
        ReadAttributes: ['email', 'family_name'],
        AccessTokenValidity: 5,
        TokenValidityUnits: { AccessToken: 'minutes' },
      });
      assert.deepEqual(await userAttributeNames(1, first.AccessToken), ['email', 'family_name', 'sub']);
      const refreshed = await call(1, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: first.RefreshToken } });
      assert.equal(lifetime(refreshed.AuthenticationResult.AccessToken), 300);

      await call(0, 'UpdateUserPoolClient', { UserPoolId: poolId, ClientId: clientId, ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'] });
      const refused = await signIn(1);
      assert.equal(refused.status, 400);
      assert.equal(refused.json.__type, 'InvalidParameterException');
      assert.equal(refused.json.message, 'USER_PASSWORD_AUTH flow not enabled for this client');
      // No ReadAttributes now: every attribute.
      assert.deepEqual(await userAttributeNames(1, first.AccessToken), ['email', 'family_name', 'given_name', 'sub']);

      await call(0, 'DeleteUserPoolClient', { UserPoolId: poolId, ClientId: clientId });
      const gone = await rawCall(nodes[1].url, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: first.RefreshToken } });
      assert.equal(gone.json.__type, 'ResourceNotFoundException');
    });

    test('RevokeToken, AdminUserGlobalSignOut and AdminDisableUser through one node end the access token on the other', async () => {
      const { poolId, clientId, signIn } = await poolWithUser('revoked', { ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] });
      const getUser = (node: number, token: string) => rawCall(nodes[node].url, 'GetUser', { AccessToken: token });
      const assertRevoked = async (token: string, message: string) => {
        const r = await getUser(1, token);
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.__type, 'NotAuthorizedException');
        assert.equal(r.json.message, message);
      };
      const a = (await signIn(1)).json.AuthenticationResult;
      const b = (await signIn(1)).json.AuthenticationResult;
      assert.equal((await getUser(1, a.AccessToken)).status, 200);
      assert.equal((await getUser(1, b.AccessToken)).status, 200);

      // One sign-in revoked (revoked_tokens by origin_jti): the other stays.
      await call(0, 'RevokeToken', { ClientId: clientId, Token: a.RefreshToken });
      await assertRevoked(a.AccessToken, 'Access Token has been revoked');
      assert.equal((await getUser(1, b.AccessToken)).status, 200);

      // (Node 0 would not take node 1's tokens: the issuer names the node's own address.)
      await call(0, 'AdminUserGlobalSignOut', { UserPoolId: poolId, Username: 'ann' });
      await assertRevoked(b.AccessToken, 'Access Token has been revoked');

      const c = (await signIn(1)).json.AuthenticationResult;
      assert.equal((await getUser(1, c.AccessToken)).status, 200);
      await call(0, 'AdminDisableUser', { UserPoolId: poolId, Username: 'ann' });
      await assertRevoked(c.AccessToken, 'User is disabled.');
      await call(0, 'AdminEnableUser', { UserPoolId: poolId, Username: 'ann' });
      await assertRevoked(c.AccessToken, 'Access Token has been revoked');
      await call(0, 'AdminDeleteUser', { UserPoolId: poolId, Username: 'ann' });
      const missing = await getUser(1, c.AccessToken);
      assert.equal(missing.json.__type, 'UserNotFoundException');
    });
  });
}
