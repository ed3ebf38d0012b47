import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  SignUpCommand,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { outboxMessages } from './helpers/outbox.ts';
import { BIN, freePort, spawnTobira, waitForHealth } from './helpers/process.ts';
import type { Running } from '../src/tobira.ts';
import { renderAuthentication, renderInvitation, renderVerification } from '../src/domain/messages/index.ts';
import type { UserPool } from '../src/domain/types.ts';

async function makePool(idp: CognitoIdentityProviderClient, pool: Partial<CreateUserPoolCommandInput> = {}) {
  const p = await idp.send(new CreateUserPoolCommand({ PoolName: 'messages', AutoVerifiedAttributes: ['email'], ...pool }));
  const poolId = p.UserPool!.Id!;
  const c = await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app' }));
  return { poolId, clientId: c.UserPoolClient!.ClientId! };
}

const signUp = (idp: CognitoIdentityProviderClient, clientId: string, username: string, attrs: Record<string, string>) =>
  idp.send(
    new SignUpCommand({
      ClientId: clientId,
      Username: username,
      Password: 'SecurePass123!',
      UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
    }),
  );

/** A pino logger whose lines land in an array. */
function captureLog() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'info', base: undefined }, stream), lines };
}

const pool = (config: UserPool['config']): UserPool => ({ id: 'us-east-1_x', region: 'us-east-1', name: 'p', config, createdAt: 0, updatedAt: 0 });

describe('templates', () => {
  test("Cognito's default texts, and the pool's own with {####} and {username}", () => {
    assert.deepEqual(renderVerification(pool({}), { channel: 'EMAIL', code: '123456' }), {
      subject: 'Your verification code',
      body: 'Your verification code is 123456. ',
    });
    assert.deepEqual(renderVerification(pool({}), { channel: 'SMS', code: '123456' }), { body: 'Your verification code is 123456. ' });
    const custom = pool({
      VerificationMessageTemplate: { EmailSubject: 'Hi', EmailMessage: 'Code {####} for you', SmsMessage: 'SMS {####}' },
      AdminCreateUserConfig: { InviteMessageTemplate: { EmailSubject: 'Join', EmailMessage: 'User {username} pass {####}', SMSMessage: '{username}/{####}' } },
    });
    assert.deepEqual(renderVerification(custom, { channel: 'EMAIL', code: '000042' }), { subject: 'Hi', body: 'Code 000042 for you' });
    assert.deepEqual(renderVerification(custom, { channel: 'SMS', code: '000042' }), { body: 'SMS 000042' });
    assert.deepEqual(renderInvitation(custom, { channel: 'EMAIL', username: 'ann', tempPassword: 'Tmp!1234' }), { subject: 'Join', body: 'User ann pass Tmp!1234' });
    assert.deepEqual(renderInvitation(custom, { channel: 'SMS', username: 'ann', tempPassword: 'Tmp!1234' }), { body: 'ann/Tmp!1234' });
    assert.deepEqual(renderInvitation(pool({}), { channel: 'EMAIL', username: 'ann', tempPassword: 'T' }), {
      subject: 'Your temporary password',
      body: 'Your username is ann and temporary password is T.',
    });
    // LINK style only where a link is given (sign-up); otherwise the code template.
    const link = pool({ VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_LINK' } });
    const withLink = renderVerification(link, { channel: 'EMAIL', code: '1', link: 'http://h/confirmUser?a=1&b=2' });
    assert.equal(withLink.subject, 'Your verification link');
    assert.match(withLink.body, /<a href="http:\/\/h\/confirmUser\?a=1&amp;b=2">Verify Email<\/a>/);
    assert.equal(renderVerification(link, { channel: 'EMAIL', code: '777777' }).body, 'Your verification code is 777777. ');
    assert.deepEqual(renderAuthentication(pool({}), '424242'), { body: 'Your authentication code is 424242. ' });
    assert.deepEqual(renderAuthentication(pool({ SmsAuthenticationMessage: 'MFA {####}' }), '424242'), { body: 'MFA 424242' });
  });
});

describe('the outbox', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  const captured = captureLog();
  before(async () => {
    t = await startTestServer({ adminToken: 'op-secret' }, { log: captured.log });
    idp = idpClient(t.url);
  });
  after(() => t.close());

  test('GET /_tobira/outbox lists messages, filtered by pool and address, newest last', async () => {
    const a = await makePool(idp);
    const b = await makePool(idp);
    await signUp(idp, a.clientId, 'u1', { email: 'one@example.com' });
    await signUp(idp, a.clientId, 'u2', { email: 'Two@Example.com' });
    await signUp(idp, b.clientId, 'u3', { email: 'one@example.com' });
    const all = await outboxMessages(t.url);
    assert.ok(all.length >= 3);
    assert.ok(all.every((m, i) => i === 0 || m.seq > all[i - 1].seq));
    assert.deepEqual((await outboxMessages(t.url, { pool: a.poolId })).map((m) => m.username), ['u1', 'u2']);
    assert.deepEqual((await outboxMessages(t.url, { to: 'ONE@example.com' })).map((m) => m.username), ['u1', 'u3']);
    const m = (await outboxMessages(t.url, { to: 'two@example.com' }))[0];
    assert.equal(m.destination, 'Two@Example.com');
    assert.match(m.code, /^\d{6}$/);
    assert.match(m.createdAt, /^\d{4}-\d\d-\d\dT/);
    const after = await (await fetch(`${t.url}/_tobira/outbox?after=${all.at(-2).seq}`)).json();
    assert.deepEqual(after.messages.map((x: any) => x.seq), [all.at(-1).seq]);
  });

  test('numbers messages in order without reading MAX(seq), even when the clock stands still, and trims the oldest', async () => {
    const repo = t.app.store.outbox;
    const base = { poolId: 'trim-pool', channel: 'EMAIL' as const, destination: 'trim@example.com', subject: null, body: 'b', data: {}, createdAt: 0 };
    const a = await repo.append({ ...base, id: 'trim-a' });
    const b = await repo.append({ ...base, id: 'trim-b' });
    assert.ok(b.seq > a.seq);
    // Concurrent appends at one instant get distinct, increasing numbers.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => repo.append({ ...base, id: `trim-${i}`, createdAt: 5 })));
    assert.equal(new Set(many.map((m) => m.seq)).size, 20);
    assert.deepEqual((await repo.list({ poolId: 'trim-pool', limit: 1000 })).map((m) => m.id), ['trim-a', 'trim-b', ...many.map((m) => m.id)]);
    assert.ok((await repo.trimBefore(a.seq)) >= 1);
    assert.equal((await repo.list({ poolId: 'trim-pool' }))[0].id, 'trim-b');
    const total = (await repo.list({ limit: 1000 })).length;
    assert.equal(await repo.keepNewest(3), total - 3);
    assert.deepEqual((await repo.list({ poolId: 'trim-pool' })).map((m) => m.id), ['trim-17', 'trim-18', 'trim-19']);
    assert.equal(await repo.keepNewest(10), 0);
  });

  test('refused (403) to a relayed caller unless it carries the admin token', async () => {
    const relayed = await fetch(`${t.url}/_tobira/outbox`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(relayed.status, 403);
    assert.deepEqual(await relayed.json(), { message: 'Forbidden' });
    const wrong = await fetch(`${t.url}/_tobira/outbox`, { headers: { 'x-forwarded-for': '203.0.113.7', authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 403);
    const ok = await fetch(`${t.url}/_tobira/outbox`, { headers: { 'x-forwarded-for': '203.0.113.7', authorization: 'Bearer op-secret' } });
    assert.equal(ok.status, 200);
    const del = await fetch(`${t.url}/_tobira/outbox`, { method: 'DELETE', headers: { forwarded: 'for=203.0.113.7' } });
    assert.equal(del.status, 403);
  });

  test('one log line per message, never with its code, even in development mode (the outbox has it)', async () => {
    const { clientId } = await makePool(idp);
    const before = captured.lines.length;
    await signUp(idp, clientId, 'logged', { email: 'logged@example.com' });
    const [code] = (await outboxMessages(t.url, { to: 'logged@example.com' })).map((m) => m.code);
    assert.match(code, /^\d{6}$/);
    const lines = captured.lines.slice(before).filter((l) => l.to === 'logged@example.com');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].kind, 'sign-up');
    assert.ok(!JSON.stringify(lines).includes(code), 'the code is not in the log');
    assert.match(lines[0].msg, /its code: tobira outbox/);
  });

  test("AdminCreateUser's invitation goes through the messenger with the temporary password", async () => {
    const { poolId } = await makePool(idp);
    await idp.send(
      new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'invited', TemporaryPassword: 'Temp!Pass123', UserAttributes: [{ Name: 'email', Value: 'invited@example.com' }] }),
    );
    const [m] = await outboxMessages(t.url, { to: 'invited@example.com' });
    assert.equal(m.kind, 'invitation');
    assert.equal(m.subject, 'Your temporary password');
    assert.equal(m.body, 'Your username is invited and temporary password is Temp!Pass123.');
    assert.equal(m.code, 'Temp!Pass123');
    // Logged as one line, but never with the temporary password, even in development mode.
    const lines = captured.lines.filter((l) => l.to === 'invited@example.com');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].kind, 'invitation');
    assert.ok(!JSON.stringify(lines).includes('Temp!Pass123'));
  });
});

describe('outside development mode', () => {
  test('the log line carries no code; with no real target the message still lands in the outbox', async () => {
    const captured = captureLog();
    const t = await startTestServer({ devMode: false }, { log: captured.log });
    try {
      const idp = idpClient(t.url);
      const { clientId } = await makePool(idp);
      await signUp(idp, clientId, 'prod', { email: 'prod@example.com' });
      const lines = captured.lines.filter((l) => l.to === 'prod@example.com');
      assert.equal(lines.length, 1);
      assert.equal(lines[0].code, undefined);
      const [m] = await outboxMessages(t.url, { to: 'prod@example.com' });
      assert.ok(!JSON.stringify(lines).includes(/\d{6}/.exec(m.body)![0]));
    } finally {
      await t.close();
    }
  });
});

describe('SMS through a webhook', () => {
  let hook: ReturnType<typeof createServer>;
  let hookUrl: string;
  const received: any[] = [];
  let failNext = false;
  before(async () => {
    hook = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      if (failNext) {
        res.writeHead(502).end('down');
        return;
      }
      received.push({ contentType: req.headers['content-type'], ...JSON.parse(body) });
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/sms`;
  });
  after(() => new Promise<void>((r) => hook.close(() => r())));

  test('the webhook receives {destination, body}; a refusal is CodeDeliveryFailureException and the user is kept', async () => {
    const t = await startTestServer({ smsWebhookUrl: hookUrl });
    try {
      const idp = idpClient(t.url);
      const { poolId, clientId } = await makePool(idp, { AutoVerifiedAttributes: ['phone_number'] });
      await signUp(idp, clientId, 'sam', { phone_number: '+15550002222' });
      assert.equal(received.length, 1);
      assert.equal(received[0].contentType, 'application/json');
      assert.equal(received[0].destination, '+15550002222');
      assert.match(received[0].body, /^Your verification code is \d{6}\. $/);
      assert.equal(received[0].kind, 'sign-up');
      const [kept] = await outboxMessages(t.url, { to: '+15550002222' });
      assert.equal(kept.delivery, 'sent');

      failNext = true;
      const err = await signUp(idp, clientId, 'sue', { phone_number: '+15550003333' }).then(
        () => assert.fail('expected a delivery failure'),
        (e: Error) => e,
      );
      assert.equal(err.name, 'CodeDeliveryFailureException');
      // Nothing committed is lost: the user exists and the message is inspectable.
      assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'sue' }))).UserStatus, 'UNCONFIRMED');
      const [failed] = await outboxMessages(t.url, { to: '+15550003333' });
      assert.equal(failed.delivery, 'failed');

      // AdminCreateUser answers the same while still creating the user (aws/aws-sdk#438).
      const invite = await idp
        .send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'tia', UserAttributes: [{ Name: 'phone_number', Value: '+15550004444' }] }))
        .then(() => assert.fail('expected a delivery failure'), (e: Error) => e);
      assert.equal(invite.name, 'CodeDeliveryFailureException');
      assert.equal(invite.message, 'Invalid phone number provided/Unable to send the SMS');
      assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'tia' }))).UserStatus, 'FORCE_CHANGE_PASSWORD');
      const [kept2] = await outboxMessages(t.url, { to: '+15550004444' });
      assert.equal(kept2.kind, 'invitation');
      assert.equal(kept2.delivery, 'failed');

      // With both mediums, a refused SMS does not keep the email from going out.
      const both = await idp
        .send(
          new AdminCreateUserCommand({
            UserPoolId: poolId,
            Username: 'uma',
            DesiredDeliveryMediums: ['SMS', 'EMAIL'],
            UserAttributes: [{ Name: 'phone_number', Value: '+15550005555' }, { Name: 'email', Value: 'uma@example.com' }],
          }),
        )
        .then(() => assert.fail('expected a delivery failure'), (e: Error) => e);
      assert.equal(both.name, 'CodeDeliveryFailureException');
      const [sms] = await outboxMessages(t.url, { to: '+15550005555' });
      assert.equal(sms.delivery, 'failed');
      const [mail] = await outboxMessages(t.url, { to: 'uma@example.com' });
      assert.equal(mail.kind, 'invitation');
      assert.notEqual(mail.delivery, 'failed');
    } finally {
      failNext = false;
      await t.close();
    }
  });
});

describe('tobira outbox (CLI)', () => {
  test('reads the store of --data-dir while the server runs, and follows a running server with --url', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tobira-outbox-'));
    const port = await freePort();
    const server = spawnTobira(['start', '--port', String(port), '--data-dir', dir], { TOBIRA_LOG_LEVEL: 'warn' });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(url);
      const idp = idpClient(url);
      const { poolId, clientId } = await makePool(idp);
      await signUp(idp, clientId, 'cli1', { email: 'cli1@example.com' });
      await signUp(idp, clientId, 'cli2', { email: 'cli2@example.com' });

      const run = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(process.execPath, [BIN, 'outbox', ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
            resolve({ code: err ? 1 : 0, stdout, stderr }),
          ),
        );
      const direct = await run(['--data-dir', dir, '--pool', poolId, '--json']);
      assert.equal(direct.code, 0, direct.stderr);
      const lines = direct.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((m) => m.destination), ['cli1@example.com', 'cli2@example.com']);

      const text = await run(['--url', url, '--to', 'cli2@example.com']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /EMAIL to cli2@example\.com \[sign-up\]/);
      assert.match(text.stdout, /Subject: Your verification code/);
      assert.doesNotMatch(text.stdout, /cli1@/);

      const follow = spawnTobira(['outbox', '--url', url, '--follow', '--to', 'cli3@example.com']);
      try {
        await new Promise((r) => setTimeout(r, 1500));
        await signUp(idp, clientId, 'cli3', { email: 'cli3@example.com' });
        const deadline = Date.now() + 10_000;
        while (!/EMAIL to cli3@example\.com/.test(follow.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.match(follow.output(), /EMAIL to cli3@example\.com/);
      } finally {
        follow.child.kill('SIGINT');
        assert.equal((await follow.exited).code, 0);
      }

      const missing = await run(['--data-dir', join(dir, 'nothing-here')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no Tobira data/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
