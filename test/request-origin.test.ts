import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AdminInitiateAuthCommand, AdminListUserAuthEventsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { ScopedStorage } from '../src/util/scoped-storage.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';

const run = promisify(execFile);

const tick = () => new Promise((r) => setImmediate(r));

// The origin used to live in a ScopedStorage; the stores, the sign-in attempt and ClientMetadata
// still do, so its promise is tested here directly.
test('each call sees its own ScopedStorage value across awaits, also after the storage was switched off between calls', async () => {
  const storage = new ScopedStorage<string>();
  for (let round = 0; round < 2; round++) {
    const seen = await Promise.all(
      ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip, i) =>
        storage.run(ip, async () => {
          const before = storage.get();
          for (let n = 0; n <= i; n++) await tick();
          // A nested call restores the outer value when it ends.
          const inner = await storage.run('198.51.100.9', async () => (await tick(), storage.get()));
          return [before, inner, storage.get()];
        }),
      ),
    );
    assert.deepEqual(seen, [
      ['192.0.2.1', '198.51.100.9', '192.0.2.1'],
      ['192.0.2.2', '198.51.100.9', '192.0.2.2'],
      ['192.0.2.3', '198.51.100.9', '192.0.2.3'],
    ]);
    // Outside every call there is no value.
    assert.equal(storage.get(), undefined);
  }
  // A call that fails still ends its scope.
  await assert.rejects(storage.run('192.0.2.4', async () => { throw new Error('refused'); }), /refused/);
  assert.equal(storage.get(), undefined);
});

test('concurrent sign-ins each record their own origin', async () => {
  const t = await startTestServer();
  try {
    const sdk = idpClient(t.url);
    const { poolId, clientId } = await poolWithClient(t.url, { UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' } });
    const callers = [
      { username: 'ann', ip: '192.0.2.1', ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0' },
      { username: 'ben', ip: '192.0.2.2', ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' },
      { username: 'cat', ip: '2001:db8::3', ua: 'aws-cli/2.15.0 Python/3.11' },
    ];
    for (const c of callers) await userWithPassword(t.url, poolId, c.username, 'Their#Pass1');
    await Promise.all(
      callers.map((c) =>
        sdk.send(
          new AdminInitiateAuthCommand({
            UserPoolId: poolId,
            ClientId: clientId,
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: c.username, PASSWORD: 'Their#Pass1' },
            ContextData: { IpAddress: c.ip, ServerName: 'app.example', ServerPath: '/login', HttpHeaders: [{ headerName: 'User-Agent', headerValue: c.ua }] },
          }),
        ),
      ),
    );
    const seen = [];
    for (const c of callers) {
      const { AuthEvents } = await sdk.send(new AdminListUserAuthEventsCommand({ UserPoolId: poolId, Username: c.username }));
      seen.push(AuthEvents?.map((e) => [e.EventResponse, e.EventContextData?.IpAddress, e.EventContextData?.DeviceName]));
    }
    sdk.destroy();
    assert.deepEqual(seen, [
      [['Pass', '192.0.2.1', 'Firefox 115, Linux']],
      [['Pass', '192.0.2.2', 'Chrome 126, Windows 10']],
      [['Pass', '2001:db8::3', 'aws-cli 2, Other']],
    ]);
  } finally {
    await t.close();
  }
});

test('after a threat-protected sign-in and a challenge answer, no async-local storage stays on; a plain refresh enters none', async () => {
  // In a process of its own: the test runner keeps Node's promise hooks on in this one.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/promise-hooks-after-sign-in.ts', import.meta.url))]);
  assert.deepEqual(JSON.parse(stdout), {
    hooksAtStart: false,
    signedIn: true,
    eventsRecorded: true,
    hooksAfter: false,
    refreshed: true,
    storageEntriesDuringRefresh: 0,
    hooksAfterRefresh: false,
  });
});
