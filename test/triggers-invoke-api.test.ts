import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
  UpdateUserPoolCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { lastCode } from './helpers/outbox.ts';
import { decodeJwt, PASSWORD, sdkError } from './helpers/tokens.ts';

/**
 * The triggers through Lambda's Invoke API (`--lambda-endpoint`, as SAM local or LocalStack
 * serve it): a real HTTP server receives the same events the local handler modules get
 * (test/triggers.test.ts), and functions that hang, exit their process or answer garbage give
 * Cognito's errors while Tobira keeps serving.
 */

interface Received {
  name: string;
  event: any;
}

function invokeApiServer(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
      if (req.method !== 'POST' || !m) return json(404, { message: 'unknown' }, { 'x-amzn-errortype': 'UnknownOperationException' });
      const name = decodeURIComponent(m[1]);
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ name, event });
      switch (name) {
        case 'validate-signup':
          if (String(event.request.userAttributes.email).endsWith('@blocked.example')) {
            return json(200, { errorType: 'Error', errorMessage: 'Invalid email domain: blocked.example' }, { 'x-amz-function-error': 'Unhandled' });
          }
          return json(200, event);
        case 'welcome-email':
          return json(200, event);
        case 'add-custom-claims':
          event.response.claimsOverrideDetails = { claimsToAddOrOverride: { tenant: 'remote' } };
          return json(200, event);
        case 'remote-garbage':
          return json(200, 'this is {not JSON');
        case 'remote-hangs':
          return; // never answers
        default:
          return json(404, { Type: 'User', message: `Function not found: ${name}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        received,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    }),
  );
}

const ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789:function:${name}`;

describe("triggers through Lambda's Invoke API, and functions that misbehave", { timeout: 120_000 }, () => {
  let api: Awaited<ReturnType<typeof invokeApiServer>>;
  let t: Awaited<ReturnType<typeof startTestServer>>;
  let idp: CognitoIdentityProviderClient;
  let poolId: string;
  let clientId: string;

  before(async () => {
    api = await invokeApiServer();
    // Local handlers that misbehave (exits, hangs, garbage) come from the functions directory; every other name goes to the Invoke API.
    t = await startTestServer({ functionsDir: join(import.meta.dirname, 'fixtures', 'functions', 'dir'), lambdaEndpoint: api.url });
    idp = idpClient(t.url);
    const p = await idp.send(new CreateUserPoolCommand({ PoolName: 'remote', AutoVerifiedAttributes: ['email'] }));
    poolId = p.UserPool!.Id!;
    const c = await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }));
    clientId = c.UserPoolClient!.ClientId!;
  });
  after(async () => {
    await t.close();
    await api.close();
  });

  const signUp = (username: string, email = `${username}@example.com`) =>
    idp.send(new SignUpCommand({ ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: email }] }));
  const preSignUp = (fn: string) =>
    idp.send(new UpdateUserPoolCommand({ UserPoolId: poolId, AutoVerifiedAttributes: ['email'], LambdaConfig: { PreSignUp: ARN(fn) } }));

  test("seed 003's three functions over the Invoke API receive Cognito's events", async () => {
    await idp.send(
      new UpdateUserPoolCommand({
        UserPoolId: poolId,
        AutoVerifiedAttributes: ['email'],
        LambdaConfig: { PreSignUp: ARN('validate-signup'), PostConfirmation: ARN('welcome-email'), PreTokenGeneration: ARN('add-custom-claims') },
      }),
    );
    await signUp('rita');
    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'rita', ConfirmationCode: await lastCode(t.url, 'rita@example.com') }));
    const r = await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'rita', PASSWORD } }));
    assert.equal(decodeJwt(r.AuthenticationResult!.IdToken!).payload.tenant, 'remote');

    assert.deepEqual(api.received.map((x) => [x.name, x.event.triggerSource]), [
      ['validate-signup', 'PreSignUp_SignUp'],
      ['welcome-email', 'PostConfirmation_ConfirmSignUp'],
      ['add-custom-claims', 'TokenGeneration_Authentication'],
    ]);
    for (const { event } of api.received) {
      assert.equal(event.version, '1');
      assert.equal(event.userPoolId, poolId);
      assert.equal(event.region, 'us-east-1');
      assert.equal(event.userName, 'rita');
      assert.deepEqual(event.callerContext, { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId });
    }
    assert.deepEqual(api.received[0].event.request, { userAttributes: { email: 'rita@example.com' }, validationData: null });
    assert.deepEqual(api.received[2].event.request.groupConfiguration, { groupsToOverride: [], iamRolesToOverride: [], preferredRole: null });

    const refused = await sdkError(signUp('boris', 'boris@blocked.example'));
    assert.deepEqual(refused, { name: 'UserLambdaValidationException', message: 'PreSignUp failed with error Invalid email domain: blocked.example.' });
  });

  test("hangs, exits, garbage, missing: Cognito's errors, no user left behind, and Tobira serves on", async () => {
    const cases: [string, string, RegExp][] = [
      // As Lambda reports a runtime that exits (Runtime.ExitError), and Cognito passes it on.
      ['exits', 'UserLambdaValidationException', /^PreSignUp failed with error RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 7\.$/],
      ['garbage', 'InvalidLambdaResponseException', /^Unrecognizable lambda output$/],
      ['remote-garbage', 'InvalidLambdaResponseException', /^Unrecognizable lambda output$/],
      ['nobody-home', 'UnexpectedLambdaException', /^PreSignUp invocation failed due to error ResourceNotFoundException\.$/],
      ['hangs', 'UnexpectedLambdaException', /^PreSignUp invocation failed due to error Socket timeout while invoking Lambda function\.$/],
      ['remote-hangs', 'UnexpectedLambdaException', /^PreSignUp invocation failed due to error Socket timeout while invoking Lambda function\.$/],
    ];
    for (const [fn, name, message] of cases) {
      await preSignUp(fn);
      const started = Date.now();
      const err = await sdkError(signUp(`u-${fn}`));
      assert.equal(err.name, name, `${fn}: ${err.message}`);
      assert.match(err.message, message, fn);
      assert.ok(Date.now() - started < 15_000, `${fn} took ${Date.now() - started} ms`);
      assert.equal((await sdkError(idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: `u-${fn}` })))).name, 'UserNotFoundException');
    }
    // Still serving, and the same function names work again once they answer.
    await preSignUp('validate-signup');
    const ok = await signUp('after-all');
    assert.equal(ok.UserConfirmed, false);
    await preSignUp('exits');
    assert.equal((await sdkError(signUp('exits-again'))).name, 'UserLambdaValidationException');
    const health = await fetch(new URL('/health', t.url));
    assert.equal(health.status, 200);
  });
});
