import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  type AdminInitiateAuthCommandInput,
  AdminListUserAuthEventsCommand,
  AdminRespondToAuthChallengeCommand,
  AdminUpdateAuthEventFeedbackCommand,
  ChangePasswordCommand,
  CreateUserPoolClientCommand,
  DescribeRiskConfigurationCommand,
  InitiateAuthCommand,
  SetRiskConfigurationCommand,
  SetUserPoolMfaConfigCommand,
  SignUpCommand,
  UpdateAuthEventFeedbackCommand,
  UpdateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from 'amazon-cognito-identity-js';
import { inPwnedFile } from '../src/domain/threat/pwned.ts';
import { sweepExpired } from '../src/domain/housekeeping.ts';
import type { Running } from '../src/tobira.ts';
import { memoryStorage } from './helpers/mfa.ts';
import { Browser, CALLBACK, csrfOf, hostedPool, PASSWORD, signInThrough } from './helpers/hosted-ui.ts';
import { outboxMessages } from './helpers/outbox.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { aws, idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';

const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex').toUpperCase();
const BREACHED = 'Password123!';
const GOOD = 'Correct#Horse1';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0';

/** A Pwned-Passwords-style file: `SHA1:COUNT` lines sorted by hash, with `extra` random ones around the breached password. */
function pwnedFile(dir: string, passwords: string[], extra = 2000): string {
  const lines = [...passwords.map(sha1), ...Array.from({ length: extra }, () => randomBytes(20).toString('hex').toUpperCase())]
    .sort()
    .map((h, i) => `${h}:${i + 1}`);
  const file = join(dir, 'pwned.txt');
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

describe('threat protection', () => {
  let t: Running;
  let dir: string;
  const sdk = () => idpClient(t.url);
  const events = (poolId: string, username: string, more: { MaxResults?: number; NextToken?: string } = {}) =>
    sdk().send(new AdminListUserAuthEventsCommand({ UserPoolId: poolId, Username: username, ...more }));
  const adminSignIn = (poolId: string, clientId: string, username: string, password: string, origin?: { ip: string; ua: string }) =>
    sdk().send(
      new AdminInitiateAuthCommand({
        UserPoolId: poolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: password },
        ...(origin
          ? ({
              ContextData: { IpAddress: origin.ip, ServerName: 'app.example', ServerPath: '/login', HttpHeaders: [{ headerName: 'User-Agent', headerValue: origin.ua }] },
            } satisfies Partial<AdminInitiateAuthCommandInput>)
          : {}),
      }),
    );
  const withMode = async (mode: 'OFF' | 'AUDIT' | 'ENFORCED', pool: Record<string, unknown> = {}) =>
    poolWithClient(t.url, { UserPoolAddOns: { AdvancedSecurityMode: mode }, ...pool });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-threat-'));
    t = await startTestServer({ compromisedPasswordsFile: pwnedFile(dir, [BREACHED, 'hunter2hunter2']) });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the breached-password file is searched by offsets: every listed hash is found, others are not', async () => {
    const local = mkdtempSync(join(tmpdir(), 'tobira-pwned-'));
    try {
      const listed = Array.from({ length: 300 }, (_, i) => `listed-${i}`);
      const file = pwnedFile(local, listed, 5000);
      for (const p of listed) assert.equal(await inPwnedFile(file, p), true, p);
      for (let i = 0; i < 300; i++) assert.equal(await inPwnedFile(file, `absent-${i}`), false);
      writeFileSync(join(local, 'empty.txt'), '');
      assert.equal(await inPwnedFile(join(local, 'empty.txt'), 'x'), false);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });

  test('a pool without threat protection refuses AdminListUserAuthEvents', async () => {
    const { poolId } = await withMode('OFF');
    await userWithPassword(t.url, poolId, 'off-user', GOOD);
    const err = await sdkError(events(poolId, 'off-user'));
    assert.equal(err.name, 'UserPoolAddOnNotEnabledException');
  });

  test('AUDIT records every sign-in, newest first, with its challenge, address and device, in pages', async () => {
    const { poolId, clientId } = await withMode('AUDIT');
    await userWithPassword(t.url, poolId, 'ana', GOOD);
    const signIn = (password: string) =>
      sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ana', PASSWORD: password } }));
    await signIn(GOOD);
    assert.equal((await sdkError(signIn('wrong-password'))).name, 'NotAuthorizedException');
    await signIn(GOOD);

    const all = await events(poolId, 'ana');
    assert.equal(all.AuthEvents?.length, 3);
    assert.deepEqual(
      all.AuthEvents!.map((e) => e.EventResponse),
      ['Pass', 'Fail', 'Pass'],
    );
    const [newest, failed] = all.AuthEvents!;
    assert.equal(newest.EventType, 'SignIn');
    assert.deepEqual(newest.ChallengeResponses, [{ ChallengeName: 'Password', ChallengeResponse: 'Success' }]);
    assert.deepEqual(failed.ChallengeResponses, [{ ChallengeName: 'Password', ChallengeResponse: 'Failure' }]);
    assert.equal(newest.EventRisk?.RiskDecision, 'NoRisk');
    assert.equal(newest.EventRisk?.CompromisedCredentialsDetected, false);
    assert.match(newest.EventContextData?.IpAddress ?? '', /127\.0\.0\.1/);
    assert.ok(newest.EventContextData?.DeviceName, 'a device name from the User-Agent');
    assert.ok(newest.CreationDate instanceof Date);
    assert.ok(newest.CreationDate! >= all.AuthEvents![2].CreationDate!);

    // Pages of one: the same three, in the same order.
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await events(poolId, 'ana', { MaxResults: 1, NextToken: next });
      assert.ok((page.AuthEvents?.length ?? 0) <= 1);
      seen.push(...page.AuthEvents!.map((e) => e.EventId!));
      next = page.NextToken;
    } while (next);
    assert.deepEqual(seen, all.AuthEvents!.map((e) => e.EventId));
    assert.equal((await sdkError(events(poolId, 'ana', { NextToken: 'garbage' }))).name, 'InvalidParameterException');
    assert.equal((await sdkError(events(poolId, 'nobody'))).name, 'UserNotFoundException');
  });

  test('an SRP sign-in by amazon-cognito-identity-js is one event: in progress after SRP_A, passed after the proof', async () => {
    const { poolId, clientId } = await withMode('AUDIT');
    await userWithPassword(t.url, poolId, 'sam', GOOD);
    const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url, Storage: memoryStorage() });
    const user = new CognitoUser({ Username: 'sam', Pool: pool, Storage: memoryStorage() });
    await new Promise((resolve, reject) =>
      user.authenticateUser(new AuthenticationDetails({ Username: 'sam', Password: GOOD }), { onSuccess: resolve, onFailure: reject }),
    );
    const wrong = new CognitoUser({ Username: 'sam', Pool: pool, Storage: memoryStorage() });
    const refused = await new Promise<Error>((resolve, reject) =>
      wrong.authenticateUser(new AuthenticationDetails({ Username: 'sam', Password: 'Wrong#Pass1' }), { onSuccess: () => reject(new Error('signed in')), onFailure: resolve }),
    );
    assert.equal((refused as { code?: string }).code ?? refused.name, 'NotAuthorizedException');
    const list = (await events(poolId, 'sam')).AuthEvents!;
    assert.deepEqual(
      list.map((e) => [e.EventResponse, e.ChallengeResponses]),
      [
        ['Fail', [{ ChallengeName: 'Password', ChallengeResponse: 'Failure' }]],
        ['Pass', [{ ChallengeName: 'Password', ChallengeResponse: 'Success' }]],
      ],
    );
  });

  test('UserContextData: its IpAddress counts only for a client that propagates it; EncodedData names the device', async () => {
    const plain = await withMode('AUDIT');
    const propagating = await sdk().send(
      new CreateUserPoolClientCommand({
        UserPoolId: plain.poolId,
        ClientName: 'server',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        EnablePropagateAdditionalUserContextData: true,
      }),
    );
    await userWithPassword(t.url, plain.poolId, 'uma', GOOD);
    const fingerprint = Buffer.from(
      JSON.stringify({ payload: JSON.stringify({ contextData: { UserAgent: FIREFOX, DeviceId: 'device-1', ClientTimezone: '+09:00' } }), signature: 'x', version: 'JS20171115' }),
    ).toString('base64');
    const signIn = (clientId: string) =>
      sdk().send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: 'uma', PASSWORD: GOOD },
          UserContextData: { IpAddress: '192.0.2.44', EncodedData: fingerprint },
        }),
      );
    await signIn(plain.clientId);
    await signIn(propagating.UserPoolClient!.ClientId!);
    const [trusted, ignored] = (await events(plain.poolId, 'uma')).AuthEvents!;
    assert.equal(trusted.EventContextData?.IpAddress, '192.0.2.44');
    assert.match(ignored.EventContextData?.IpAddress ?? '', /127\.0\.0\.1/);
    assert.equal(trusted.EventContextData?.DeviceName, 'Firefox 115, Linux');
    assert.equal(trusted.EventContextData?.Timezone, '+09:00');
  });

  test('AUDIT records a blocked address as a risk but lets the sign-in through; ENFORCED refuses it (IPv4 and IPv6)', async () => {
    const audit = await withMode('AUDIT');
    await userWithPassword(t.url, audit.poolId, 'bob', GOOD);
    await sdk().send(new SetRiskConfigurationCommand({ UserPoolId: audit.poolId, RiskExceptionConfiguration: { BlockedIPRangeList: ['127.0.0.0/8', '2001:db8::/32'] } }));
    const passed = await adminSignIn(audit.poolId, audit.clientId, 'bob', GOOD);
    assert.ok(passed.AuthenticationResult?.AccessToken);
    const [event] = (await events(audit.poolId, 'bob')).AuthEvents!;
    assert.equal(event.EventResponse, 'Pass');
    assert.equal(event.EventRisk?.RiskDecision, 'Block');

    // Blocked attempts are counted in /metrics.
    const blocked = async () =>
      Number(/^tobira_auth_events_total\{type="SignIn",response="Fail",decision="Block"\} (\d+)$/m.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? 0);
    const blockedBefore = await blocked();
    const enforced = await withMode('ENFORCED');
    await userWithPassword(t.url, enforced.poolId, 'bob', GOOD);
    await sdk().send(new SetRiskConfigurationCommand({ UserPoolId: enforced.poolId, RiskExceptionConfiguration: { BlockedIPRangeList: ['2001:db8::/32', '192.0.2.0/24'] } }));
    const v6 = await sdkError(adminSignIn(enforced.poolId, enforced.clientId, 'bob', GOOD, { ip: '2001:db8::5', ua: CHROME }));
    assert.deepEqual(v6, { name: 'NotAuthorizedException', message: 'Request not allowed due to security reasons.' });
    const v4 = await sdkError(adminSignIn(enforced.poolId, enforced.clientId, 'bob', GOOD, { ip: '192.0.2.77', ua: CHROME }));
    assert.equal(v4.message, 'Request not allowed due to security reasons.');
    // Another address signs in.
    assert.ok((await adminSignIn(enforced.poolId, enforced.clientId, 'bob', GOOD, { ip: '198.51.100.1', ua: CHROME })).AuthenticationResult);
    const list = (await events(enforced.poolId, 'bob')).AuthEvents!;
    assert.deepEqual(
      list.map((e) => [e.EventResponse, e.EventRisk?.RiskDecision, e.EventContextData?.IpAddress]),
      [
        ['Pass', 'NoRisk', '198.51.100.1'],
        ['Fail', 'Block', '192.0.2.77'],
        ['Fail', 'Block', '2001:db8::5'],
      ],
    );
    assert.equal((await blocked()) - blockedBefore, 2);
    // A range that is not CIDR is refused.
    const bad = await sdkError(sdk().send(new SetRiskConfigurationCommand({ UserPoolId: enforced.poolId, RiskExceptionConfiguration: { BlockedIPRangeList: ['10.0.0.0/33'] } })));
    assert.equal(bad.name, 'InvalidParameterException');
  });

  test('ENFORCED with BLOCK refuses a compromised password at sign-in, sign-up and password change; AUDIT only records it', async () => {
    const audit = await withMode('AUDIT');
    await userWithPassword(t.url, audit.poolId, 'carol', BREACHED);
    await sdk().send(
      new SetRiskConfigurationCommand({ UserPoolId: audit.poolId, CompromisedCredentialsRiskConfiguration: { Actions: { EventAction: 'BLOCK' } } }),
    );
    assert.ok((await adminSignIn(audit.poolId, audit.clientId, 'carol', BREACHED)).AuthenticationResult);
    assert.equal((await events(audit.poolId, 'carol')).AuthEvents![0].EventRisk?.CompromisedCredentialsDetected, true);

    const enforced = await withMode('ENFORCED');
    await userWithPassword(t.url, enforced.poolId, 'carol', BREACHED);
    await userWithPassword(t.url, enforced.poolId, 'dave', GOOD);
    await sdk().send(
      new SetRiskConfigurationCommand({
        UserPoolId: enforced.poolId,
        CompromisedCredentialsRiskConfiguration: { EventFilter: ['SIGN_IN', 'SIGN_UP', 'PASSWORD_CHANGE'], Actions: { EventAction: 'BLOCK' } },
      }),
    );
    const refused = await sdkError(adminSignIn(enforced.poolId, enforced.clientId, 'carol', BREACHED));
    assert.equal(refused.name, 'PasswordResetRequiredException');
    const carol = await sdk().send(new AdminGetUserCommand({ UserPoolId: enforced.poolId, Username: 'carol' }));
    assert.equal(carol.UserStatus, 'RESET_REQUIRED');
    const [event] = (await events(enforced.poolId, 'carol')).AuthEvents!;
    assert.equal(event.EventResponse, 'Fail');
    assert.equal(event.EventRisk?.CompromisedCredentialsDetected, true);
    assert.deepEqual(event.ChallengeResponses, [{ ChallengeName: 'Password', ChallengeResponse: 'Success' }]);

    const signUp = await sdkError(sdk().send(new SignUpCommand({ ClientId: enforced.clientId, Username: 'erin', Password: BREACHED })));
    assert.equal(signUp.name, 'InvalidPasswordException');
    const tokens = (await adminSignIn(enforced.poolId, enforced.clientId, 'dave', GOOD)).AuthenticationResult!;
    const change = await sdkError(sdk().send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken, PreviousPassword: GOOD, ProposedPassword: BREACHED })));
    assert.equal(change.name, 'InvalidPasswordException');
    await sdk().send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken, PreviousPassword: GOOD, ProposedPassword: 'Another#Good2' }));
    const types = (await events(enforced.poolId, 'dave')).AuthEvents!.map((e) => [e.EventType, e.EventResponse]);
    assert.deepEqual(types, [
      ['PasswordChange', 'Pass'],
      ['SignIn', 'Pass'],
    ]);
  });

  test('ENFORCED MFA_REQUIRED at high risk asks for an email code, notifies the user, and takes feedback both ways', async () => {
    const { poolId, clientId } = await withMode('ENFORCED');
    await sdk().send(
      new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', EmailMfaConfiguration: { Subject: 'Sign-in code', Message: 'Your code is {####}' } }),
    );
    const email = 'frank@example.com';
    await userWithPassword(t.url, poolId, 'frank', GOOD, { attributes: { email, email_verified: 'true' } });
    const high = { EventAction: 'MFA_REQUIRED' as const, Notify: true };
    await sdk().send(
      new SetRiskConfigurationCommand({
        UserPoolId: poolId,
        AccountTakeoverRiskConfiguration: {
          NotifyConfiguration: { SourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/example.com', From: 'security@example.com' },
          Actions: { LowAction: { EventAction: 'NO_ACTION', Notify: false }, MediumAction: { EventAction: 'NO_ACTION', Notify: false }, HighAction: high },
        },
      }),
    );
    // The first sign-in sets what is known; a user without a factor signs in without MFA.
    const home = { ip: '198.51.100.10', ua: CHROME };
    assert.ok((await adminSignIn(poolId, clientId, 'frank', GOOD, home)).AuthenticationResult);
    // A burst of failures, then a new address and a new browser: three signals, High.
    for (let i = 0; i < 3; i++) await sdkError(adminSignIn(poolId, clientId, 'frank', 'not-the-password', home));
    const away = { ip: '203.0.113.9', ua: FIREFOX };
    const challenged = await adminSignIn(poolId, clientId, 'frank', GOOD, away);
    assert.equal(challenged.ChallengeName, 'EMAIL_OTP');
    const [inProgress] = (await events(poolId, 'frank')).AuthEvents!;
    assert.equal(inProgress.EventResponse, 'InProgress');
    assert.deepEqual(inProgress.EventRisk, { RiskDecision: 'AccountTakeover', RiskLevel: 'High', CompromisedCredentialsDetected: false });
    assert.equal(inProgress.EventContextData?.IpAddress, '203.0.113.9');
    assert.equal(inProgress.EventContextData?.DeviceName, 'Firefox 115, Linux');

    const messages = await outboxMessages(t.url, { to: email });
    const code = messages.filter((m) => m.kind === 'mfa').at(-1)?.code;
    const notice = messages.find((m) => m.kind === 'risk-notification');
    assert.ok(code && notice, 'an MFA code and a notification were sent');
    assert.match(notice.body, /Firefox 115, Linux/);
    const link = new URL(/(http:\/\/\S+feedback_value=Invalid)/.exec(notice.body)![1]);
    const done = await sdk().send(
      new AdminRespondToAuthChallengeCommand({
        UserPoolId: poolId,
        ClientId: clientId,
        ChallengeName: 'EMAIL_OTP',
        Session: challenged.Session,
        ChallengeResponses: { USERNAME: 'frank', EMAIL_OTP_CODE: code },
      }),
    );
    assert.ok(done.AuthenticationResult?.AccessToken);
    const [passed] = (await events(poolId, 'frank')).AuthEvents!;
    assert.equal(passed.EventId, inProgress.EventId, 'the answer updates the sign-in’s event');
    assert.equal(passed.EventResponse, 'Pass');
    assert.deepEqual(passed.ChallengeResponses, [
      { ChallengeName: 'Password', ChallengeResponse: 'Success' },
      { ChallengeName: 'Mfa', ChallengeResponse: 'Success' },
    ]);

    // The email's token: UpdateAuthEventFeedback (a wrong token is refused).
    const token = link.searchParams.get('feedback_token')!;
    assert.equal(link.searchParams.get('event_id'), passed.EventId);
    const wrong = await sdkError(
      sdk().send(new UpdateAuthEventFeedbackCommand({ UserPoolId: poolId, Username: 'frank', EventId: passed.EventId, FeedbackToken: `${token}x`, FeedbackValue: 'Invalid' })),
    );
    assert.equal(wrong.name, 'NotAuthorizedException');
    await sdk().send(new UpdateAuthEventFeedbackCommand({ UserPoolId: poolId, Username: 'frank', EventId: passed.EventId, FeedbackToken: token, FeedbackValue: 'Invalid' }));
    // The one-click link does the same.
    const page = await fetch(link);
    assert.equal(page.status, 200);
    await page.text();
    const home2 = (await events(poolId, 'frank')).AuthEvents!.find((e) => e.EventId === passed.EventId)!;
    assert.equal(home2.EventFeedback?.FeedbackValue, 'Invalid');
    assert.equal(home2.EventFeedback?.Provider, 'User');
    assert.ok(home2.EventFeedback?.FeedbackDate instanceof Date);

    // An administrator's feedback on the first sign-in.
    const first = (await events(poolId, 'frank')).AuthEvents!.at(-1)!;
    await sdk().send(new AdminUpdateAuthEventFeedbackCommand({ UserPoolId: poolId, Username: 'frank', EventId: first.EventId, FeedbackValue: 'Valid' }));
    const after = (await events(poolId, 'frank')).AuthEvents!.at(-1)!;
    assert.deepEqual([after.EventFeedback?.FeedbackValue, after.EventFeedback?.Provider], ['Valid', 'Admin']);
    const unknown = await sdkError(sdk().send(new AdminUpdateAuthEventFeedbackCommand({ UserPoolId: poolId, Username: 'frank', EventId: 'no-such-event', FeedbackValue: 'Valid' })));
    assert.equal(unknown.name, 'ResourceNotFoundException');
  });

  test('MFA_REQUIRED blocks a risky sign-in of a user who cannot get a code; BLOCK blocks', async () => {
    const { poolId, clientId } = await withMode('ENFORCED');
    await userWithPassword(t.url, poolId, 'gina', GOOD);
    const actions = (a: 'MFA_REQUIRED' | 'BLOCK') => ({ EventAction: a, Notify: false });
    const configure = (a: 'MFA_REQUIRED' | 'BLOCK') =>
      sdk().send(
        new SetRiskConfigurationCommand({
          UserPoolId: poolId,
          ClientId: clientId,
          AccountTakeoverRiskConfiguration: { Actions: { LowAction: actions(a), MediumAction: actions(a), HighAction: actions(a) } },
        }),
      );
    await configure('MFA_REQUIRED');
    assert.ok((await adminSignIn(poolId, clientId, 'gina', GOOD, { ip: '198.51.100.20', ua: CHROME })).AuthenticationResult);
    const blocked = await sdkError(adminSignIn(poolId, clientId, 'gina', GOOD, { ip: '203.0.113.20', ua: CHROME }));
    assert.deepEqual(blocked, { name: 'NotAuthorizedException', message: 'Unable to login because of security reasons.' });
    await configure('BLOCK');
    assert.equal((await sdkError(adminSignIn(poolId, clientId, 'gina', GOOD, { ip: '203.0.113.21', ua: CHROME }))).message, 'Unable to login because of security reasons.');
    // The known address and device still sign in.
    assert.ok((await adminSignIn(poolId, clientId, 'gina', GOOD, { ip: '198.51.100.20', ua: CHROME })).AuthenticationResult);
    // The client's configuration is described as the client's; the pool has none of its own.
    const described = await sdk().send(new DescribeRiskConfigurationCommand({ UserPoolId: poolId, ClientId: clientId }));
    assert.equal(described.RiskConfiguration?.ClientId, clientId);
    assert.equal(described.RiskConfiguration?.AccountTakeoverRiskConfiguration?.Actions?.HighAction?.EventAction, 'BLOCK');
    const pool = await sdk().send(new DescribeRiskConfigurationCommand({ UserPoolId: poolId }));
    assert.equal(pool.RiskConfiguration?.AccountTakeoverRiskConfiguration, undefined);
  });

  test('the hosted UI login page is recorded and refused like the API', async () => {
    const hp = await hostedPool(t.url);
    await sdk().send(new UpdateUserPoolCommand({ UserPoolId: hp.poolId, AutoVerifiedAttributes: ['email'], UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } }));
    const authorize = `${hp.base}/oauth2/authorize?${new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid' })}`;
    await sdk().send(new SetRiskConfigurationCommand({ UserPoolId: hp.poolId, RiskExceptionConfiguration: { BlockedIPRangeList: ['127.0.0.0/8', '::1/128'] } }));
    const browser = new Browser();
    const loginUrl = new URL((await browser.get(authorize)).headers.get('location')!, authorize);
    const form = await browser.get(loginUrl.href);
    const refused = await browser.post(loginUrl.href, { _csrf: csrfOf(await form.text())!, username: 'alice', password: PASSWORD });
    assert.match(await refused.text(), /Request not allowed due to security reasons\./);
    await sdk().send(new SetRiskConfigurationCommand({ UserPoolId: hp.poolId }));
    const back = await signInThrough(new Browser(), authorize);
    assert.ok(back.searchParams.get('code'), 'signed in');
    const list = (await events(hp.poolId, 'alice')).AuthEvents!;
    assert.deepEqual(
      list.map((e) => [e.EventResponse, e.EventRisk?.RiskDecision, e.ChallengeResponses?.[0]?.ChallengeResponse]),
      [
        ['Pass', 'NoRisk', 'Success'],
        ['Fail', 'Block', undefined],
      ],
    );
  });

  test('turning threat protection on with UpdateUserPool starts recording', async () => {
    const { poolId, clientId } = await withMode('OFF');
    await userWithPassword(t.url, poolId, 'hal', GOOD);
    await adminSignIn(poolId, clientId, 'hal', GOOD);
    await sdk().send(new UpdateUserPoolCommand({ UserPoolId: poolId, UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' } }));
    assert.deepEqual((await events(poolId, 'hal')).AuthEvents, []);
    await adminSignIn(poolId, clientId, 'hal', GOOD);
    assert.equal((await events(poolId, 'hal')).AuthEvents?.length, 1);
  });

  test('the AWS CLI sets and describes risk configurations', needs('aws'), async () => {
    const { poolId, clientId } = await withMode('AUDIT');
    const set = await aws(t.url, [
      'cognito-idp',
      'set-risk-configuration',
      '--user-pool-id',
      poolId,
      '--risk-exception-configuration',
      'BlockedIPRangeList=10.0.0.0/8,SkippedIPRangeList=192.168.0.0/16',
      '--compromised-credentials-risk-configuration',
      'EventFilter=SIGN_IN,Actions={EventAction=BLOCK}',
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.json.RiskConfiguration.UserPoolId, poolId);
    const described = await aws(t.url, ['cognito-idp', 'describe-risk-configuration', '--user-pool-id', poolId]);
    assert.equal(described.code, 0, described.stderr);
    assert.deepEqual(described.json.RiskConfiguration.RiskExceptionConfiguration, { BlockedIPRangeList: ['10.0.0.0/8'], SkippedIPRangeList: ['192.168.0.0/16'] });
    assert.deepEqual(described.json.RiskConfiguration.CompromisedCredentialsRiskConfiguration, { EventFilter: ['SIGN_IN'], Actions: { EventAction: 'BLOCK' } });
    // A client without its own configuration is described with the pool's.
    const forClient = await aws(t.url, ['cognito-idp', 'describe-risk-configuration', '--user-pool-id', poolId, '--client-id', clientId]);
    assert.equal(forClient.code, 0, forClient.stderr);
    assert.deepEqual(forClient.json.RiskConfiguration.RiskExceptionConfiguration.BlockedIPRangeList, ['10.0.0.0/8']);
    const events = await aws(t.url, ['cognito-idp', 'admin-list-user-auth-events', '--user-pool-id', poolId, '--username', 'nobody']);
    assert.notEqual(events.code, 0);
    assert.match(events.stderr, /UserNotFoundException/);
    // The CLI pages through a user's events itself (NextToken), newest first.
    await userWithPassword(t.url, poolId, 'ike', GOOD);
    for (let i = 0; i < 3; i++) await adminSignIn(poolId, clientId, 'ike', GOOD);
    const listed = await aws(t.url, ['cognito-idp', 'admin-list-user-auth-events', '--user-pool-id', poolId, '--username', 'ike', '--page-size', '1']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.json.AuthEvents.length, 3);
    assert.deepEqual(listed.json.AuthEvents.map((e: any) => e.EventResponse), ['Pass', 'Pass', 'Pass']);
    assert.ok(listed.json.AuthEvents[0].CreationDate >= listed.json.AuthEvents[2].CreationDate);
  });

  test('events older than the retention are swept', async () => {
    const { poolId, clientId } = await withMode('AUDIT');
    await userWithPassword(t.url, poolId, 'old', GOOD);
    await adminSignIn(poolId, clientId, 'old', GOOD);
    const kept = await sweepExpired({ store: t.app.store, clock: t.app.clock, config: { authEventRetentionDays: 1 } });
    assert.equal(kept.authEvents, 0);
    assert.equal((await events(poolId, 'old')).AuthEvents?.length, 1);
    const later = { now: () => t.app.clock.now() + 2 * 24 * 60 * 60 * 1000 };
    const swept = await sweepExpired({ store: t.app.store, clock: later, config: { authEventRetentionDays: 1 } });
    assert.ok((swept.authEvents ?? 0) >= 1);
    assert.deepEqual((await events(poolId, 'old')).AuthEvents, []);
  });
});
