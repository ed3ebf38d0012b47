import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminForgetDeviceCommand,
  AdminGetDeviceCommand,
  AdminInitiateAuthCommand,
  AdminListDevicesCommand,
  AdminUpdateDeviceStatusCommand,
  ConfirmDeviceCommand,
  DescribeUserPoolCommand,
  ForgetDeviceCommand,
  GetDeviceCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ListDevicesCommand,
  UpdateDeviceStatusCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  type DeviceType,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, okCall, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { DeviceSrp, makeDeviceSecret, type DeviceSecret } from './helpers/device-client.ts';
import type { Running } from '../src/tobira.ts';

const attr = (d: DeviceType | undefined, name: string) => d?.DeviceAttributes?.find((a) => a.Name === name)?.Value;

describe('remembered devices with the JS SDK v3 and raw calls', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  let poolId: string;
  let clientId: string;

  const passwordSignIn = async (username: string, password: string, deviceKey?: string) =>
    sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password, ...(deviceKey ? { DEVICE_KEY: deviceKey } : {}) },
      }),
    );

  /** Signs in without a device, confirms the new one; returns its secret and the sign-in's tokens. */
  async function newConfirmedDevice(username: string, password: string): Promise<{ device: DeviceSecret; tokens: AuthenticationResultType }> {
    const r = await passwordSignIn(username, password);
    const meta = r.AuthenticationResult!.NewDeviceMetadata!;
    const device = await makeDeviceSecret(meta.DeviceGroupKey!, meta.DeviceKey!);
    const c = await sdk.send(
      new ConfirmDeviceCommand({
        AccessToken: r.AuthenticationResult!.AccessToken,
        DeviceKey: device.deviceKey,
        DeviceName: 'laptop',
        DeviceSecretVerifierConfig: device.config,
      }),
    );
    assert.equal(c.UserConfirmationNecessary, false);
    return { device, tokens: r.AuthenticationResult! };
  }

  /** DEVICE_SRP_AUTH then DEVICE_PASSWORD_VERIFIER over raw calls, from the Session of the first. */
  async function proveDevice(device: DeviceSecret, session: string, username: string, opts: { password?: string } = {}) {
    const srp = new DeviceSrp(device);
    const step = await okCall(t.url, 'RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'DEVICE_SRP_AUTH',
      Session: session,
      ChallengeResponses: { USERNAME: username, DEVICE_KEY: device.deviceKey, SRP_A: await srp.srpA() },
    });
    assert.equal(step.ChallengeName, 'DEVICE_PASSWORD_VERIFIER');
    assert.deepEqual(Object.keys(step.ChallengeParameters).sort(), ['SALT', 'SECRET_BLOCK', 'SRP_B', 'USERNAME']);
    return rawCall(t.url, 'RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
      Session: step.Session,
      ChallengeResponses: await srp.answer(step.ChallengeParameters, opts),
    });
  }

  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
    ({ poolId, clientId } = await poolWithClient(t.url, {
      DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: false },
    }));
    await userWithPassword(t.url, poolId, 'erin', 'Erin#Pass1');
    await userWithPassword(t.url, poolId, 'frank', 'Frank#Pass1');
  });
  after(() => t.close());

  test('a pool without DeviceConfiguration issues no device keys and confirms none', async () => {
    const plain = await poolWithClient(t.url);
    await userWithPassword(t.url, plain.poolId, 'gina', 'Gina#Pass1');
    const r = await sdk.send(
      new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: plain.clientId, AuthParameters: { USERNAME: 'gina', PASSWORD: 'Gina#Pass1' } }),
    );
    assert.equal(r.AuthenticationResult!.NewDeviceMetadata, undefined);
    assert.equal(claims(r.AuthenticationResult!.AccessToken!).device_key, undefined);
    const e = await sdkError(sdk.send(new ConfirmDeviceCommand({ AccessToken: r.AuthenticationResult!.AccessToken, DeviceKey: 'us-east-1_00000000-0000-4000-8000-000000000000' })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Invalid device key given.' });
    const d = await sdk.send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    assert.deepEqual(d.UserPool!.DeviceConfiguration, { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: false });
  });

  test('NewDeviceMetadata, ConfirmDevice, GetDevice and the device_key claim', async () => {
    const r = await passwordSignIn('erin', 'Erin#Pass1');
    const meta = r.AuthenticationResult!.NewDeviceMetadata!;
    assert.match(meta.DeviceKey!, /^us-east-1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(meta.DeviceGroupKey!, /^-[A-Za-z0-9]{8}$/);
    assert.equal(claims(r.AuthenticationResult!.AccessToken!).device_key, meta.DeviceKey);
    const access = r.AuthenticationResult!.AccessToken!;

    // Not confirmed yet: the device does not exist, and its refresh token does not refresh.
    assert.deepEqual(await sdkError(sdk.send(new GetDeviceCommand({ AccessToken: access, DeviceKey: meta.DeviceKey }))), {
      name: 'ResourceNotFoundException',
      message: 'Device does not exist.',
    });
    const early = await sdkError(
      sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: clientId,
          AuthParameters: { REFRESH_TOKEN: r.AuthenticationResult!.RefreshToken!, DEVICE_KEY: meta.DeviceKey! },
        }),
      ),
    );
    assert.deepEqual(early, { name: 'NotAuthorizedException', message: 'Invalid Refresh Token.' });

    const device = await makeDeviceSecret(meta.DeviceGroupKey!, meta.DeviceKey!);
    const confirmed = await okCall(t.url, 'ConfirmDevice', {
      AccessToken: access,
      DeviceKey: device.deviceKey,
      DeviceName: 'Firefox on Linux',
      DeviceSecretVerifierConfig: device.config,
    });
    assert.deepEqual(confirmed, { UserConfirmationNecessary: false });
    assert.equal(
      (await sdkError(sdk.send(new ConfirmDeviceCommand({ AccessToken: access, DeviceKey: device.deviceKey, DeviceSecretVerifierConfig: device.config })))).name,
      'DeviceKeyExistsException',
    );

    const got = await sdk.send(new GetDeviceCommand({ AccessToken: access, DeviceKey: device.deviceKey }));
    assert.equal(got.Device!.DeviceKey, device.deviceKey);
    assert.equal(attr(got.Device, 'device_status'), 'valid');
    assert.equal(attr(got.Device, 'device_name'), 'Firefox on Linux');
    assert.equal(attr(got.Device, 'dev:device_remembered_status'), 'remembered');
    assert.equal(attr(got.Device, 'dev:device_owner'), `erin.${poolId}`);
    assert.match(attr(got.Device, 'dev:device_arn')!, new RegExp(`^arn:aws:cognito-idp:us-east-1:\\d{12}:owner/erin\\.${poolId}/device/${device.deviceKey}$`));
    assert.ok(got.Device!.DeviceCreateDate instanceof Date);
    assert.ok(got.Device!.DeviceLastAuthenticatedDate instanceof Date);

    // Refresh: with the device key; not without it, nor with another.
    const refresh = (deviceKey?: string) =>
      sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: clientId,
          AuthParameters: { REFRESH_TOKEN: r.AuthenticationResult!.RefreshToken!, ...(deviceKey ? { DEVICE_KEY: deviceKey } : {}) },
        }),
      );
    const refreshed = await refresh(device.deviceKey);
    assert.equal(claims(refreshed.AuthenticationResult!.AccessToken!).device_key, device.deviceKey);
    assert.equal(refreshed.AuthenticationResult!.NewDeviceMetadata, undefined);
    assert.deepEqual(await sdkError(refresh()), { name: 'NotAuthorizedException', message: 'Invalid Refresh Token.' });
    assert.deepEqual(await sdkError(refresh('us-east-1_00000000-0000-4000-8000-000000000000')), {
      name: 'NotAuthorizedException',
      message: 'Invalid Refresh Token.',
    });
  });

  test('a sign-in naming a remembered device goes through DEVICE_SRP_AUTH; a wrong proof and a reused session are refused', async () => {
    const { device } = await newConfirmedDevice('erin', 'Erin#Pass1');
    const first = await passwordSignIn('erin', 'Erin#Pass1', device.deviceKey);
    assert.equal(first.ChallengeName, 'DEVICE_SRP_AUTH');
    assert.ok(first.Session);
    assert.equal(first.AuthenticationResult, undefined);
    const done = await proveDevice(device, first.Session!, 'erin');
    assert.equal(done.status, 200, done.text);
    const result = done.json.AuthenticationResult;
    assert.deepEqual(done.json.ChallengeParameters, {});
    assert.equal(result.NewDeviceMetadata, undefined);
    assert.equal(claims(result.AccessToken).device_key, device.deviceKey);
    const refreshed = await sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        ClientId: clientId,
        AuthParameters: { REFRESH_TOKEN: result.RefreshToken, DEVICE_KEY: device.deviceKey },
      }),
    );
    assert.equal(claims(refreshed.AuthenticationResult!.AccessToken!).device_key, device.deviceKey);

    // The Session of DEVICE_SRP_AUTH is single use.
    const reused = await rawCall(t.url, 'RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'DEVICE_SRP_AUTH',
      Session: first.Session,
      ChallengeResponses: { USERNAME: 'erin', DEVICE_KEY: device.deviceKey, SRP_A: await new DeviceSrp(device).srpA() },
    });
    assert.equal(reused.status, 400);
    assert.deepEqual(reused.json, { __type: 'NotAuthorizedException', message: 'Invalid session for the user, session can only be used once.' });

    // A proof made with another device password.
    const again = await passwordSignIn('erin', 'Erin#Pass1', device.deviceKey);
    const wrong = await proveDevice(device, again.Session!, 'erin', { password: 'not-the-device-password' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });

    // A wrong password still fails before any device step.
    assert.deepEqual(await sdkError(passwordSignIn('erin', 'Wrong#Pass1', device.deviceKey)), {
      name: 'NotAuthorizedException',
      message: 'Incorrect username or password.',
    });
  });

  test('ListDevices pages with Limit and PaginationToken; the Admin forms and UpdateDeviceStatus', async () => {
    const a = await newConfirmedDevice('frank', 'Frank#Pass1');
    const b = await newConfirmedDevice('frank', 'Frank#Pass1');
    const c = await newConfirmedDevice('frank', 'Frank#Pass1');
    const access = c.tokens.AccessToken!;
    const keys = [a, b, c].map((x) => x.device.deviceKey).sort();

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await sdk.send(new ListDevicesCommand({ AccessToken: access, Limit: 2, PaginationToken: token }));
      seen.push(...page.Devices!.map((d) => d.DeviceKey!));
      token = page.PaginationToken;
      pages++;
    } while (token);
    assert.deepEqual(seen, keys);
    assert.equal(pages, 2);
    const all = await sdk.send(new AdminListDevicesCommand({ UserPoolId: poolId, Username: 'frank' }));
    assert.deepEqual(all.Devices!.map((d) => d.DeviceKey), keys);
    assert.equal(all.PaginationToken, undefined);
    assert.equal((await sdkError(sdk.send(new ListDevicesCommand({ AccessToken: access, PaginationToken: 'garbage' })))).name, 'InvalidParameterException');

    await sdk.send(new UpdateDeviceStatusCommand({ AccessToken: access, DeviceKey: a.device.deviceKey, DeviceRememberedStatus: 'not_remembered' }));
    const got = await sdk.send(new AdminGetDeviceCommand({ UserPoolId: poolId, Username: 'frank', DeviceKey: a.device.deviceKey }));
    assert.equal(attr(got.Device, 'dev:device_remembered_status'), 'not_remembered');
    await sdk.send(new AdminUpdateDeviceStatusCommand({ UserPoolId: poolId, Username: 'frank', DeviceKey: a.device.deviceKey, DeviceRememberedStatus: 'remembered' }));
    const again = await sdk.send(new GetDeviceCommand({ AccessToken: access, DeviceKey: a.device.deviceKey }));
    assert.equal(attr(again.Device, 'dev:device_remembered_status'), 'remembered');

    // Another user's device does not exist for this one, by token or as an administrator.
    const erin = await passwordSignIn('erin', 'Erin#Pass1');
    const notMine = { name: 'ResourceNotFoundException', message: 'Device does not exist.' };
    assert.deepEqual(await sdkError(sdk.send(new GetDeviceCommand({ AccessToken: erin.AuthenticationResult!.AccessToken, DeviceKey: a.device.deviceKey }))), notMine);
    assert.deepEqual(await sdkError(sdk.send(new AdminGetDeviceCommand({ UserPoolId: poolId, Username: 'erin', DeviceKey: a.device.deviceKey }))), notMine);
    assert.deepEqual(
      await sdkError(sdk.send(new UpdateDeviceStatusCommand({ AccessToken: erin.AuthenticationResult!.AccessToken, DeviceKey: a.device.deviceKey, DeviceRememberedStatus: 'not_remembered' }))),
      notMine,
    );
    assert.deepEqual(await sdkError(sdk.send(new AdminListDevicesCommand({ UserPoolId: poolId, Username: 'nobody' }))), {
      name: 'UserNotFoundException',
      message: 'User does not exist.',
    });
  });

  test('ForgetDevice and AdminForgetDevice: the device is gone, refused at sign-in and for refresh', async () => {
    const { device, tokens } = await newConfirmedDevice('erin', 'Erin#Pass1');
    const other = await newConfirmedDevice('erin', 'Erin#Pass1');
    await sdk.send(new ForgetDeviceCommand({ AccessToken: tokens.AccessToken, DeviceKey: device.deviceKey }));
    const gone = { name: 'ResourceNotFoundException', message: 'Device does not exist.' };
    assert.deepEqual(await sdkError(sdk.send(new GetDeviceCommand({ AccessToken: tokens.AccessToken, DeviceKey: device.deviceKey }))), gone);
    assert.deepEqual(await sdkError(sdk.send(new ForgetDeviceCommand({ AccessToken: tokens.AccessToken, DeviceKey: device.deviceKey }))), gone);
    assert.deepEqual(await sdkError(passwordSignIn('erin', 'Erin#Pass1', device.deviceKey)), gone);
    assert.deepEqual(
      await sdkError(
        sdk.send(
          new InitiateAuthCommand({
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: clientId,
            AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken!, DEVICE_KEY: device.deviceKey },
          }),
        ),
      ),
      { name: 'NotAuthorizedException', message: 'Invalid Refresh Token.' },
    );

    // The other device still works, until an administrator forgets it too.
    const ok = await passwordSignIn('erin', 'Erin#Pass1', other.device.deviceKey);
    assert.equal(ok.ChallengeName, 'DEVICE_SRP_AUTH');
    await sdk.send(new AdminForgetDeviceCommand({ UserPoolId: poolId, Username: 'erin', DeviceKey: other.device.deviceKey }));
    assert.deepEqual(await sdkError(sdk.send(new AdminGetDeviceCommand({ UserPoolId: poolId, Username: 'erin', DeviceKey: other.device.deviceKey }))), gone);
    const late = await rawCall(t.url, 'RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'DEVICE_SRP_AUTH',
      Session: ok.Session,
      ChallengeResponses: { USERNAME: 'erin', DEVICE_KEY: other.device.deviceKey, SRP_A: await new DeviceSrp(other.device).srpA() },
    });
    assert.equal(late.status, 400);
    assert.deepEqual(late.json, { __type: 'ResourceNotFoundException', message: 'Device does not exist.' });
  });

  test('GlobalSignOut ends the refresh tokens of every device', async () => {
    const { device } = await newConfirmedDevice('frank', 'Frank#Pass1');
    const signIn = await passwordSignIn('frank', 'Frank#Pass1', device.deviceKey);
    const done = await proveDevice(device, signIn.Session!, 'frank');
    const result = done.json.AuthenticationResult;
    await sdk.send(new GlobalSignOutCommand({ AccessToken: result.AccessToken }));
    const e = await sdkError(
      sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: clientId,
          AuthParameters: { REFRESH_TOKEN: result.RefreshToken, DEVICE_KEY: device.deviceKey },
        }),
      ),
    );
    assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Refresh Token has been revoked' });
    // The device itself stays: a new sign-in still proves it.
    const next = await passwordSignIn('frank', 'Frank#Pass1', device.deviceKey);
    const proved = await proveDevice(device, next.Session!, 'frank');
    assert.equal(proved.status, 200, proved.text);
  });

  test('races: four ConfirmDevice at once confirm once; four answers to one DEVICE_SRP_AUTH Session, one goes on', async () => {
    const r = await passwordSignIn('frank', 'Frank#Pass1');
    const meta = r.AuthenticationResult!.NewDeviceMetadata!;
    const device = await makeDeviceSecret(meta.DeviceGroupKey!, meta.DeviceKey!);
    const confirms = await Promise.all(
      [0, 1, 2, 3].map(() =>
        rawCall(t.url, 'ConfirmDevice', { AccessToken: r.AuthenticationResult!.AccessToken, DeviceKey: device.deviceKey, DeviceSecretVerifierConfig: device.config }),
      ),
    );
    assert.deepEqual(confirms.map((c) => c.status).sort(), [200, 400, 400, 400]);
    for (const c of confirms.filter((c) => c.status === 400)) assert.equal(c.json.__type, 'DeviceKeyExistsException');

    const start = await passwordSignIn('frank', 'Frank#Pass1', device.deviceKey);
    const answers = await Promise.all(
      [0, 1, 2, 3].map(async () =>
        rawCall(t.url, 'RespondToAuthChallenge', {
          ClientId: clientId,
          ChallengeName: 'DEVICE_SRP_AUTH',
          Session: start.Session,
          ChallengeResponses: { USERNAME: 'frank', DEVICE_KEY: device.deviceKey, SRP_A: await new DeviceSrp(device).srpA() },
        }),
      ),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400, 400]);
    for (const a of answers.filter((a) => a.status === 400)) assert.equal(a.json.__type, 'NotAuthorizedException');
  });

  test('AdminInitiateAuth on a tracking pool: NewDeviceMetadata, and the device step with AdminRespondToAuthChallenge', async () => {
    const r = await sdk.send(
      new AdminInitiateAuthCommand({
        UserPoolId: poolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'frank', PASSWORD: 'Frank#Pass1' },
      }),
    );
    const meta = r.AuthenticationResult!.NewDeviceMetadata!;
    const device = await makeDeviceSecret(meta.DeviceGroupKey!, meta.DeviceKey!);
    await sdk.send(new ConfirmDeviceCommand({ AccessToken: r.AuthenticationResult!.AccessToken, DeviceKey: device.deviceKey, DeviceSecretVerifierConfig: device.config }));
    const again = await sdk.send(
      new AdminInitiateAuthCommand({
        UserPoolId: poolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'frank', PASSWORD: 'Frank#Pass1', DEVICE_KEY: device.deviceKey },
      }),
    );
    assert.equal(again.ChallengeName, 'DEVICE_SRP_AUTH');
    const srp = new DeviceSrp(device);
    const step = await okCall(t.url, 'AdminRespondToAuthChallenge', {
      UserPoolId: poolId,
      ClientId: clientId,
      ChallengeName: 'DEVICE_SRP_AUTH',
      Session: again.Session,
      ChallengeResponses: { USERNAME: 'frank', DEVICE_KEY: device.deviceKey, SRP_A: await srp.srpA() },
    });
    const done = await okCall(t.url, 'AdminRespondToAuthChallenge', {
      UserPoolId: poolId,
      ClientId: clientId,
      ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
      Session: step.Session,
      ChallengeResponses: await srp.answer(step.ChallengeParameters),
    });
    assert.equal(claims(done.AuthenticationResult.AccessToken).device_key, device.deviceKey);
  });
});

describe('devices live in the store', () => {
  test('a confirmed device survives a restart, and its sign-in steps may land on two servers sharing the data', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'tobira-devices-'));
    try {
      let a = await startTestServer({ dataDir: dir });
      const { poolId, clientId } = await poolWithClient(a.url, { DeviceConfiguration: { ChallengeRequiredOnNewDevice: true } });
      await userWithPassword(a.url, poolId, 'kim', 'Kim#Pass1');
      const first = await okCall(a.url, 'InitiateAuth', {
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: 'kim', PASSWORD: 'Kim#Pass1' },
      });
      const meta = first.AuthenticationResult.NewDeviceMetadata;
      const device = await makeDeviceSecret(meta.DeviceGroupKey, meta.DeviceKey);
      await okCall(a.url, 'ConfirmDevice', { AccessToken: first.AuthenticationResult.AccessToken, DeviceKey: device.deviceKey, DeviceSecretVerifierConfig: device.config });
      await a.close();

      // One public URL for both, as a cluster behind a load balancer has: tokens name it as issuer.
      a = await startTestServer({ dataDir: dir, publicUrl: 'http://tobira.test' });
      const b = await startTestServer({ dataDir: dir, publicUrl: 'http://tobira.test' });
      try {
        const start = await okCall(a.url, 'InitiateAuth', {
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: clientId,
          AuthParameters: { USERNAME: 'kim', PASSWORD: 'Kim#Pass1', DEVICE_KEY: device.deviceKey },
        });
        assert.equal(start.ChallengeName, 'DEVICE_SRP_AUTH');
        const srp = new DeviceSrp(device);
        const step = await okCall(b.url, 'RespondToAuthChallenge', {
          ClientId: clientId,
          ChallengeName: 'DEVICE_SRP_AUTH',
          Session: start.Session,
          ChallengeResponses: { USERNAME: 'kim', DEVICE_KEY: device.deviceKey, SRP_A: await srp.srpA() },
        });
        const done = await okCall(a.url, 'RespondToAuthChallenge', {
          ClientId: clientId,
          ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
          Session: step.Session,
          ChallengeResponses: await srp.answer(step.ChallengeParameters),
        });
        assert.equal(claims(done.AuthenticationResult.AccessToken).device_key, device.deviceKey);
        const listed = await okCall(b.url, 'ListDevices', { AccessToken: done.AuthenticationResult.AccessToken });
        assert.deepEqual(listed.Devices.map((d: DeviceType) => d.DeviceKey), [device.deviceKey]);
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('devices with the AWS CLI', () => {
  test('create-user-pool --device-configuration, then admin-list-devices, admin-get-device, admin-forget-device', needs('aws'), async () => {
    const t = await startTestServer();
    try {
      const created = await aws(t.url, [
        'cognito-idp', 'create-user-pool', '--pool-name', 'cli-devices',
        '--device-configuration', 'ChallengeRequiredOnNewDevice=true,DeviceOnlyRememberedOnUserPrompt=true',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const poolId = created.json.UserPool.Id;
      assert.deepEqual(created.json.UserPool.DeviceConfiguration, { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true });
      const client = await aws(t.url, ['cognito-idp', 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'c', '--explicit-auth-flows', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
      const clientId = client.json.UserPoolClient.ClientId;
      await userWithPassword(t.url, poolId, 'lena', 'Lena#Pass1');
      const signIn = await aws(t.url, ['cognito-idp', 'initiate-auth', '--client-id', clientId, '--auth-flow', 'USER_PASSWORD_AUTH', '--auth-parameters', 'USERNAME=lena,PASSWORD=Lena#Pass1']);
      assert.equal(signIn.code, 0, signIn.stderr);
      const meta = signIn.json.AuthenticationResult.NewDeviceMetadata;
      const device = await makeDeviceSecret(meta.DeviceGroupKey, meta.DeviceKey);
      const confirmed = await aws(t.url, [
        'cognito-idp', 'confirm-device', '--access-token', signIn.json.AuthenticationResult.AccessToken, '--device-key', device.deviceKey,
        '--device-name', 'cli', '--device-secret-verifier-config', `PasswordVerifier=${device.config.PasswordVerifier},Salt=${device.config.Salt}`,
      ]);
      assert.equal(confirmed.code, 0, confirmed.stderr);
      assert.deepEqual(confirmed.json, { UserConfirmationNecessary: true });

      const listed = await aws(t.url, ['cognito-idp', 'admin-list-devices', '--user-pool-id', poolId, '--username', 'lena']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(listed.json.Devices.map((d: DeviceType) => d.DeviceKey), [device.deviceKey]);
      const got = await aws(t.url, ['cognito-idp', 'admin-get-device', '--user-pool-id', poolId, '--username', 'lena', '--device-key', device.deviceKey]);
      assert.equal(attr(got.json.Device, 'dev:device_remembered_status'), 'not_remembered');
      assert.equal(attr(got.json.Device, 'device_name'), 'cli');
      const forgot = await aws(t.url, ['cognito-idp', 'admin-forget-device', '--user-pool-id', poolId, '--username', 'lena', '--device-key', device.deviceKey]);
      assert.equal(forgot.code, 0, forgot.stderr);
      const gone = await aws(t.url, ['cognito-idp', 'admin-get-device', '--user-pool-id', poolId, '--username', 'lena', '--device-key', device.deviceKey]);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /ResourceNotFoundException.*Device does not exist\./);
    } finally {
      await t.close();
    }
  });
});
