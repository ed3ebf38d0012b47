import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetLogDeliveryConfigurationCommand,
  InitiateAuthCommand,
  SetLogDeliveryConfigurationCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { aws, idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';

const GROUP = 'arn:aws:logs:us-east-1:123456789012:log-group:tobira-auth';
const STREAM = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/tobira-notifications';
const BUCKET = 'arn:aws:s3:::tobira-unmapped';
const GOOD = 'Correct#Horse1';

/** Waits (generously) until `read` gives something; delivery is asynchronous, as Cognito's is. */
async function eventually<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = read();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`never delivered: ${what}`);
}

const lines = (file: string): any[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('log delivery', () => {
  let t: Running;
  let dir: string;
  let hooks: Server;
  const posted: any[] = [];
  let authFile: string;
  const sdk = () => idpClient(t.url);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-logs-'));
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        // /sms refuses every SMS, so a delivery error is logged at ERROR.
        if (req.url === '/sms') {
          res.writeHead(500).end();
          return;
        }
        posted.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    authFile = join(dir, 'auth-events.jsonl');
    const configFile = join(dir, 'tobira.json');
    writeFileSync(configFile, JSON.stringify({ logDestinations: { [GROUP]: { file: 'auth-events.jsonl' }, [STREAM]: { webhook: `${hookUrl}/logs` } } }));
    t = await startTestServer({ configFile, smsWebhookUrl: `${hookUrl}/sms` });
  });
  after(async () => {
    await t.close();
    await new Promise((r) => hooks.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('userAuthEvents records land in a JSON-lines file, userNotification records at a webhook', async () => {
    const { poolId, clientId } = await poolWithClient(t.url, {
      UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' },
      AutoVerifiedAttributes: ['email'],
    });
    const set = await sdk().send(
      new SetLogDeliveryConfigurationCommand({
        UserPoolId: poolId,
        LogConfigurations: [
          { EventSource: 'userAuthEvents', LogLevel: 'INFO', CloudWatchLogsConfiguration: { LogGroupArn: GROUP } },
          { EventSource: 'userNotification', LogLevel: 'INFO', FirehoseConfiguration: { StreamArn: STREAM } },
        ],
      }),
    );
    assert.equal(set.LogDeliveryConfiguration?.LogConfigurations?.length, 2);
    const got = await sdk().send(new GetLogDeliveryConfigurationCommand({ UserPoolId: poolId }));
    assert.deepEqual(got.LogDeliveryConfiguration, set.LogDeliveryConfiguration);

    await userWithPassword(t.url, poolId, 'ivy', GOOD);
    await sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ivy', PASSWORD: GOOD } }));
    const record = await eventually(() => lines(authFile).find((r) => r.message.userName === 'ivy'), 'the sign-in record');
    assert.equal(record.eventSource, 'USER_ACTIVITY');
    assert.equal(record.logLevel, 'INFO');
    assert.match(record.eventTimestamp, /^\d{13}$/);
    assert.deepEqual(record.logSourceId, { userPoolId: poolId });
    assert.equal(record.message.eventType, 'SignIn');
    assert.equal(record.message.eventResponse, 'Pass');
    assert.equal(record.message.riskDecision, 'PASS');
    assert.equal(record.message.userPoolId, poolId);
    assert.equal(record.message.clientId, clientId);
    assert.match(record.message.ipAddress, /127\.0\.0\.1/);
    assert.deepEqual(record.message.challenges, [{ ChallengeName: 'Password', ChallengeResponse: 'Success' }]);
    assert.ok(!JSON.stringify(lines(authFile)).includes(GOOD), 'no password in any record');

    await sdk().send(new SignUpCommand({ ClientId: clientId, Username: 'jo', Password: GOOD, UserAttributes: [{ Name: 'email', Value: 'jo@example.com' }] }));
    const signUp = await eventually(() => lines(authFile).find((r) => r.message.userName === 'jo'), 'the sign-up record');
    assert.equal(signUp.message.eventType, 'SignUp');
    const note = await eventually(() => posted.find((r) => r.message.messageKind === 'sign-up'), 'the sign-up email record');
    assert.equal(note.eventSource, 'USER_NOTIFICATION');
    assert.equal(note.logLevel, 'INFO');
    assert.deepEqual(note.logSourceId, { userPoolId: poolId });
    assert.equal(note.message.deliveryMedium, 'EMAIL');
    assert.ok(note.message.details);
    assert.ok(!note.message.destination.includes('jo@example.com'), 'the address is masked');
    const outbox = (await (await fetch(new URL('/_tobira/outbox?to=jo@example.com', t.url))).json()) as { messages: { code: string }[] };
    const code = outbox.messages.at(-1)!.code;
    assert.ok(!JSON.stringify(posted).includes(code), 'no code in any record');
  });

  test('a failed SMS is logged at ERROR; an ERROR configuration drops INFO records', async () => {
    const { poolId, clientId } = await poolWithClient(t.url, {
      AutoVerifiedAttributes: ['phone_number'],
      SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::123456789012:role/sns', ExternalId: 'x' },
    });
    await sdk().send(
      new SetLogDeliveryConfigurationCommand({
        UserPoolId: poolId,
        LogConfigurations: [{ EventSource: 'userNotification', LogLevel: 'ERROR', FirehoseConfiguration: { StreamArn: STREAM } }],
      }),
    );
    const err = await sdkError(
      sdk().send(new SignUpCommand({ ClientId: clientId, Username: 'kim', Password: GOOD, UserAttributes: [{ Name: 'phone_number', Value: '+15555550100' }] })),
    );
    assert.equal(err.name, 'CodeDeliveryFailureException');
    const failed = await eventually(() => posted.find((r) => r.logSourceId.userPoolId === poolId), 'the SMS failure record');
    assert.equal(failed.logLevel, 'ERROR');
    assert.equal(failed.message.deliveryMedium, 'SMS');
    assert.match(failed.message.details, /could not be delivered/);
    assert.equal(failed.message.destination, '********0100');
    assert.equal(posted.filter((r) => r.logSourceId.userPoolId === poolId).length, 1);
  });

  test('bad configurations are refused with InvalidParameterException', async () => {
    const { poolId } = await poolWithClient(t.url);
    const two = await sdkError(
      sdk().send(
        new SetLogDeliveryConfigurationCommand({
          UserPoolId: poolId,
          LogConfigurations: [{ EventSource: 'userAuthEvents', LogLevel: 'INFO', CloudWatchLogsConfiguration: { LogGroupArn: GROUP }, S3Configuration: { BucketArn: BUCKET } }],
        }),
      ),
    );
    assert.equal(two.name, 'InvalidParameterException');
    const none = await sdkError(
      sdk().send(new SetLogDeliveryConfigurationCommand({ UserPoolId: poolId, LogConfigurations: [{ EventSource: 'userAuthEvents', LogLevel: 'INFO' }] })),
    );
    assert.equal(none.name, 'InvalidParameterException');
    const missing = await sdkError(sdk().send(new GetLogDeliveryConfigurationCommand({ UserPoolId: 'us-east-1_nothere1' })));
    assert.equal(missing.name, 'ResourceNotFoundException');
  });

  test('an ARN the config file does not map goes to log-delivery.jsonl in the data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tobira-logs-data-'));
    const s = await startTestServer({ dataDir });
    try {
      const { poolId, clientId } = await poolWithClient(s.url, { UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } });
      await idpClient(s.url).send(
        new SetLogDeliveryConfigurationCommand({
          UserPoolId: poolId,
          LogConfigurations: [{ EventSource: 'userAuthEvents', LogLevel: 'INFO', S3Configuration: { BucketArn: BUCKET } }],
        }),
      );
      await userWithPassword(s.url, poolId, 'lee', GOOD);
      await sdkError(idpClient(s.url).send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'lee', PASSWORD: 'wrong' } })));
      const file = join(dataDir, 'log-delivery.jsonl');
      const record = await eventually(() => lines(file).find((r) => r.message.userName === 'lee'), 'the unmapped record');
      assert.equal(record.message.eventResponse, 'Fail');
      assert.deepEqual(record.message.challenges, [{ ChallengeName: 'Password', ChallengeResponse: 'Failure' }]);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('the AWS CLI sets and gets the log delivery configuration', needs('aws'), async (ctx) => {
    const { poolId } = await poolWithClient(t.url);
    const set = await aws(t.url, [
      'cognito-idp',
      'set-log-delivery-configuration',
      '--user-pool-id',
      poolId,
      '--log-configurations',
      `LogLevel=ERROR,EventSource=userNotification,CloudWatchLogsConfiguration={LogGroupArn=${GROUP}}`,
    ]);
    // The commands came with AWS CLI 2.13 (September 2023); an older v2 does not know them.
    if (/Invalid choice/.test(set.stderr)) return ctx.skip('the installed AWS CLI v2 predates set-log-delivery-configuration (2.13+)');
    assert.equal(set.code, 0, set.stderr);
    const got = await aws(t.url, ['cognito-idp', 'get-log-delivery-configuration', '--user-pool-id', poolId]);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.json.LogDeliveryConfiguration, {
      UserPoolId: poolId,
      LogConfigurations: [{ LogLevel: 'ERROR', EventSource: 'userNotification', CloudWatchLogsConfiguration: { LogGroupArn: GROUP } }],
    });
  });

  test('boto3 sets and gets the log delivery configuration', needs('boto3'), async () => {
    const { poolId } = await poolWithClient(t.url);
    const script = `
import boto3, json, sys
c = boto3.client('cognito-idp', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='tobira-test-secret')
c.set_log_delivery_configuration(UserPoolId=sys.argv[2], LogConfigurations=[
    {'LogLevel': 'INFO', 'EventSource': 'userAuthEvents', 'FirehoseConfiguration': {'StreamArn': sys.argv[3]}}])
got = c.get_log_delivery_configuration(UserPoolId=sys.argv[2])['LogDeliveryConfiguration']
print(json.dumps(got))
`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, ['-c', script, t.url, poolId, STREAM], { timeout: 60_000 }, (err, o, e) => (err ? reject(new Error(e)) : resolve(o))),
    );
    assert.deepEqual(JSON.parse(out), {
      UserPoolId: poolId,
      LogConfigurations: [{ LogLevel: 'INFO', EventSource: 'userAuthEvents', FirehoseConfiguration: { StreamArn: STREAM } }],
    });
  });
});
