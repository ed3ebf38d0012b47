import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresDatabase } from '../src/store/postgres.ts';
import { startPostgres } from './helpers/postgres.ts';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { SrpClient } from './helpers/srp-client.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';
import { ManualClock } from '../src/clock.ts';
import { formatSrpTimestamp as stamp } from '../src/domain/sign-in/srp.ts';
import { refuseWhileLocked, settleCheckedAttempt } from '../src/domain/sign-in/lockout.ts';

const INCORRECT = 'Incorrect username or password.';
const EXCEEDED = 'Password attempts exceeded';

describe('sign-in lockout (Cognito: 5 failures, then 2^(n-5) s up to 15 min)', () => {
  let t: Running;
  const clock = new ManualClock(Date.now());
  let poolId: string;
  let clientId: string;
  const login = async (username: string, password: string) => {
    const r = await rawCall(t.url, 'InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password } });
    return r.status === 200 ? 'ok' : `${r.json.__type}: ${r.json.message}`;
  };
  before(async () => {
    t = await startTestServer({}, { clock });
    ({ poolId, clientId } = await poolWithClient(t.url));
  });
  after(() => t.close());

  test('the lock follows the schedule, refuses even the right password, is not extended, and success resets it', async () => {
    await userWithPassword(t.url, poolId, 'lock', 'Lock#Pass1');
    for (let i = 1; i <= 5; i++) assert.equal(await login('lock', 'wrong'), `NotAuthorizedException: ${INCORRECT}`, `attempt ${i}`);
    assert.equal(await login('lock', 'Lock#Pass1'), `NotAuthorizedException: ${EXCEEDED}`);
    clock.advance(999);
    assert.equal(await login('lock', 'Lock#Pass1'), `NotAuthorizedException: ${EXCEEDED}`);
    clock.advance(1);
    assert.equal(await login('lock', 'wrong'), `NotAuthorizedException: ${INCORRECT}`); // 6th: 2 s
    clock.advance(1999);
    assert.equal(await login('lock', 'wrong'), `NotAuthorizedException: ${EXCEEDED}`);
    clock.advance(1);
    assert.equal(await login('lock', 'wrong'), `NotAuthorizedException: ${INCORRECT}`); // 7th: 4 s
    clock.advance(4000);
    assert.equal(await login('lock', 'Lock#Pass1'), 'ok');
    // Reset: four more failures do not lock.
    for (let i = 1; i <= 4; i++) assert.equal(await login('lock', 'wrong'), `NotAuthorizedException: ${INCORRECT}`);
    assert.equal(await login('lock', 'Lock#Pass1'), 'ok');
  });

  test('the lock is capped at 15 minutes, and 15 minutes without attempts start the count again', async () => {
    await userWithPassword(t.url, poolId, 'cap', 'Cap#Pass12');
    for (let n = 1; n <= 16; n++) {
      assert.equal(await login('cap', 'wrong'), `NotAuthorizedException: ${INCORRECT}`, `failure ${n}`);
      if (n >= 5) clock.advance(Math.min(2 ** (n - 5), 900) * 1000);
    }
    // The 16th failure locked for 15 minutes (not 2^11 s): refused just before, free at 15 min.
    clock.advance(-1);
    assert.equal(await login('cap', 'Cap#Pass12'), `NotAuthorizedException: ${EXCEEDED}`);
    clock.advance(1);
    assert.equal(await login('cap', 'Cap#Pass12'), 'ok');

    for (let i = 1; i <= 4; i++) assert.equal(await login('cap', 'wrong'), `NotAuthorizedException: ${INCORRECT}`);
    clock.advance(15 * 60 * 1000 + 1);
    for (let i = 1; i <= 4; i++) assert.equal(await login('cap', 'wrong'), `NotAuthorizedException: ${INCORRECT}`);
    assert.equal(await login('cap', 'Cap#Pass12'), 'ok');
  });

  test('concurrent wrong passwords: exactly five are checked, the rest find the user locked', async () => {
    await userWithPassword(t.url, poolId, 'race', 'Race#Pass1');
    const answers = await Promise.all(Array.from({ length: 12 }, () => login('race', 'wrong')));
    assert.equal(answers.filter((a) => a === `NotAuthorizedException: ${INCORRECT}`).length, 5, answers.join('\n'));
    assert.equal(answers.filter((a) => a === `NotAuthorizedException: ${EXCEEDED}`).length, 7, answers.join('\n'));
  });

  test('wrong SRP proofs count toward the same lock', async () => {
    await userWithPassword(t.url, poolId, 'srp', 'Srp#Pass12');
    const attempt = async (password: string) => {
      const client = new SrpClient(poolId);
      const c = await rawCall(t.url, 'InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'srp', SRP_A: await client.srpA() } });
      const r = await rawCall(t.url, 'RespondToAuthChallenge', {
        ClientId: clientId, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: await client.answer(c.json.ChallengeParameters, password, stamp(clock.now())),
      });
      return r.status === 200 ? 'ok' : `${r.json.__type}: ${r.json.message}`;
    };
    for (let i = 1; i <= 5; i++) assert.equal(await attempt('Wrong#Pass1'), `NotAuthorizedException: ${INCORRECT}`);
    assert.equal(await attempt('Srp#Pass12'), `NotAuthorizedException: ${EXCEEDED}`);
    assert.equal(await login('srp', 'Srp#Pass12'), `NotAuthorizedException: ${EXCEEDED}`);
    clock.advance(1000);
    assert.equal(await attempt('Srp#Pass12'), 'ok');
  });
});

/** Two nodes on one store, sharing a clock. */
interface TwoNodes {
  nodes: Running[];
  clock: ManualClock;
  close(): Promise<void>;
}

/**
 * An SRP proof is checked before it is counted, then settled by one statement that also looks at
 * the lock (sign-in/lockout.ts settleCheckedAttempt). Two nodes on one store answer the proofs,
 * so the statements race in the database, not in one process.
 */
function srpLockoutRaces(store: string, start: () => Promise<TwoNodes>): void {
  describe(`SRP lockout on ${store}, two nodes`, () => {
    let two: TwoNodes;
    let poolId: string;
    let clientId: string;
    const url = (i: number) => two.nodes[i % 2].url;
    before(async () => {
      two = await start();
      ({ poolId, clientId } = await poolWithClient(url(0)));
    });
    after(() => two.close());

    // Step one on one node, the answer on the other.
    const challenge = async (i: number, username: string, srpA: string) => {
      const c = await rawCall(url(i), 'InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, SRP_A: srpA } });
      assert.equal(c.status, 200, c.text);
      return c.json.ChallengeParameters as Record<string, string>;
    };
    const answer = async (i: number, responses: Record<string, string>) => {
      const r = await rawCall(url(i + 1), 'RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: responses });
      return r.status === 200 ? 'ok' : `${r.json.__type}: ${r.json.message}`;
    };
    // A wrong proof needs no client arithmetic: any SRP_A, any 32-byte signature.
    const wrongProof = async (i: number, username: string) => {
      const p = await challenge(i, username, 'abcdef0123456789');
      const responses = { USERNAME: username, PASSWORD_CLAIM_SECRET_BLOCK: p.SECRET_BLOCK, TIMESTAMP: stamp(two.clock.now()), PASSWORD_CLAIM_SIGNATURE: Buffer.alloc(32, i).toString('base64') };
      return () => answer(i, responses);
    };
    const rightProof = async (i: number, username: string, password: string) => {
      const client = new SrpClient(poolId);
      const p = await challenge(i, username, await client.srpA());
      const responses = await client.answer(p, password, stamp(two.clock.now()));
      return () => answer(i, responses);
    };
    const wrongNow = async (i: number, username: string) => (await wrongProof(i, username))();

    test('twelve wrong proofs at once: exactly five are told so, the rest and a right proof find the user locked', async () => {
      await userWithPassword(url(0), poolId, 'race', 'Race#Pass1');
      const wrong = await Promise.all(Array.from({ length: 12 }, (_, i) => wrongProof(i, 'race')));
      const right = await rightProof(0, 'race', 'Race#Pass1');
      const answers = await Promise.all(wrong.map((send) => send()));
      assert.equal(answers.filter((a) => a === `NotAuthorizedException: ${INCORRECT}`).length, 5, answers.join('\n'));
      assert.equal(answers.filter((a) => a === `NotAuthorizedException: ${EXCEEDED}`).length, 7, answers.join('\n'));
      assert.equal(await right(), `NotAuthorizedException: ${EXCEEDED}`);
      two.clock.advance(1000);
      assert.equal(await (await rightProof(1, 'race', 'Race#Pass1'))(), 'ok');
      // The right proof cleared the count: four more failures do not lock, and a right proof clears them again.
      for (let i = 0; i < 4; i++) assert.equal(await wrongNow(i, 'race'), `NotAuthorizedException: ${INCORRECT}`);
      assert.equal(await (await rightProof(0, 'race', 'Race#Pass1'))(), 'ok');
      for (let i = 0; i < 5; i++) assert.equal(await wrongNow(i, 'race'), `NotAuthorizedException: ${INCORRECT}`);
      assert.equal(await (await rightProof(1, 'race', 'Race#Pass1'))(), `NotAuthorizedException: ${EXCEEDED}`);
      assert.equal(await wrongNow(0, 'race'), `NotAuthorizedException: ${EXCEEDED}`);
    });

    test('one right proof sent six times at once to both nodes signs in once; the others find its SECRET_BLOCK used', async () => {
      await userWithPassword(url(0), poolId, 'once', 'Once#Pass1');
      const client = new SrpClient(poolId);
      const p = await challenge(0, 'once', await client.srpA());
      const responses = await client.answer(p, 'Once#Pass1', stamp(two.clock.now()));
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => answer(i, responses)));
      assert.equal(answers.filter((a) => a === 'ok').length, 1, answers.join('\n'));
      const used = 'NotAuthorizedException: Invalid session for the user, session can only be used once.';
      assert.equal(answers.filter((a) => a === used).length, 5, answers.join('\n'));
    });

    test('a right proof checked against the user as read before the lock is refused when it is settled after it', async () => {
      await userWithPassword(url(0), poolId, 'stale', 'Stale#Pass1');
      const app = two.nodes[0].app;
      const earlier = (await app.store.users.get(poolId, 'stale'))!;
      for (let i = 0; i < 5; i++) assert.equal(await wrongNow(i, 'stale'), `NotAuthorizedException: ${INCORRECT}`);
      // The lock came after the read the proof was checked against: only the settling statement sees it.
      refuseWhileLocked(app, earlier);
      await assert.rejects(settleCheckedAttempt(app, app.store, earlier, true), { message: EXCEEDED });
      await assert.rejects(settleCheckedAttempt(app, app.store, earlier, false), { message: EXCEEDED });
      two.clock.advance(1000);
      assert.equal(await settleCheckedAttempt(app, app.store, earlier, true), true);
      for (let i = 0; i < 4; i++) assert.equal(await wrongNow(i, 'stale'), `NotAuthorizedException: ${INCORRECT}`);
      assert.equal(await settleCheckedAttempt(app, app.store, earlier, false), false);
      assert.equal(await wrongNow(0, 'stale'), `NotAuthorizedException: ${EXCEEDED}`);
    });

    test('a right proof racing the fifth wrong one: either it passes and the count starts again, or it finds the lock', async () => {
      await userWithPassword(url(0), poolId, 'tie', 'Tie#Pass12');
      assert.equal(await (await rightProof(0, 'tie', 'Tie#Pass12'))(), 'ok');
      for (let i = 0; i < 4; i++) assert.equal(await wrongNow(i, 'tie'), `NotAuthorizedException: ${INCORRECT}`);
      const [wrong, right] = [await wrongProof(0, 'tie'), await rightProof(1, 'tie', 'Tie#Pass12')];
      const [w, r] = await Promise.all([wrong(), right()]);
      assert.equal(w, `NotAuthorizedException: ${INCORRECT}`);
      // After a pass the next wrong proof is the first of a new count; after the lock it is refused.
      const next = await wrongNow(0, 'tie');
      if (r === 'ok') assert.equal(next, `NotAuthorizedException: ${INCORRECT}`);
      else {
        assert.equal(r, `NotAuthorizedException: ${EXCEEDED}`);
        assert.equal(next, `NotAuthorizedException: ${EXCEEDED}`);
      }
    });
  });
}

srpLockoutRaces('SQLite (one data directory)', async () => {
  const clock = new ManualClock(Date.now());
  const dir = mkdtempSync(join(tmpdir(), 'tobira-lockout-'));
  const nodes = [await startTestServer({ dataDir: dir }, { clock }), await startTestServer({ dataDir: dir }, { clock })];
  return {
    nodes,
    clock,
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

srpLockoutRaces('PostgreSQL (embedded)', async () => {
  const clock = new ManualClock(Date.now());
  const server = await startPostgres();
  const url = await server.newDatabase();
  const nodes = [
    await startTestServer({}, { database: await PostgresDatabase.open(url), clock }),
    await startTestServer({}, { database: await PostgresDatabase.open(url), clock }),
  ];
  return {
    nodes,
    clock,
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      await server.stop();
    },
  };
});
