import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  ConfirmForgotPasswordCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { lastCode } from './helpers/outbox.ts';
import { claims, poolWithClient } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';

/**
 * The UserMigration trigger (developer guide, "Migrate user Lambda trigger"): a local handler in a
 * functions directory brings users in from a "legacy directory" on their first sign-in
 * (USER_PASSWORD_AUTH) and on ForgotPassword. Every event it receives is appended to a file, so
 * the tests can compare it with the guide's event shape.
 */
const MIGRATE = `
import { appendFileSync } from 'node:fs';
const legacy = {
  'legacy-ann': { password: 'Old-password-1', email: 'ann@example.com' },
  'legacy-ben': { password: 'Old-password-2', email: 'ben@example.com' },
  'legacy-cat': { password: 'Old-password-3', email: 'cat@example.com' },
};
export const handler = async (event) => {
  appendFileSync(RECORD, JSON.stringify(event) + '\\n');
  if (event.userName === 'unreachable') throw new Error('Legacy directory unavailable');
  const user = legacy[event.userName];
  if (!user) return event;
  if (event.triggerSource === 'UserMigration_Authentication' && event.request.password !== user.password) {
    throw new Error('Bad password');
  }
  event.response.userAttributes = { email: user.email, email_verified: 'true' };
  if (event.triggerSource === 'UserMigration_Authentication') event.response.finalUserStatus = 'CONFIRMED';
  event.response.messageAction = 'SUPPRESS';
  return event;
};
`;

describe('UserMigration with a local handler', () => {
  let t: Running;
  let dir: string;
  let record: string;
  let poolId: string;
  let clientId: string;
  const events = (): any[] =>
    readFileSync(record, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-migration-'));
    record = join(dir, 'events.jsonl');
    writeFileSync(record, '');
    writeFileSync(join(dir, 'migrate-legacy.mjs'), `const RECORD = ${JSON.stringify(record)};\n${MIGRATE}`);
    t = await startTestServer({ functionsDir: dir });
    ({ poolId, clientId } = await poolWithClient(t.url, {
      LambdaConfig: { UserMigration: 'arn:aws:lambda:us-east-1:123456789012:function:migrate-legacy' },
      AutoVerifiedAttributes: ['email'],
    }));
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('first USER_PASSWORD_AUTH sign-in brings the user in, with the password given; later sign-ins do not ask again', async () => {
    const sdk = idpClient(t.url);
    const before = events().length;
    const r = await sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: 'legacy-ann', PASSWORD: 'Old-password-1' },
        ClientMetadata: { source: 'web-login' },
      }),
    );
    assert.ok(r.AuthenticationResult?.IdToken);
    const id = claims(r.AuthenticationResult!.IdToken!);
    assert.equal(id['cognito:username'], 'legacy-ann');
    assert.equal(id.email, 'ann@example.com');
    assert.equal(id.email_verified, true);

    const seen = events().slice(before);
    assert.equal(seen.length, 1);
    const e = seen[0];
    assert.equal(e.version, '1');
    assert.equal(e.triggerSource, 'UserMigration_Authentication');
    assert.equal(e.region, 'us-east-1');
    assert.equal(e.userPoolId, poolId);
    assert.equal(e.userName, 'legacy-ann');
    assert.deepEqual(e.callerContext, { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId });
    assert.equal(e.request.password, 'Old-password-1');
    // InitiateAuth's ClientMetadata is the migration's validationData; clientMetadata comes only
    // from (Admin)RespondToAuthChallenge and ForgotPassword (developer guide).
    assert.deepEqual(e.request.validationData, { source: 'web-login' });
    assert.equal(e.request.clientMetadata, undefined);
    assert.deepEqual(e.response, {
      userAttributes: null,
      finalUserStatus: null,
      messageAction: null,
      desiredDeliveryMediums: null,
      forceAliasCreation: null,
      enableSMSMFA: null,
    });

    const got = await sdk.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'legacy-ann' }));
    assert.equal(got.UserStatus, 'CONFIRMED');
    assert.ok(got.UserAttributes?.some((a) => a.Name === 'sub'));

    const again = await sdk.send(
      new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'legacy-ann', PASSWORD: 'Old-password-1' } }),
    );
    assert.ok(again.AuthenticationResult?.AccessToken);
    assert.equal(events().length, before + 1, 'a migrated user is not migrated again');
  });

  test('concurrent first sign-ins of one legacy user: one user is made and every sign-in succeeds', async () => {
    const sdk = idpClient(t.url);
    const signIn = () =>
      sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'legacy-cat', PASSWORD: 'Old-password-3' } }));
    const results = await Promise.all([signIn(), signIn(), signIn()]);
    const subs = new Set(results.map((r) => claims(r.AuthenticationResult!.IdToken!).sub));
    assert.equal(subs.size, 1);
  });

  test('a function that throws refuses the sign-in with its message, and no user is made', async () => {
    const sdk = idpClient(t.url);
    const err = await sdkError(
      sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'legacy-ben', PASSWORD: 'wrong' } })),
    );
    assert.deepEqual(err, { name: 'UserLambdaValidationException', message: 'UserMigration failed with error Bad password.' });
    const missing = await sdkError(sdk.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'legacy-ben' })));
    assert.equal(missing.name, 'UserNotFoundException');
  });

  test('a user the function does not know stays unknown; SRP never asks the function', async () => {
    const sdk = idpClient(t.url);
    const before = events().length;
    const err = await sdkError(
      sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'nobody', PASSWORD: 'Whatever-1' } })),
    );
    assert.deepEqual(err, { name: 'UserNotFoundException', message: 'User does not exist.' });
    assert.equal(events().length, before + 1);

    // "An SRP obscures your user's password from your Lambda function" (developer guide): no call.
    const srp = await rawCall(t.url, 'InitiateAuth', {
      AuthFlow: 'USER_SRP_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: 'legacy-ben', SRP_A: 'ab'.repeat(64) },
    });
    assert.equal(srp.status, 400);
    assert.equal(srp.json.__type, 'UserNotFoundException');
    assert.equal(events().length, before + 1);
  });

  test('ForgotPassword brings the user in; the code arrives, and ConfirmForgotPassword sets the password', async () => {
    const sdk = idpClient(t.url);
    const before = events().length;
    const r = await sdk.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'legacy-ben', ClientMetadata: { channel: 'help-page' } }));
    assert.equal(r.CodeDeliveryDetails?.DeliveryMedium, 'EMAIL');
    assert.equal(r.CodeDeliveryDetails?.AttributeName, 'email');

    const e = events().slice(before)[0];
    assert.equal(e.triggerSource, 'UserMigration_ForgotPassword');
    assert.equal(e.userName, 'legacy-ben');
    assert.equal(e.request.password, undefined);
    assert.deepEqual(e.request.clientMetadata, { channel: 'help-page' });

    const got = await sdk.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'legacy-ben' }));
    assert.equal(got.UserStatus, 'RESET_REQUIRED');

    const code = await lastCode(t.url, 'ben@example.com');
    await sdk.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'legacy-ben', ConfirmationCode: code, Password: 'New#Password1' }));
    const signedIn = await sdk.send(
      new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'legacy-ben', PASSWORD: 'New#Password1' } }),
    );
    assert.ok(signedIn.AuthenticationResult?.AccessToken);
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'legacy-ben' }))).UserStatus, 'CONFIRMED');
  });

  test('ForgotPassword with a function that throws answers UserLambdaValidationException', async () => {
    const err = await sdkError(idpClient(t.url).send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'unreachable' })));
    assert.deepEqual(err, { name: 'UserLambdaValidationException', message: 'UserMigration failed with error Legacy directory unavailable.' });
  });
});
