import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aws, startTestServer } from './helpers/tobira.ts';
import { lastCode } from './helpers/outbox.ts';
import { decodeJwt, PASSWORD } from './helpers/tokens.ts';
import { needs } from './helpers/tools.ts';

/**
 * Seed 003's Lambda triggers, word for word: `aws cognito-idp update-user-pool --lambda-config`
 * naming validate-signup (Python, as AWS's blueprints write it), welcome-email and
 * add-custom-claims, all three found in a functions directory; then a sign-up, a confirmation
 * and a sign-in, all with the AWS CLI, run all three.
 */

const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions', 'triggers');

describe("seed 003: update-user-pool --lambda-config with the AWS CLI", { ...needs('aws', 'python3'), timeout: 180_000 }, () => {
  let t: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    t = await startTestServer({ functionsDir: FUNCTIONS });
  });
  after(() => t.close());

  test('PreSignUp (Python), PostConfirmation and PreTokenGeneration run on sign-up, confirmation and sign-in', async () => {
    const created = await aws(t.url, ['cognito-idp', 'create-user-pool', '--pool-name', 'app-users-prod', '--auto-verified-attributes', 'email', '--username-attributes', 'email']);
    assert.equal(created.code, 0, created.stderr);
    const poolId: string = created.json.UserPool.Id;
    const client = await aws(t.url, [
      'cognito-idp', 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'web-app', '--no-generate-secret',
      '--explicit-auth-flows', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH',
    ]);
    assert.equal(client.code, 0, client.stderr);
    const clientId: string = client.json.UserPoolClient.ClientId;

    const updated = await aws(t.url, [
      'cognito-idp', 'update-user-pool', '--user-pool-id', poolId, '--auto-verified-attributes', 'email',
      '--lambda-config',
      JSON.stringify({
        PreSignUp: 'arn:aws:lambda:us-east-1:123456789:function:validate-signup',
        PostConfirmation: 'arn:aws:lambda:us-east-1:123456789:function:welcome-email',
        PreTokenGeneration: 'arn:aws:lambda:us-east-1:123456789:function:add-custom-claims',
      }),
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    const events = join(tmpdir(), 'tobira-trigger-events', `${poolId}.jsonl`);
    rmSync(events, { force: true });

    const refused = await aws(t.url, ['cognito-idp', 'sign-up', '--client-id', clientId, '--username', 'bob@blocked.example', '--password', PASSWORD]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /An error occurred \(UserLambdaValidationException\) when calling the SignUp operation: PreSignUp failed with error Invalid email domain: blocked\.example\./);

    const signedUp = await aws(t.url, ['cognito-idp', 'sign-up', '--client-id', clientId, '--username', 'bob@example.com', '--password', PASSWORD]);
    assert.equal(signedUp.code, 0, signedUp.stderr);
    assert.equal(signedUp.json.UserConfirmed, false);
    const confirmed = await aws(t.url, ['cognito-idp', 'confirm-sign-up', '--client-id', clientId, '--username', 'bob@example.com', '--confirmation-code', await lastCode(t.url, 'bob@example.com')]);
    assert.equal(confirmed.code, 0, confirmed.stderr);
    const signedIn = await aws(t.url, [
      'cognito-idp', 'initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', clientId, '--auth-parameters', `USERNAME=bob@example.com,PASSWORD=${PASSWORD}`,
    ]);
    assert.equal(signedIn.code, 0, signedIn.stderr);
    const id = decodeJwt(signedIn.json.AuthenticationResult.IdToken).payload;
    assert.equal(id.tenant, 'acme');
    assert.equal(id.email, undefined);

    assert.ok(existsSync(events));
    const sources = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l).triggerSource);
    assert.deepEqual(sources, ['PreSignUp_SignUp', 'PreSignUp_SignUp', 'PostConfirmation_ConfirmSignUp', 'TokenGeneration_Authentication']);
    const first = JSON.parse(readFileSync(events, 'utf8').split('\n')[1]);
    // The Python function got Cognito's event: the username of an email-username pool is the sub.
    assert.equal(first.callerContext.clientId, clientId);
    assert.match(first.userName, /^[0-9a-f-]{36}$/);
  });
});
