import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import {
  AdminGetUserCommand,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { outboxMessages } from './helpers/outbox.ts';
import { configFromArgs } from '../src/cli/main.ts';
import { parseArgs } from '../src/cli/args.ts';

interface Received {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

describe('email through a real SMTP server', () => {
  let smtp: SMTPServer;
  let port: number;
  const inbox: Received[] = [];
  before(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: false,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'tobira' && auth.password === 's3cret') cb(null, { user: auth.username });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (d: Buffer) => (raw += d.toString()));
        stream.on('end', () => {
          inbox.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            user: session.user as string | undefined,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    port = (smtp.server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => smtp.close(() => r())));

  test('the confirmation email arrives over SMTP, and the code parsed from it confirms the sign-up', async () => {
    const t = await startTestServer({
      smtp: { host: '127.0.0.1', port, secure: false, user: 'tobira', pass: 's3cret', from: 'no-reply@tobira.test' },
    });
    try {
      const idp = idpClient(t.url);
      const p = await idp.send(
        new CreateUserPoolCommand({
          PoolName: 'smtp',
          AutoVerifiedAttributes: ['email'],
          VerificationMessageTemplate: { EmailSubject: 'Welcome to Example', EmailMessage: 'Hello! Your code: {####}' },
        }),
      );
      const poolId = p.UserPool!.Id!;
      const clientId = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app' }))).UserPoolClient!.ClientId!;
      await idp.send(
        new SignUpCommand({ ClientId: clientId, Username: 'mailer', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'mailer@example.com' }] }),
      );

      assert.equal(inbox.length, 1);
      const mail = inbox[0];
      assert.equal(mail.user, 'tobira');
      assert.equal(mail.from, 'no-reply@tobira.test');
      assert.deepEqual(mail.to, ['mailer@example.com']);
      assert.match(mail.raw, /^Subject: Welcome to Example\r?$/m);
      assert.match(mail.raw, /^To: mailer@example\.com\r?$/m);
      const code = /Your code: (\d{6})/.exec(mail.raw)?.[1];
      assert.ok(code, mail.raw);

      // Development mode keeps a copy, marked as sent with the server's message id.
      const [copy] = await outboxMessages(t.url, { to: 'mailer@example.com' });
      assert.equal(copy.delivery, 'sent');
      assert.match(copy.smtpMessageId, /@/);

      await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'mailer', ConfirmationCode: code }));
      assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'mailer' }))).UserStatus, 'CONFIRMED');
    } finally {
      await t.close();
    }
  });

  test('a refused SMTP login is CodeDeliveryFailureException; the signed-up user is kept', async () => {
    const t = await startTestServer({
      smtp: { host: '127.0.0.1', port, secure: false, user: 'tobira', pass: 'wrong', from: 'no-reply@tobira.test' },
    });
    try {
      const idp = idpClient(t.url);
      const poolId = (await idp.send(new CreateUserPoolCommand({ PoolName: 'smtp-bad', AutoVerifiedAttributes: ['email'] }))).UserPool!.Id!;
      const clientId = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app' }))).UserPoolClient!.ClientId!;
      const err = await idp
        .send(new SignUpCommand({ ClientId: clientId, Username: 'lost', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'lost@example.com' }] }))
        .then(() => assert.fail('expected a delivery failure'), (e: Error) => e);
      assert.equal(err.name, 'CodeDeliveryFailureException');
      assert.equal(err.message, 'Invalid email provided/Unable to send the email');
      assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'lost' }))).UserStatus, 'UNCONFIRMED');
      assert.equal(inbox.filter((m) => m.to.includes('lost@example.com')).length, 0);
    } finally {
      await t.close();
    }
  });

  test('--smtp-url and TOBIRA_SMTP_URL configure host, port, TLS and credentials', () => {
    const c = configFromArgs(parseArgs(['--smtp-url', 'smtps://me%40x.com:p%3Ass@mail.example.com', '--smtp-from', 'auth@example.com']), {});
    assert.deepEqual(c.smtp, { host: 'mail.example.com', port: 465, secure: true, user: 'me@x.com', pass: 'p:ss', from: 'auth@example.com' });
    const e = configFromArgs(parseArgs([]), { TOBIRA_SMTP_URL: 'smtp://localhost:2525?from=a@b.c', TOBIRA_SMS_WEBHOOK_URL: 'http://127.0.0.1:1/sms' });
    assert.deepEqual(e.smtp, { host: 'localhost', port: 2525, secure: false, user: undefined, pass: undefined, from: 'a@b.c' });
    assert.equal(e.smsWebhookUrl, 'http://127.0.0.1:1/sms');
    assert.throws(() => configFromArgs(parseArgs(['--smtp-url', 'http://x']), {}), /smtp:\/\/ or smtps:\/\//);
  });
});
