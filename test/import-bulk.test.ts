import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CreateUserImportJobCommand,
  CreateUserPoolCommand,
  DescribeUserImportJobCommand,
  GetCSVHeaderCommand,
  ListUsersCommand,
  StartUserImportJobCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { PostgresDatabase } from '../src/store/postgres.ts';
import type { Running } from '../src/tobira.ts';
import { startPostgres, type RunningPostgres } from './helpers/postgres.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';

/**
 * A user import job of a few thousand rows (several batches, each written with multi-row
 * statements) on PostgreSQL and on SQLite: every user is stored exactly once, with every attribute
 * of its row (quotes, backslashes, braces, commas and non-ASCII text included), its alias and its
 * ListUsers index entries; and the rows that break a rule keep their outcomes: a username met
 * again later in the file, or already in the pool, SKIPPED; an email another user holds, FAILED.
 */

const ROWS = 3500;
const field = (v: string) => (/[",\r\n\\]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The given_name of row i: plain, or one of the texts that need escaping somewhere. */
const givenName = (i: number) => (i % 7 === 0 ? `Zoë "Q" {${i}},\\ ${'{}'}` : i % 7 === 1 ? `NULL` : `Given${i}`);

async function importJob(idp: CognitoIdentityProviderClient, poolId: string, text: string) {
  const job = (await idp.send(new CreateUserImportJobCommand({ UserPoolId: poolId, JobName: 'bulk', CloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/Import' }))).UserImportJob!;
  const put = await fetch(job.PreSignedUrl!, { method: 'PUT', body: text, headers: { 'content-type': 'text/csv' } });
  assert.equal(put.status, 200, await put.text());
  await idp.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
  for (let i = 0; i < 1200; i++) {
    const j = (await idp.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))).UserImportJob!;
    if (!['Pending', 'InProgress'].includes(j.Status!)) return j;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the import job did not end');
}

for (const store of ['PostgreSQL', 'SQLite'] as const) {
  describe(`a bulk import of ${ROWS.toLocaleString('en-US')} users on ${store}`, () => {
    let postgres: RunningPostgres | undefined;
    let dir: string | undefined;
    let t: Running;
    before(async () => {
      if (store === 'PostgreSQL') {
        postgres = await startPostgres();
        t = await startTestServer({}, { database: await PostgresDatabase.open(await postgres.newDatabase()) });
      } else {
        dir = await mkdtemp(join(tmpdir(), 'tobira-import-bulk-'));
        t = await startTestServer({ dataDir: dir });
      }
    });
    after(async () => {
      await t?.close();
      await postgres?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('stores every user exactly once with all its attributes, alias and index entries; duplicates SKIPPED, a taken email FAILED', async () => {
      const idp = idpClient(t.url);
      const poolId = (await idp.send(new CreateUserPoolCommand({ PoolName: 'bulk', AliasAttributes: ['email'], AutoVerifiedAttributes: ['email'] }))).UserPool!.Id!;
      // Already in the pool (no email): its row is SKIPPED.
      await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'bulk7', MessageAction: 'SUPPRESS' }));
      const header = (await idp.send(new GetCSVHeaderCommand({ UserPoolId: poolId }))).CSVHeader!;
      const row = (username: string, email: string, given: string, family: string) => {
        const r: Record<string, string> = { 'cognito:username': username, email, email_verified: 'true', given_name: given, family_name: family, 'cognito:mfa_enabled': 'false' };
        return header.map((h) => field(r[h] ?? '')).join(',');
      };
      const lines = Array.from({ length: ROWS }, (_, i) => row(`bulk${i}`, `bulk${i}@example.com`, givenName(i), `Family${i % 13}`));
      // A username met again in the same batch and in a later one, and another user's email.
      lines.splice(500, 0, row('bulk3', 'again3@example.com', 'Again', 'Again'));
      lines.splice(2600, 0, row('bulk10', 'again10@example.com', 'Again', 'Again'));
      lines.splice(1200, 0, row('other1', 'bulk20@example.com', 'Other', 'Other'));
      const job = await importJob(idp, poolId, `${[header.map(field).join(','), ...lines].join('\r\n')}\r\n`);
      assert.deepEqual([job.Status, job.ImportedUsers, job.SkippedUsers, job.FailedUsers], ['Succeeded', ROWS - 1, 3, 1]);

      const db = t.app.store.db;
      const users = await db.all<{ username: string; attributes: string; status: string }>('SELECT username, attributes, status FROM users WHERE pool_id = ? ORDER BY username_key', [poolId]);
      assert.equal(users.length, ROWS, 'bulk0 .. bulk3499, each once (bulk7 the one created before)');
      assert.equal(new Set(users.map((u) => u.username)).size, ROWS);
      const byName = new Map(users.map((u) => [u.username, u]));
      for (let i = 0; i < ROWS; i++) {
        const u = byName.get(`bulk${i}`);
        assert.ok(u, `bulk${i} is stored`);
        if (i === 7) continue;
        const attrs = JSON.parse(u.attributes);
        assert.match(attrs.sub, /^[0-9a-f-]{36}$/);
        assert.deepEqual(
          { ...attrs, sub: undefined },
          { sub: undefined, email: `bulk${i}@example.com`, email_verified: 'true', given_name: givenName(i), family_name: `Family${i % 13}` },
        );
        assert.equal(u.status, 'RESET_REQUIRED');
      }
      const count = async (table: string) => Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE pool_id = ?`, [poolId]))!.n);
      assert.equal(await count('user_aliases'), ROWS - 1, 'one email alias per imported user');
      assert.equal(await count('user_attribute_index'), 3 * (ROWS - 1), 'email, given_name and family_name of each imported user');

      // Through the API: the attributes as written, and ListUsers by the indexed values.
      const got = await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'bulk14' }));
      assert.equal(got.UserAttributes!.find((a) => a.Name === 'given_name')!.Value, givenName(14));
      const listed = await idp.send(new ListUsersCommand({ UserPoolId: poolId, Filter: 'email ^= "bulk3499@"' }));
      assert.deepEqual(listed.Users!.map((u) => u.Username), ['bulk3499']);
      const quoted = await idp.send(new ListUsersCommand({ UserPoolId: poolId, Filter: 'given_name ^= "Zoë"', Limit: 60 }));
      assert.equal(quoted.Users!.length, 60);
      const byEmail = await idp.send(new ListUsersCommand({ UserPoolId: poolId, Filter: 'email = "bulk20@example.com"' }));
      assert.deepEqual(byEmail.Users!.map((u) => u.Username), ['bulk20'], 'the email stays with the user that held it first');
    });
  });
}
