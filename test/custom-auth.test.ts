import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { CreateUserPoolClientCommand, InitiateAuthCommand, RespondToAuthChallengeCommand } from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';
import { MAX_CUSTOM_ROUNDS } from '../src/domain/sign-in/custom-auth.ts';

/**
 * The CUSTOM_AUTH flow driven by local DefineAuthChallenge / CreateAuthChallenge /
 * VerifyAuthChallengeResponse handlers (developer guide, "Custom authentication challenge Lambda
 * triggers"): three rounds of "what is n + n?", tokens after three right answers, failure after
 * three wrong ones, and PASSWORD_VERIFIER first when the client starts with SRP_A. Every event
 * the handlers receive is appended to a file, to compare with the guide's shapes.
 */
const LOG = `import { appendFileSync } from 'node:fs';\nconst log = (e) => appendFileSync(RECORD, JSON.stringify(e) + '\\n');\n`;
const HANDLERS: Record<string, string> = {
  'define-challenge': `${LOG}
export const handler = async (event) => {
  log(event);
  const session = event.request.session;
  if (session.length === 1 && session[0].challengeName === 'SRP_A') {
    event.response.challengeName = 'PASSWORD_VERIFIER';
    return event;
  }
  const custom = session.filter((r) => r.challengeName === 'CUSTOM_CHALLENGE');
  if (custom.filter((r) => !r.challengeResult).length >= 3) {
    event.response.failAuthentication = true;
  } else if (custom.filter((r) => r.challengeResult).length >= 3) {
    event.response.issueTokens = true;
  } else {
    event.response.challengeName = 'CUSTOM_CHALLENGE';
  }
  return event;
};`,
  'create-challenge': `${LOG}
export const handler = async (event) => {
  log(event);
  const n = event.request.session.filter((r) => r.challengeName === 'CUSTOM_CHALLENGE' && r.challengeResult).length + 1;
  event.response.publicChallengeParameters = { question: 'What is ' + n + ' + ' + n + '?' };
  event.response.privateChallengeParameters = { answer: String(n + n) };
  event.response.challengeMetadata = 'ROUND-' + n;
  return event;
};`,
  'verify-challenge': `${LOG}
export const handler = async (event) => {
  log(event);
  event.response.answerCorrect = event.request.challengeAnswer === event.request.privateChallengeParameters.answer;
  return event;
};`,
  'define-forever': `${LOG}
export const handler = async (event) => {
  event.response.challengeName = 'CUSTOM_CHALLENGE';
  return event;
};`,
  'define-refuses': `${LOG}
export const handler = async (event) => {
  log(event);
  throw new Error('No custom sign-in today');
};`,
};

const ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const FLOWS = ['ALLOW_CUSTOM_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] as const;
const answerTo = (params: Record<string, string>) => {
  const n = Number(/What is (\d+) \+/.exec(params.question)![1]);
  return String(n + n);
};

type Step =
  | { kind: 'challenge'; params: Record<string, string> }
  | { kind: 'newPassword' }
  | { kind: 'success'; session: CognitoUserSession }
  | { kind: 'failure'; err: any };

/** amazon-cognito-identity-js's callbacks as a promise of the next step. */
const callbacks = (resolve: (s: Step) => void) => ({
  customChallenge: (params: Record<string, string>) => resolve({ kind: 'challenge', params }),
  newPasswordRequired: () => resolve({ kind: 'newPassword' }),
  onSuccess: (session: CognitoUserSession) => resolve({ kind: 'success', session }),
  onFailure: (err: any) => resolve({ kind: 'failure', err }),
});

describe('CUSTOM_AUTH with local challenge triggers', () => {
  let t: Running;
  let dir: string;
  let record: string;
  let poolId: string;
  let clientId: string;
  let pool: CognitoUserPool;
  const events = (source?: string): any[] =>
    readFileSync(record, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((e) => !source || e.triggerSource === source);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-custom-auth-'));
    record = join(dir, 'events.jsonl');
    writeFileSync(record, '');
    for (const [name, body] of Object.entries(HANDLERS)) writeFileSync(join(dir, `${name}.mjs`), `const RECORD = ${JSON.stringify(record)};\n${body}`);
    t = await startTestServer({ functionsDir: dir });
    ({ poolId, clientId } = await poolWithClient(
      t.url,
      {
        LambdaConfig: {
          DefineAuthChallenge: ARN('define-challenge'),
          CreateAuthChallenge: ARN('create-challenge'),
          VerifyAuthChallengeResponse: ARN('verify-challenge'),
        },
      },
      { ExplicitAuthFlows: [...FLOWS] },
    ));
    pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url });
    await userWithPassword(t.url, poolId, 'alice', 'Alice#Pass1', { attributes: { email: 'alice@example.com' } });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('three rounds with amazon-cognito-identity-js: initiateAuth, then sendCustomChallengeAnswer until onSuccess', async () => {
    const start = events().length;
    const user = new CognitoUser({ Username: 'alice', Pool: pool });
    user.setAuthenticationFlowType('CUSTOM_AUTH');
    let step = await new Promise<Step>((resolve) => user.initiateAuth(new AuthenticationDetails({ Username: 'alice' }), callbacks(resolve)));
    const questions: string[] = [];
    while (step.kind === 'challenge') {
      questions.push(step.params.question);
      assert.equal(step.params.USERNAME, 'alice');
      const params = step.params;
      step = await new Promise<Step>((resolve) => user.sendCustomChallengeAnswer(answerTo(params), callbacks(resolve), { app: 'web' }));
    }
    assert.equal(step.kind, 'success', step.kind === 'failure' ? String(step.err) : '');
    assert.deepEqual(questions, ['What is 1 + 1?', 'What is 2 + 2?', 'What is 3 + 3?']);
    const session = (step as { session: CognitoUserSession }).session;
    assert.equal(session.getIdToken().decodePayload()['cognito:username'], 'alice');
    assert.ok(session.getRefreshToken().getToken());

    const seen = events().slice(start);
    assert.deepEqual(
      seen.map((e) => e.triggerSource.replace('_Authentication', '')),
      ['DefineAuthChallenge', 'CreateAuthChallenge', 'VerifyAuthChallengeResponse', 'DefineAuthChallenge', 'CreateAuthChallenge', 'VerifyAuthChallengeResponse', 'DefineAuthChallenge', 'CreateAuthChallenge', 'VerifyAuthChallengeResponse', 'DefineAuthChallenge'],
    );
    const [define1, create1, verify1] = seen;
    assert.equal(define1.userName, 'alice');
    assert.deepEqual(define1.callerContext, { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId });
    assert.deepEqual(define1.request.session, []);
    assert.equal(define1.request.userAttributes.email, 'alice@example.com');
    assert.equal(define1.request.userAttributes['cognito:user_status'], 'CONFIRMED');
    assert.ok(define1.request.userAttributes.sub);
    // InitiateAuth's ClientMetadata does not reach these triggers; no userNotFound on a LEGACY client.
    assert.equal(define1.request.clientMetadata, undefined);
    assert.equal(define1.request.userNotFound, undefined);
    assert.deepEqual(define1.response, { challengeName: null, issueTokens: false, failAuthentication: false });
    assert.equal(create1.request.challengeName, 'CUSTOM_CHALLENGE');
    assert.deepEqual(create1.response, { publicChallengeParameters: null, privateChallengeParameters: null, challengeMetadata: null });
    assert.equal(verify1.request.challengeAnswer, '2');
    assert.deepEqual(verify1.request.privateChallengeParameters, { answer: '2' });
    assert.deepEqual(verify1.request.clientMetadata, { app: 'web' });
    assert.deepEqual(verify1.response, { answerCorrect: false });
    const last = seen.at(-1);
    assert.deepEqual(last.request.session, [
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'ROUND-1' },
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'ROUND-2' },
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'ROUND-3' },
    ]);
    assert.deepEqual(last.request.clientMetadata, { app: 'web' });
  });

  test('SRP_A first with amazon-cognito-identity-js: authenticateUser with CUSTOM_AUTH proves the password, then the custom rounds', async () => {
    const start = events().length;
    const user = new CognitoUser({ Username: 'alice', Pool: pool });
    user.setAuthenticationFlowType('CUSTOM_AUTH');
    let step = await new Promise<Step>((resolve) =>
      user.authenticateUser(new AuthenticationDetails({ Username: 'alice', Password: 'Alice#Pass1' }), callbacks(resolve)),
    );
    let rounds = 0;
    while (step.kind === 'challenge') {
      rounds++;
      const params = step.params;
      step = await new Promise<Step>((resolve) => user.sendCustomChallengeAnswer(answerTo(params), callbacks(resolve)));
    }
    assert.equal(step.kind, 'success', step.kind === 'failure' ? String(step.err) : '');
    assert.equal(rounds, 3);
    const defines = events()
      .slice(start)
      .filter((e) => e.triggerSource === 'DefineAuthChallenge_Authentication');
    assert.deepEqual(defines[0].request.session, [{ challengeName: 'SRP_A', challengeResult: true, challengeMetadata: null }]);
    assert.deepEqual(defines[1].request.session, [
      { challengeName: 'SRP_A', challengeResult: true, challengeMetadata: null },
      { challengeName: 'PASSWORD_VERIFIER', challengeResult: true, challengeMetadata: null },
    ]);
    assert.equal(defines.at(-1).request.session.length, 5);
    // PASSWORD_VERIFIER is Cognito's own step: CreateAuthChallenge is not asked for it.
    const creates = events().slice(start).filter((e) => e.triggerSource === 'CreateAuthChallenge_Authentication');
    assert.equal(creates.length, 3);

    const wrong = new CognitoUser({ Username: 'alice', Pool: pool });
    wrong.setAuthenticationFlowType('CUSTOM_AUTH');
    const refused = await new Promise<Step>((resolve) =>
      wrong.authenticateUser(new AuthenticationDetails({ Username: 'alice', Password: 'Not-her-password1' }), callbacks(resolve)),
    );
    assert.equal(refused.kind, 'failure');
    assert.equal((refused as any).err.code, 'NotAuthorizedException');
    assert.equal((refused as any).err.message, 'Incorrect username or password.');
  });

  test('SRP_A first for a user on a temporary password: NEW_PASSWORD_REQUIRED right after the proof, then tokens', async () => {
    await userWithPassword(t.url, poolId, 'tina', 'Temp#Pass123', { temporary: true });
    const start = events().length;
    const user = new CognitoUser({ Username: 'tina', Pool: pool });
    user.setAuthenticationFlowType('CUSTOM_AUTH');
    const step = await new Promise<Step>((resolve) =>
      user.authenticateUser(new AuthenticationDetails({ Username: 'tina', Password: 'Temp#Pass123' }), callbacks(resolve)),
    );
    assert.equal(step.kind, 'newPassword', step.kind === 'failure' ? String(step.err) : '');
    const done = await new Promise<Step>((resolve) => user.completeNewPasswordChallenge('Tina#Perm1234', {}, callbacks(resolve)));
    assert.equal(done.kind, 'success', done.kind === 'failure' ? String(done.err) : '');
    // Cognito's order (amazon-archives/amazon-cognito-identity-js#341): DefineAuthChallenge ran once, for SRP_A.
    assert.deepEqual(
      events()
        .slice(start)
        .map((e) => e.triggerSource),
      ['DefineAuthChallenge_Authentication'],
    );
  });

  test('three wrong answers: DefineAuthChallenge fails the sign-in, answered as a wrong password; a used Session is refused', async () => {
    const sdk = idpClient(t.url);
    const first = await sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'alice' } }));
    assert.equal(first.ChallengeName, 'CUSTOM_CHALLENGE');
    let session = first.Session!;
    for (let i = 0; i < 2; i++) {
      const retry = await sdk.send(
        new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'CUSTOM_CHALLENGE', Session: session, ChallengeResponses: { USERNAME: 'alice', ANSWER: 'wrong' } }),
      );
      assert.equal(retry.ChallengeName, 'CUSTOM_CHALLENGE');
      assert.equal(retry.ChallengeParameters?.question, 'What is 1 + 1?');
      const reused = await sdkError(
        sdk.send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'CUSTOM_CHALLENGE', Session: session, ChallengeResponses: { USERNAME: 'alice', ANSWER: '2' } })),
      );
      assert.deepEqual(reused, { name: 'NotAuthorizedException', message: 'Invalid session for the user, session can only be used once.' });
      session = retry.Session!;
    }
    const failed = await sdkError(
      sdk.send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'CUSTOM_CHALLENGE', Session: session, ChallengeResponses: { USERNAME: 'alice', ANSWER: 'wrong' } })),
    );
    assert.deepEqual(failed, { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });

  test('two answers racing on one Session: exactly one goes on', async () => {
    const sdk = idpClient(t.url);
    const first = await sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'alice' } }));
    const answer = () =>
      sdk.send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'CUSTOM_CHALLENGE', Session: first.Session, ChallengeResponses: { USERNAME: 'alice', ANSWER: '2' } }));
    const results = await Promise.allSettled([answer(), answer(), answer(), answer()]);
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    assert.equal((won[0] as PromiseFulfilledResult<any>).value.ChallengeParameters.question, 'What is 2 + 2?');
    for (const r of results.filter((x) => x.status === 'rejected')) assert.equal((r as PromiseRejectedResult).reason.name, 'NotAuthorizedException');
  });

  test('the AWS CLI: initiate-auth --auth-flow CUSTOM_AUTH, then respond-to-auth-challenge three times', needs('aws'), async () => {
    const start = await aws(t.url, ['cognito-idp', 'initiate-auth', '--client-id', clientId, '--auth-flow', 'CUSTOM_AUTH', '--auth-parameters', 'USERNAME=alice']);
    assert.equal(start.code, 0, start.stderr);
    let answer = start.json;
    for (let round = 1; round <= 3; round++) {
      assert.equal(answer.ChallengeName, 'CUSTOM_CHALLENGE');
      assert.equal(answer.ChallengeParameters.question, `What is ${round} + ${round}?`);
      const r = await aws(t.url, [
        'cognito-idp',
        'respond-to-auth-challenge',
        '--client-id',
        clientId,
        '--challenge-name',
        'CUSTOM_CHALLENGE',
        '--challenge-responses',
        `USERNAME=alice,ANSWER=${round * 2}`,
        '--session',
        answer.Session,
      ]);
      assert.equal(r.code, 0, r.stderr);
      answer = r.json;
    }
    assert.ok(answer.AuthenticationResult.AccessToken);
    assert.equal(claims(answer.AuthenticationResult.IdToken)['cognito:username'], 'alice');
  });

  test('a client without ALLOW_CUSTOM_AUTH, and a pool without the trigger, are refused with Cognito\'s texts', async () => {
    const sdk = idpClient(t.url);
    const { clientId: plain } = await poolWithClient(t.url, {}, {});
    assert.deepEqual(await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: plain, AuthParameters: { USERNAME: 'x' } }))), {
      name: 'InvalidParameterException',
      message: 'CUSTOM_AUTH flow not enabled for this client',
    });
    const { clientId: noTrigger } = await poolWithClient(t.url, {}, { ExplicitAuthFlows: [...FLOWS] });
    assert.deepEqual(await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: noTrigger, AuthParameters: { USERNAME: 'x' } }))), {
      name: 'InvalidParameterException',
      message: 'Custom auth lambda trigger is not configured for the user pool.',
    });
  });

  test('an unknown user: UserNotFoundException, or with PreventUserExistenceErrors a challenge whose triggers see userNotFound', async () => {
    const sdk = idpClient(t.url);
    assert.equal((await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'ghost' } })))).name, 'UserNotFoundException');
    const c = await sdk.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: 'hiding',
        ExplicitAuthFlows: [...FLOWS],
        PreventUserExistenceErrors: 'ENABLED',
      }),
    );
    const hidden = c.UserPoolClient!.ClientId!;
    const start = events().length;
    let r = await sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: hidden, AuthParameters: { USERNAME: 'ghost' } }));
    assert.equal(r.ChallengeName, 'CUSTOM_CHALLENGE');
    const define = events().slice(start)[0];
    assert.equal(define.userName, 'ghost');
    assert.equal(define.request.userNotFound, true);
    assert.deepEqual(define.request.userAttributes, {});
    // Right answers all the way: DefineAuthChallenge issues tokens, but there is no user to issue them to.
    for (let round = 1; round <= 3; round++) {
      const next = sdk.send(
        new RespondToAuthChallengeCommand({ ClientId: hidden, ChallengeName: 'CUSTOM_CHALLENGE', Session: r.Session, ChallengeResponses: { USERNAME: 'ghost', ANSWER: String(round * 2) } }),
      );
      if (round < 3) r = await next;
      else assert.deepEqual(await sdkError(next), { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    }
    // A known user on that client: userNotFound is false.
    const known = await sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: hidden, AuthParameters: { USERNAME: 'alice' } }));
    assert.equal(known.ChallengeName, 'CUSTOM_CHALLENGE');
    assert.equal(events('DefineAuthChallenge_Authentication').at(-1).request.userNotFound, false);
  });

  test('a DefineAuthChallenge that never decides: the sign-in ends after Tobira\'s bound on rounds', async () => {
    const { poolId: other, clientId: otherClient } = await poolWithClient(
      t.url,
      { LambdaConfig: { DefineAuthChallenge: ARN('define-forever'), CreateAuthChallenge: ARN('create-challenge'), VerifyAuthChallengeResponse: ARN('verify-challenge') } },
      { ExplicitAuthFlows: [...FLOWS] },
    );
    await userWithPassword(t.url, other, 'carl', 'Carl#Pass123');
    const sdk = idpClient(t.url);
    let r = await sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: otherClient, AuthParameters: { USERNAME: 'carl' } }));
    let rounds = 0;
    for (;;) {
      const next = sdk.send(
        new RespondToAuthChallengeCommand({ ClientId: otherClient, ChallengeName: 'CUSTOM_CHALLENGE', Session: r.Session, ChallengeResponses: { USERNAME: 'carl', ANSWER: 'no' } }),
      );
      rounds++;
      if (rounds <= MAX_CUSTOM_ROUNDS - 1) {
        r = await next;
        continue;
      }
      assert.deepEqual(await sdkError(next), { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
      break;
    }
  });

  test('a DefineAuthChallenge that throws: UserLambdaValidationException with its message', async () => {
    const { poolId: other, clientId: otherClient } = await poolWithClient(
      t.url,
      { LambdaConfig: { DefineAuthChallenge: ARN('define-refuses'), CreateAuthChallenge: ARN('create-challenge'), VerifyAuthChallengeResponse: ARN('verify-challenge') } },
      { ExplicitAuthFlows: [...FLOWS] },
    );
    await userWithPassword(t.url, other, 'bob', 'Bob#Pass123');
    const err = await sdkError(idpClient(t.url).send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: otherClient, AuthParameters: { USERNAME: 'bob' } })));
    assert.deepEqual(err, { name: 'UserLambdaValidationException', message: 'DefineAuthChallenge failed with error No custom sign-in today.' });
  });
});
