import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminListDevicesCommand,
  AssociateSoftwareTokenCommand,
  InitiateAuthCommand,
  SetUserMFAPreferenceCommand,
  SetUserPoolMfaConfigCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, fetchDevices, forgetDevice, rememberDevice, signIn, signOut } from 'aws-amplify/auth';
import { totpAt } from '../src/domain/mfa/totp.ts';
import type { Running } from '../src/tobira.ts';
import { SteppedClock } from './helpers/mfa.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';

describe('remembered devices with aws-amplify v6 (Node, userPoolEndpoint set to Tobira)', () => {
  let t: Running;
  const clock = new SteppedClock();
  before(async () => {
    t = await startTestServer({}, { clock });
    // Amplify names the device from navigator (userAgentData or userAgent) before ConfirmDevice and
    // silently skips confirming when that throws, as it does on Node 20, which has no navigator.
    if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'tobira-test' }, configurable: true });
  });
  after(() => t.close());

  test('TOTP and the new device confirmed by Amplify; rememberDevice; the next signIn skips TOTP; fetchDevices, forgetDevice', async () => {
    const sdk = idpClient(t.url);
    const { poolId, clientId } = await poolWithClient(t.url, {
      DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true },
    });
    await sdk.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await userWithPassword(t.url, poolId, 'noor', 'Noor#Pass1');
    const signed = await sdk.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'noor', PASSWORD: 'Noor#Pass1' } }));
    const AccessToken = signed.AuthenticationResult!.AccessToken!;
    const { SecretCode } = await sdk.send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk.send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()) }));
    await sdk.send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    clock.advance(30_000);
    Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: t.url } } });

    const first = await signIn({ username: 'noor', password: 'Noor#Pass1' });
    assert.equal(first.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE');
    assert.equal((await confirmSignIn({ challengeResponse: totpAt(SecretCode!, clock.now()) })).isSignedIn, true);
    const deviceKey = (await fetchAuthSession()).tokens?.accessToken.payload.device_key as string;
    assert.match(deviceKey, /^us-east-1_[0-9a-f-]{36}$/);
    // Amplify confirmed the device itself (ConfirmDevice after NewDeviceMetadata).
    const listed = await sdk.send(new AdminListDevicesCommand({ UserPoolId: poolId, Username: 'noor' }));
    assert.deepEqual(listed.Devices!.map((d) => d.DeviceKey), [deviceKey]);

    await rememberDevice();
    const devices = await fetchDevices();
    assert.deepEqual(devices.map((d) => d.id), [deviceKey]);
    assert.equal(devices[0].attributes?.['dev:device_remembered_status'], 'remembered');
    await signOut();

    clock.advance(30_000);
    const second = await signIn({ username: 'noor', password: 'Noor#Pass1' });
    assert.deepEqual(second, { isSignedIn: true, nextStep: { signInStep: 'DONE' } }, 'the remembered device stands in for TOTP');
    assert.equal((await fetchAuthSession()).tokens?.accessToken.payload.device_key, deviceKey);

    await forgetDevice();
    assert.deepEqual(await fetchDevices(), []);
    await signOut();
  });
});
