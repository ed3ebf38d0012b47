import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { SrpClient } from './helpers/srp-client.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';
import { ManualClock } from '../src/clock.ts';
import { formatSrpTimestamp as stamp } from '../src/domain/sign-in/srp.ts';

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
