import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { startPostgres, type RunningPostgres } from './helpers/postgres.ts';
import { exportState } from '../src/declarative/export.ts';
import { importState } from '../src/declarative/import.ts';
import type { Running } from '../src/tobira.ts';

/**
 * A users row keeps its UserType as ListUsers lists it (users.listed, migration 23), so that a
 * page is its rows' texts joined (store/repos/users.ts listedText). These check, on SQLite and
 * PostgreSQL, that a page is the same bytes whether it is written from the kept texts, from the
 * columns (rows that keep none) or from both; that an UPDATE by a writer that does not know the
 * column (a node of an earlier version) cannot leave a stale text behind; and that an import
 * writes the texts of the rows it copies.
 */
for (const store of ['sqlite', 'postgres'] as const) {
  describe(`ListUsers from kept UserType texts (${store})`, () => {
    let t: Running;
    let postgres: RunningPostgres | undefined;
    let pool: string;

    const ok = async (op: string, body: unknown) => {
      const r = await rawCall(t.url, op, body);
      assert.equal(r.status, 200, `${op}: ${r.text}`);
      return r.json;
    };
    /** Every page of a listing, as the bytes answered. */
    const pages = async (op: 'ListUsers' | 'ListUsersInGroup', body: Record<string, unknown>) => {
      const out: string[] = [];
      const tokenName = op === 'ListUsers' ? 'PaginationToken' : 'NextToken';
      let token: string | undefined;
      do {
        const r = await rawCall(t.url, op, { ...body, ...(token ? { [tokenName]: token } : {}) });
        assert.equal(r.status, 200, r.text);
        out.push(r.text);
        token = r.json[tokenName];
      } while (token);
      return out;
    };
    const LISTINGS: ['ListUsers' | 'ListUsersInGroup', Record<string, unknown>][] = [];
    const everyListing = async () => {
      const out: string[][] = [];
      for (const [op, body] of LISTINGS) out.push(await pages(op, { UserPoolId: pool, ...body }));
      return out;
    };
    const kept = async (username: string) =>
      (await t.app.store.db.get<{ listed: string | null }>('SELECT listed FROM users WHERE pool_id = ? AND username = ?', [pool, username]))!.listed;

    before(async () => {
      if (store === 'postgres') {
        postgres = await startPostgres();
        t = await startTestServer({ databaseUrl: await postgres.newDatabase() });
      } else t = await startTestServer();
      pool = (await ok('CreateUserPool', { PoolName: 'kept' })).UserPool.Id;
      await ok('CreateGroup', { UserPoolId: pool, GroupName: 'crew' });
      const names = ['ann', 'anna', 'anne', 'bob', 'Bo"b', 'carl', 'cora', 'dan', 'dana', 'zoë'];
      for (const [i, Username] of names.entries()) {
        await ok('AdminCreateUser', {
          UserPoolId: pool,
          Username,
          MessageAction: 'SUPPRESS',
          UserAttributes: [
            { Name: 'email', Value: `${i % 3 === 0 ? 'same' : Username.replace('"', '')}@example.com` },
            { Name: 'given_name', Value: i % 2 ? 'Ann \\ "Q"' : 'Plain' },
          ],
        });
        if (i % 2 === 0) await ok('AdminAddUserToGroup', { UserPoolId: pool, GroupName: 'crew', Username });
      }
      await ok('AdminDisableUser', { UserPoolId: pool, Username: 'carl' });
      await ok('AdminSetUserPassword', { UserPoolId: pool, Username: 'dan', Password: 'Passw0rd!x', Permanent: true });
      await ok('AdminSetUserSettings', { UserPoolId: pool, Username: 'dana', MFAOptions: [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }] }).catch(() => undefined);
      for (const Limit of [undefined, 1, 2, 3]) {
        LISTINGS.push(
          ['ListUsers', { Limit }],
          ['ListUsers', { Limit, Filter: 'username ^= "an"' }],
          ['ListUsers', { Limit, Filter: 'email ^= "same"' }],
          ['ListUsers', { Limit, Filter: 'email = "same@example.com"' }],
          ['ListUsers', { Limit, Filter: 'cognito:user_status ^= "FORCE"' }],
          ['ListUsers', { Limit, Filter: 'status = "Enabled"' }],
          ['ListUsers', { Limit, Filter: 'sub ^= ""' }],
          ['ListUsersInGroup', { Limit, GroupName: 'crew' }],
        );
      }
    });
    after(async () => {
      await t?.close();
      await postgres?.stop();
    });

    test('every row written through the API keeps its text', async () => {
      const rows = await t.app.store.db.all<{ listed: string | null }>('SELECT listed FROM users WHERE pool_id = ?', [pool]);
      assert.equal(rows.length, 10);
      for (const r of rows) assert.ok(r.listed?.startsWith('{"Username":'), String(r.listed));
    });

    test('pages are the same bytes from the kept texts, from the columns, and from both mixed', async () => {
      const fromKept = await everyListing();
      // The same pages AttributesToGet (every attribute, which the kept texts do not serve) gives.
      const every = JSON.parse(fromKept[0][0]).Users as unknown[];
      assert.equal(every.length, 10);
      const saved = await t.app.store.db.all<{ username_key: string; listed: string }>('SELECT username_key, listed FROM users WHERE pool_id = ?', [pool]);
      await t.app.store.db.run("UPDATE users SET listed = NULL WHERE pool_id = ? AND username_key IN ('anna', 'bob', 'dana')", [pool]);
      assert.deepEqual(await everyListing(), fromKept, 'some rows keep no text');
      await t.app.store.db.run('UPDATE users SET listed = NULL WHERE pool_id = ?', [pool]);
      assert.deepEqual(await everyListing(), fromKept, 'no row keeps a text');
      for (const r of saved) await t.app.store.db.run('UPDATE users SET listed = ? WHERE pool_id = ? AND username_key = ?', [r.listed, pool, r.username_key]);
      assert.deepEqual(await everyListing(), fromKept);
    });

    test("an UPDATE that does not write the text (an older node's) empties it when it changes what the text shows", async () => {
      const before = await kept('bob');
      assert.ok(before);
      // A change the list does not show (a sign-in counter, the password hash): the text stays.
      await t.app.store.db.run("UPDATE users SET failed_attempts = 2, password_hash = 'x' WHERE pool_id = ? AND username = 'bob'", [pool]);
      assert.equal(await kept('bob'), before);
      // The UPDATE an earlier version wrote, every column but the text, with a new email.
      const row = (await t.app.store.db.get<Record<string, string | number | null>>('SELECT * FROM users WHERE pool_id = ? AND username = ?', [pool, 'bob']))!;
      const attributes = { ...JSON.parse(String(row.attributes)), email: 'bob@elsewhere.example' };
      await t.app.store.db.run(
        `UPDATE users SET username = ?, status = ?, enabled = ?, attributes = ?, password_hash = ?, srp_salt = ?, srp_verifier = ?,
          password_changed_at = ?, temp_password_expires_at = ?, failed_attempts = ?, last_failed_at = ?, locked_until = ?,
          tokens_revoked_before = ?, data = ?, updated_at = ? WHERE pool_id = ? AND username_key = ?`,
        [
          row.username, row.status, row.enabled, JSON.stringify(attributes), row.password_hash, row.srp_salt, row.srp_verifier,
          row.password_changed_at, row.temp_password_expires_at, row.failed_attempts, row.last_failed_at, row.locked_until,
          row.tokens_revoked_before, row.data, Number(row.updated_at) + 1000, pool, row.username_key,
        ],
      );
      assert.equal(await kept('bob'), null);
      const listed = await ok('ListUsers', { UserPoolId: pool, Filter: 'username = "bob"' });
      assert.equal(listed.Users[0].Attributes.find((a: { Name: string }) => a.Name === 'email').Value, 'bob@elsewhere.example');
      assert.equal(listed.Users[0].UserLastModifiedDate, (Number(row.updated_at) + 1000) / 1000);
      // Its next write through the API keeps a text again, which shows the change.
      await ok('AdminUpdateUserAttributes', { UserPoolId: pool, Username: 'bob', UserAttributes: [{ Name: 'given_name', Value: 'Robert' }] });
      assert.match(String(await kept('bob')), /bob@elsewhere\.example.*Robert/);
      const got = await ok('AdminGetUser', { UserPoolId: pool, Username: 'bob' });
      const again = await ok('ListUsers', { UserPoolId: pool, Filter: 'username = "bob"' });
      assert.deepEqual(again.Users[0].Attributes, got.UserAttributes);
    });

    test('a write through the API that leaves the text the same still writes it anew (a new mark)', async () => {
      const before = await kept('anne');
      // A password change: the list shows nothing of it.
      await ok('AdminSetUserPassword', { UserPoolId: pool, Username: 'anne', Password: 'Passw0rd!y', Permanent: false });
      const after = await kept('anne');
      assert.ok(after && before && after !== before);
      const page = (await rawCall(t.url, 'ListUsers', { UserPoolId: pool, Filter: 'username = "anne"' })).text;
      await t.app.store.db.run("UPDATE users SET listed = NULL WHERE pool_id = ? AND username = 'anne'", [pool]);
      assert.equal((await rawCall(t.url, 'ListUsers', { UserPoolId: pool, Filter: 'username = "anne"' })).text, page);
      assert.ok(page.includes(after.slice(0, after.indexOf('\u0002'))));
    });

    test('an import writes the texts of the rows it copies, derived from their columns', async () => {
      const listings = await everyListing();
      const doc = JSON.parse(JSON.stringify(await exportState(t.app.store.db, t.app.store.sealer, { poolId: pool })));
      assert.ok(!JSON.stringify(doc).includes('"listed"'), 'the export leaves the kept texts out');
      // An edited export: the import derives the text from the edited columns.
      const users = findUsers(doc);
      const cora = users.find((u: { username: string }) => u.username === 'cora')!;
      cora.attributes = JSON.stringify({ ...JSON.parse(cora.attributes), given_name: 'Edited' });
      await importState(t.app.store.db, t.app.store.sealer, doc, { replace: true });
      for (const r of await t.app.store.db.all<{ username: string; listed: string | null }>('SELECT username, listed FROM users WHERE pool_id = ?', [pool])) {
        assert.ok(r.listed?.startsWith(`{"Username":`), r.username);
      }
      const coraListed = await ok('ListUsers', { UserPoolId: pool, Filter: 'username = "cora"' });
      assert.equal(coraListed.Users[0].Attributes.find((a: { Name: string }) => a.Name === 'given_name').Value, 'Edited');
      const now = await everyListing();
      // Every page but those showing cora is as before the round trip.
      for (const [i, pagesOf] of now.entries()) {
        for (const [j, page] of pagesOf.entries()) {
          if (!page.includes('"Username":"cora"')) assert.equal(page, listings[i][j]);
        }
      }
    });
  });
}

/** The users rows of an export document, wherever its layout puts them. */
function findUsers(doc: unknown): { username: string; attributes: string }[] {
  const seen: unknown[] = [doc];
  while (seen.length) {
    const v = seen.pop();
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.users) && (o.users[0] as { username_key?: string })?.username_key !== undefined) return o.users as { username: string; attributes: string }[];
      seen.push(...Object.values(o));
    }
  }
  throw new Error('no users rows in the export');
}
