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
  });
}
