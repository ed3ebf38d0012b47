import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/clock.ts';
import { totpAt } from '../src/domain/mfa/totp.ts';
import type { Running } from '../src/tobira.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { aws, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';

describe('TOTP MFA with the AWS CLI', needs('aws'), () => {
  let t: Running;
  const clock = new ManualClock(Date.UTC(2026, 6, 1, 9, 0, 0));
  before(async () => {
    t = await startTestServer({}, { clock });
  });
  after(() => t.close());

  test('set-user-pool-mfa-config, associate-software-token, verify-software-token, admin-set-user-mfa-preference, then SOFTWARE_TOKEN_MFA', async () => {
    const { poolId, clientId } = await poolWithClient(t.url);
    const cli = async (...args: string[]) => {
      const r = await aws(t.url, ['cognito-idp', ...args]);
      assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
      return r.json;
    };
    const config = await cli('set-user-pool-mfa-config', '--user-pool-id', poolId, '--software-token-mfa-configuration', 'Enabled=true', '--mfa-configuration', 'OPTIONAL');
    assert.deepEqual(config, { SoftwareTokenMfaConfiguration: { Enabled: true }, MfaConfiguration: 'OPTIONAL' });
    assert.deepEqual(await cli('get-user-pool-mfa-config', '--user-pool-id', poolId), config);

    await userWithPassword(t.url, poolId, 'carl', 'Carl#Pass1');
    const signIn = () => cli('initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', clientId, '--auth-parameters', 'USERNAME=carl,PASSWORD=Carl#Pass1');
    const token = (await signIn()).AuthenticationResult.AccessToken;
    const { SecretCode } = await cli('associate-software-token', '--access-token', token);
    assert.match(SecretCode, /^[A-Z2-7]{52}$/);

    const early = await aws(t.url, ['cognito-idp', 'admin-set-user-mfa-preference', '--user-pool-id', poolId, '--username', 'carl', '--software-token-mfa-settings', 'Enabled=true,PreferredMfa=true']);
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /InvalidParameterException.*User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA/);

    const verified = await cli('verify-software-token', '--access-token', token, '--user-code', totpAt(SecretCode, clock.now()), '--friendly-device-name', 'cli');
    assert.equal(verified.Status, 'SUCCESS');
    await cli('admin-set-user-mfa-preference', '--user-pool-id', poolId, '--username', 'carl', '--software-token-mfa-settings', 'Enabled=true,PreferredMfa=true');
    const user = await cli('admin-get-user', '--user-pool-id', poolId, '--username', 'carl');
    assert.deepEqual(user.UserMFASettingList, ['SOFTWARE_TOKEN_MFA']);
    assert.equal(user.PreferredMfaSetting, 'SOFTWARE_TOKEN_MFA');

    clock.advance(30_000);
    const challenge = await signIn();
    assert.equal(challenge.ChallengeName, 'SOFTWARE_TOKEN_MFA');
    assert.deepEqual(challenge.ChallengeParameters, { FRIENDLY_DEVICE_NAME: 'cli', USER_ID_FOR_SRP: 'carl' });
    const answer = (code: string) =>
      aws(t.url, ['cognito-idp', 'respond-to-auth-challenge', '--client-id', clientId, '--challenge-name', 'SOFTWARE_TOKEN_MFA', '--session', challenge.Session,
        '--challenge-responses', `USERNAME=carl,SOFTWARE_TOKEN_MFA_CODE=${code}`]);
    const stale = await answer(totpAt(SecretCode, clock.now() - 60_000));
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /CodeMismatchException.*Invalid code or auth state for the user\./);
    const done = await answer(totpAt(SecretCode, clock.now()));
    assert.equal(done.code, 0, done.stderr);
    assert.ok(done.json.AuthenticationResult.AccessToken);
  });
});
