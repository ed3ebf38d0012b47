import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  GetUserAuthFactorsCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  UpdateUserPoolCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { userWithPassword } from './helpers/sign-in.ts';
import { mfaCode } from './helpers/mfa.ts';
import { outboxMessages } from './helpers/outbox.ts';
import { SrpClient } from './helpers/srp-client.ts';

/**
 * USER_AUTH (choice-based sign-in) through the JS SDK v3 and Amplify v6: SELECT_CHALLENGE with
 * AvailableChallenges, PREFERRED_CHALLENGE, passwordless email codes, passwords and SRP through
 * the choice, passwordless sign-up, GetUserAuthFactors, and the refusals.
 */

const PASSWORD = 'Correct#Horse1';

describe('USER_AUTH, choice-based sign-in', () => {
  let server: Running;
  let sdk: CognitoIdentityProviderClient;
  let poolId: string;
  let clientId: string;

  before(async () => {
    server = await startTestServer();
    sdk = idpClient(server.url);
    const p = await sdk.send(
      new CreateUserPoolCommand({
        PoolName: 'choice',
        AutoVerifiedAttributes: ['email'],
        Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
      }),
    );
    poolId = p.UserPool!.Id!;
    assert.deepEqual(p.UserPool!.Policies!.SignInPolicy!.AllowedFirstAuthFactors, ['PASSWORD', 'EMAIL_OTP']);
    const c = await sdk.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'web', ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    clientId = c.UserPoolClient!.ClientId!;
  });
  after(() => server.close());

  async function user(name: string, opts: { password?: boolean } = {}): Promise<string> {
    const email = `${name}@example.com`;
    const attributes = { email, email_verified: 'true' };
    if (opts.password === false) {
      await sdk.send(
        new AdminCreateUserCommand({
          UserPoolId: poolId,
          Username: name,
          MessageAction: 'SUPPRESS',
          UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
        }),
      );
    } else {
      await userWithPassword(server.url, poolId, name, PASSWORD, { attributes });
    }
    return email;
  }

  const initiate = (username: string, extra: Record<string, string> = {}) =>
    sdk.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: username, ...extra } }));
  const respond = (ChallengeName: any, Session: string | undefined, ChallengeResponses: Record<string, string>) =>
    sdk.send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName, Session, ChallengeResponses }));

  test('without PREFERRED_CHALLENGE: SELECT_CHALLENGE lists the factors; EMAIL_OTP sends an eight-digit code that signs in once', async () => {
    const email = await user('alice');
    const first = await initiate('alice');
    assert.equal(first.ChallengeName, 'SELECT_CHALLENGE');
    assert.deepEqual(first.AvailableChallenges, ['PASSWORD_SRP', 'PASSWORD', 'EMAIL_OTP']);
    assert.ok(first.Session && first.Session.length >= 20);

    const otp = await respond('SELECT_CHALLENGE', first.Session, { USERNAME: 'alice', ANSWER: 'EMAIL_OTP' });
    assert.equal(otp.ChallengeName, 'EMAIL_OTP');
    assert.deepEqual(otp.ChallengeParameters, { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL', CODE_DELIVERY_DESTINATION: 'a***@e***' });
    assert.notEqual(otp.Session, first.Session);
    const code = await mfaCode(server.url, email);
    assert.match(code, /^\d{8}$/);

    // A wrong code leaves the session live (observed on Cognito), with Cognito's text.
    const wrong = await sdkError(respond('EMAIL_OTP', otp.Session, { USERNAME: 'alice', EMAIL_OTP_CODE: code === '00000000' ? '11111111' : '00000000' }));
    assert.deepEqual(wrong, { name: 'CodeMismatchException', message: 'Invalid code or auth state for the user.' });

    const done = await respond('EMAIL_OTP', otp.Session, { USERNAME: 'alice', EMAIL_OTP_CODE: code });
    assert.ok(done.AuthenticationResult?.AccessToken);
    assert.deepEqual(done.ChallengeParameters, {});

    // The same code again: the session is spent.
    const reused = await sdkError(respond('EMAIL_OTP', otp.Session, { USERNAME: 'alice', EMAIL_OTP_CODE: code }));
    assert.deepEqual(reused, { name: 'NotAuthorizedException', message: 'Invalid session for the user, session can only be used once.' });

    // ... and with a new session: the old code is gone.
    const again = await initiate('alice', { PREFERRED_CHALLENGE: 'EMAIL_OTP' });
    const stale = await sdkError(respond('EMAIL_OTP', again.Session, { USERNAME: 'alice', EMAIL_OTP_CODE: code }));
    assert.equal(stale.name, 'CodeMismatchException');
  });

  test('PREFERRED_CHALLENGE EMAIL_OTP goes straight to the code, naming only it in AvailableChallenges', async () => {
    const email = await user('bob', { password: false });
    const r = await initiate('bob', { PREFERRED_CHALLENGE: 'EMAIL_OTP' });
    assert.equal(r.ChallengeName, 'EMAIL_OTP');
    assert.deepEqual(r.AvailableChallenges, ['EMAIL_OTP']);
    const done = await respond('EMAIL_OTP', r.Session, { USERNAME: 'bob', EMAIL_OTP_CODE: await mfaCode(server.url, email) });
    assert.ok(done.AuthenticationResult?.IdToken);
    const factors = await sdk.send(new GetUserAuthFactorsCommand({ AccessToken: done.AuthenticationResult!.AccessToken! }));
    assert.equal(factors.Username, 'bob');
    assert.deepEqual(factors.ConfiguredUserAuthFactors, ['EMAIL_OTP']);
  });

  test('passwords through the choice: PREFERRED_CHALLENGE PASSWORD, ANSWER PASSWORD, ANSWER PASSWORD_SRP', async () => {
    await user('carol');
    const direct = await initiate('carol', { PREFERRED_CHALLENGE: 'PASSWORD', PASSWORD });
    assert.ok(direct.AuthenticationResult?.AccessToken);
    const wrong = await sdkError(initiate('carol', { PREFERRED_CHALLENGE: 'PASSWORD', PASSWORD: 'Wrong#Horse1' }));
    assert.deepEqual(wrong, { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });

    const select = await initiate('carol');
    const byAnswer = await respond('SELECT_CHALLENGE', select.Session, { USERNAME: 'carol', ANSWER: 'PASSWORD', PASSWORD });
    assert.ok(byAnswer.AuthenticationResult?.AccessToken);

    const select2 = await initiate('carol');
    const srp = new SrpClient(poolId);
    const verifier = await respond('SELECT_CHALLENGE', select2.Session, { USERNAME: 'carol', ANSWER: 'PASSWORD_SRP', SRP_A: await srp.srpA() });
    assert.equal(verifier.ChallengeName, 'PASSWORD_VERIFIER');
    const done = await respond('PASSWORD_VERIFIER', verifier.Session, await srp.answer(verifier.ChallengeParameters!, PASSWORD));
    assert.ok(done.AuthenticationResult?.AccessToken);

    const factors = await sdk.send(new GetUserAuthFactorsCommand({ AccessToken: done.AuthenticationResult!.AccessToken! }));
    assert.deepEqual(factors.ConfiguredUserAuthFactors, ['PASSWORD', 'EMAIL_OTP']);
  });

  test('a user on a temporary password is offered the password only', async () => {
    await userWithPassword(server.url, poolId, 'dave', PASSWORD, { temporary: true, attributes: { email: 'dave@example.com', email_verified: 'true' } });
    const r = await initiate('dave', { PREFERRED_CHALLENGE: 'EMAIL_OTP' });
    assert.equal(r.ChallengeName, 'SELECT_CHALLENGE');
    assert.deepEqual(r.AvailableChallenges, ['PASSWORD_SRP', 'PASSWORD']);
    const next = await respond('SELECT_CHALLENGE', r.Session, { USERNAME: 'dave', ANSWER: 'PASSWORD', PASSWORD });
    assert.equal(next.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    const refused = await sdkError(respond('SELECT_CHALLENGE', (await initiate('dave')).Session, { USERNAME: 'dave', ANSWER: 'EMAIL_OTP' }));
    assert.equal(refused.name, 'InvalidParameterException');
  });

  test('race: one code answered concurrently signs in once', async () => {
    const email = await user('ivan', { password: false });
    const r = await initiate('ivan', { PREFERRED_CHALLENGE: 'EMAIL_OTP' });
    const code = await mfaCode(server.url, email);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => respond('EMAIL_OTP', r.Session, { USERNAME: 'ivan', EMAIL_OTP_CODE: code })),
    );
    const won = results.filter((x) => x.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const x of results) {
      if (x.status === 'rejected') assert.equal((x.reason as Error).name, 'NotAuthorizedException');
    }
  });

  test('wrong codes count toward the lockout', async () => {
    const email = await user('erin', { password: false });
    const r = await initiate('erin', { PREFERRED_CHALLENGE: 'EMAIL_OTP' });
    const code = await mfaCode(server.url, email);
    const bad = code === '12345678' ? '87654321' : '12345678';
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await sdkError(respond('EMAIL_OTP', r.Session, { USERNAME: 'erin', EMAIL_OTP_CODE: bad }))).message);
    assert.equal(seen[0], 'Invalid code or auth state for the user.');
    assert.equal(seen[5], 'Password attempts exceeded');
    const locked = await sdkError(respond('EMAIL_OTP', r.Session, { USERNAME: 'erin', EMAIL_OTP_CODE: code }));
    assert.equal(locked.message, 'Password attempts exceeded');
  });

  test('refusals: a client without ALLOW_USER_AUTH, an unknown user, a factor the pool does not allow', async () => {
    const other = await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'srp-only', ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }));
    const off = await sdkError(
      sdk.send(new InitiateAuthCommand({ ClientId: other.UserPoolClient!.ClientId!, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'alice' } })),
    );
    assert.deepEqual(off, { name: 'InvalidParameterException', message: 'USER_AUTH flow not enabled for this client' });

    assert.equal((await sdkError(initiate('nobody'))).name, 'UserNotFoundException');

    // SMS_OTP is not allowed by this pool: the choice is offered instead.
    await user('frank');
    const r = await initiate('frank', { PREFERRED_CHALLENGE: 'SMS_OTP' });
    assert.equal(r.ChallengeName, 'SELECT_CHALLENGE');
    assert.ok(!r.AvailableChallenges!.includes('SMS_OTP'));
  });

  test('an unknown user on a client that hides user existence gets a simulated EMAIL_OTP challenge', async () => {
    const hidden = await sdk.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'hidden', ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], PreventUserExistenceErrors: 'ENABLED' }),
    );
    const id = hidden.UserPoolClient!.ClientId!;
    const r = await sdk.send(
      new InitiateAuthCommand({ ClientId: id, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'ghost@example.com', PREFERRED_CHALLENGE: 'EMAIL_OTP' } }),
    );
    assert.equal(r.ChallengeName, 'EMAIL_OTP');
    assert.equal(r.ChallengeParameters!.CODE_DELIVERY_DESTINATION, 'g***@e***');
    const wrong = await sdkError(
      sdk.send(new RespondToAuthChallengeCommand({ ClientId: id, ChallengeName: 'EMAIL_OTP', Session: r.Session, ChallengeResponses: { USERNAME: 'ghost@example.com', EMAIL_OTP_CODE: '12345678' } })),
    );
    assert.equal(wrong.name, 'CodeMismatchException');

    // Without a preference: a choice like a real user's, whose code challenge leads nowhere.
    const choice = await sdk.send(new InitiateAuthCommand({ ClientId: id, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'ghost@example.com' } }));
    assert.equal(choice.ChallengeName, 'SELECT_CHALLENGE');
    const otp = await sdk.send(
      new RespondToAuthChallengeCommand({ ClientId: id, ChallengeName: 'SELECT_CHALLENGE', Session: choice.Session, ChallengeResponses: { USERNAME: 'ghost@example.com', ANSWER: 'EMAIL_OTP' } }),
    );
    assert.equal(otp.ChallengeName, 'EMAIL_OTP');
    const pw = await sdkError(
      sdk.send(new InitiateAuthCommand({ ClientId: id, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'ghost@example.com', PREFERRED_CHALLENGE: 'PASSWORD', PASSWORD } })),
    );
    assert.deepEqual(pw, { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });

  test('SMS_OTP: a six-digit code by SMS to the verified phone number', async () => {
    const p = await sdk.send(new CreateUserPoolCommand({ PoolName: 'sms', Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'SMS_OTP'] } } }));
    const c = await sdk.send(
      new CreateUserPoolClientCommand({ UserPoolId: p.UserPool!.Id!, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    await sdk.send(
      new AdminCreateUserCommand({
        UserPoolId: p.UserPool!.Id!,
        Username: 'mia',
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'phone_number', Value: '+15555550123' },
          { Name: 'phone_number_verified', Value: 'true' },
        ],
      }),
    );
    const id = c.UserPoolClient!.ClientId!;
    const r = await sdk.send(new InitiateAuthCommand({ ClientId: id, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'mia', PREFERRED_CHALLENGE: 'SMS_OTP' } }));
    assert.equal(r.ChallengeName, 'SMS_OTP');
    assert.deepEqual(r.ChallengeParameters, { CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS', CODE_DELIVERY_DESTINATION: '+*******0123' });
    const code = await mfaCode(server.url, '+15555550123');
    assert.match(code, /^\d{6}$/);
    const done = await sdk.send(
      new RespondToAuthChallengeCommand({ ClientId: id, ChallengeName: 'SMS_OTP', Session: r.Session, ChallengeResponses: { USERNAME: 'mia', SMS_OTP_CODE: code } }),
    );
    assert.ok(done.AuthenticationResult?.AccessToken);
  });

  test('AdminInitiateAuth with USER_AUTH', async () => {
    await user('liam');
    const r = await sdk.send(
      new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'liam', PREFERRED_CHALLENGE: 'PASSWORD', PASSWORD } }),
    );
    assert.ok(r.AuthenticationResult?.AccessToken);
    const choice = await sdk.send(new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'liam' } }));
    assert.deepEqual(choice.AvailableChallenges, ['PASSWORD_SRP', 'PASSWORD', 'EMAIL_OTP']);
    const done = await sdk.send(
      new AdminRespondToAuthChallengeCommand({
        UserPoolId: poolId,
        ClientId: clientId,
        ChallengeName: 'SELECT_CHALLENGE',
        Session: choice.Session,
        ChallengeResponses: { USERNAME: 'liam', ANSWER: 'PASSWORD', PASSWORD },
      }),
    );
    assert.ok(done.AuthenticationResult?.IdToken);
  });

  test('passwordless sign-up: SignUp without a password, ConfirmSignUp, then an email code signs in', async () => {
    const signUp = await sdk.send(
      new SignUpCommand({ ClientId: clientId, Username: 'gina', UserAttributes: [{ Name: 'email', Value: 'gina@example.com' }] }),
    );
    assert.equal(signUp.UserConfirmed, false);
    const confirmation = (await outboxMessages(server.url, { to: 'gina@example.com' })).at(-1).body;
    await sdk.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'gina', ConfirmationCode: /\b(\d{6})\b/.exec(confirmation)![1] }));
    const r = await initiate('gina');
    assert.deepEqual(r.AvailableChallenges, ['EMAIL_OTP']);
    const otp = await respond('SELECT_CHALLENGE', r.Session, { USERNAME: 'gina', ANSWER: 'EMAIL_OTP' });
    const done = await respond('EMAIL_OTP', otp.Session, { USERNAME: 'gina', EMAIL_OTP_CODE: await mfaCode(server.url, 'gina@example.com') });
    assert.ok(done.AuthenticationResult?.AccessToken);

    // A pool without passwordless codes still wants a password.
    const plain = await sdk.send(new CreateUserPoolCommand({ PoolName: 'plain' }));
    const plainClient = await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: plain.UserPool!.Id!, ClientName: 'c' }));
    const refused = await sdkError(sdk.send(new SignUpCommand({ ClientId: plainClient.UserPoolClient!.ClientId!, Username: 'x' })));
    assert.equal(refused.name, 'InvalidParameterException');
  });

  test('Amplify v6: signIn with USER_AUTH and EMAIL_OTP, then the first-factor selection with a password', async () => {
    const email = await user('hana');
    const { Amplify } = await import('aws-amplify');
    const { signIn, confirmSignIn, signOut, fetchAuthSession, getCurrentUser } = await import('aws-amplify/auth');
    Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: server.url } } });

    const started = await signIn({ username: 'hana', options: { authFlowType: 'USER_AUTH', preferredChallenge: 'EMAIL_OTP' } });
    assert.equal(started.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    const done = await confirmSignIn({ challengeResponse: await mfaCode(server.url, email) });
    assert.equal(done.isSignedIn, true);
    assert.equal(done.nextStep.signInStep, 'DONE');
    assert.equal((await getCurrentUser()).username, 'hana');
    assert.ok((await fetchAuthSession()).tokens?.accessToken);
    await signOut();

    const choice = await signIn({ username: 'hana', options: { authFlowType: 'USER_AUTH' } });
    assert.equal(choice.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION');
    assert.deepEqual((choice.nextStep as any).availableChallenges, ['PASSWORD_SRP', 'PASSWORD', 'EMAIL_OTP']);
    const pick = await confirmSignIn({ challengeResponse: 'PASSWORD_SRP' });
    assert.equal(pick.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_PASSWORD');
    const signedIn = await confirmSignIn({ challengeResponse: PASSWORD });
    assert.equal(signedIn.isSignedIn, true);
    await signOut();
  });

  test("ConfirmSignUp's Session signs the new user in once with USER_AUTH", async () => {
    await sdk.send(new SignUpCommand({ ClientId: clientId, Username: 'jack', UserAttributes: [{ Name: 'email', Value: 'jack@example.com' }] }));
    const confirmed = await sdk.send(
      new ConfirmSignUpCommand({ ClientId: clientId, Username: 'jack', ConfirmationCode: await mfaCode(server.url, 'jack@example.com') }),
    );
    assert.ok(confirmed.Session);
    const r = await sdk.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'jack' }, Session: confirmed.Session }));
    assert.ok(r.AuthenticationResult?.AccessToken);
    const again = await sdkError(
      sdk.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'jack' }, Session: confirmed.Session })),
    );
    assert.deepEqual(again, { name: 'NotAuthorizedException', message: 'Invalid session for the user, session can only be used once.' });
  });

  test('--enforce-tiers: a LITE pool cannot allow passwordless sign-in; without the flag it can', async () => {
    const lite = await sdk.send(
      new CreateUserPoolCommand({ PoolName: 'lite', UserPoolTier: 'LITE', Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } } }),
    );
    assert.equal(lite.UserPool!.UserPoolTier, 'LITE');
    const strict = await startTestServer({ enforceTiers: true });
    try {
      const s = idpClient(strict.url);
      const refused = await sdkError(
        s.send(new CreateUserPoolCommand({ PoolName: 'lite', UserPoolTier: 'LITE', Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } } })),
      );
      assert.deepEqual(refused, {
        name: 'FeatureUnavailableInTierException',
        message: 'The following features need to be disabled for the LITE pricing tier configured: Passwordless Sign-In',
      });
      const history = await sdkError(
        s.send(new CreateUserPoolCommand({ PoolName: 'lite', UserPoolTier: 'LITE', Policies: { PasswordPolicy: { PasswordHistorySize: 3 } } })),
      );
      assert.equal(history.name, 'FeatureUnavailableInTierException');
      const ok = await s.send(new CreateUserPoolCommand({ PoolName: 'lite', UserPoolTier: 'LITE' }));
      const update = await sdkError(
        s.send(new UpdateUserPoolCommand({ UserPoolId: ok.UserPool!.Id!, Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'WEB_AUTHN'] } } })),
      );
      assert.equal(update.name, 'FeatureUnavailableInTierException');
      await s.send(
        new UpdateUserPoolCommand({ UserPoolId: ok.UserPool!.Id!, UserPoolTier: 'ESSENTIALS', Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'WEB_AUTHN'] } } }),
      );
    } finally {
      await strict.close();
    }
  });
});
