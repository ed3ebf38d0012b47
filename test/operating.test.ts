import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  NotAuthorizedException,
} from '@aws-sdk/client-cognito-identity-provider';
import { startTestServer, aws } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';
import type { Running } from '../src/tobira.ts';
import { Metrics } from '../src/http/metrics.ts';

/** The series of a Prometheus text exposition, as `name{labels}` -> value. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('operating Tobira: /metrics, /ready, paths and logs', () => {
  let server: Running;
  let cognito: CognitoIdentityProviderClient;

  before(async () => {
    server = await startTestServer({ adminToken: 'operator-secret-token' });
    cognito = new CognitoIdentityProviderClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  });
  after(async () => {
    cognito.destroy();
    await server.close();
  });

  it('counts requests, sign-ins, messages and store time in /metrics', async () => {
    const { UserPool } = await cognito.send(new CreateUserPoolCommand({ PoolName: 'metrics' }));
    const { UserPoolClient } = await cognito.send(
      new CreateUserPoolClientCommand({ UserPoolId: UserPool!.Id, ClientName: 'c', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    await cognito.send(
      new AdminCreateUserCommand({ UserPoolId: UserPool!.Id, Username: 'mia', UserAttributes: [{ Name: 'email', Value: 'mia@example.com' }], DesiredDeliveryMediums: ['EMAIL'] }),
    );
    await assert.rejects(
      cognito.send(new InitiateAuthCommand({ ClientId: UserPoolClient!.ClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'mia', PASSWORD: 'Wrong-passw0rd' } })),
      NotAuthorizedException,
    );
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const m = series(await res.text());
    assert.equal(m.get('tobira_requests_total{service="cognito-idp",operation="CreateUserPool",outcome="OK"}'), 1);
    assert.equal(m.get('tobira_requests_total{service="cognito-idp",operation="InitiateAuth",outcome="NotAuthorizedException"}'), 1);
    assert.equal(m.get('tobira_sign_ins_total{flow="USER_PASSWORD_AUTH",result="NotAuthorizedException"}'), 1);
    assert.equal(m.get('tobira_messages_total{channel="EMAIL",kind="invitation",result="sent"}'), 1);
    assert.ok((m.get('tobira_request_duration_seconds_count{service="cognito-idp",operation="AdminCreateUser"}') ?? 0) >= 1);
    assert.ok((m.get('tobira_store_duration_seconds_count{kind="transaction"}') ?? 0) >= 1);
    assert.ok(m.has('tobira_process_resident_memory_bytes'));
  });

  it('keeps its counts across scrapes, and writes every kind of metric as prom-client would', async () => {
    const metrics = new Metrics();
    metrics.request('cognito-idp', 'InitiateAuth', 'OK', 0.003, { AuthFlow: 'USER_PASSWORD_AUTH' }, { AuthenticationResult: {} });
    metrics.invocation('PreSignUp_SignUp', true, 0.02);
    metrics.invocation('PreSignUp_SignUp', false, 2);
    const first = series(await (await metrics.registry()).metrics());
    assert.equal(first.get('tobira_lockouts_total'), 0, 'a counter without labels is written before its first count');
    assert.equal(first.get('tobira_requests_total{service="cognito-idp",operation="InitiateAuth",outcome="OK"}'), 1);
    assert.equal(first.get('tobira_sign_ins_total{flow="USER_PASSWORD_AUTH",result="tokens"}'), 1);
    assert.equal(first.get('tobira_request_duration_seconds_bucket{le="0.005",service="cognito-idp",operation="InitiateAuth"}'), 1);
    assert.equal(first.get('tobira_request_duration_seconds_bucket{le="0.0025",service="cognito-idp",operation="InitiateAuth"}'), 0);
    assert.equal(first.get('tobira_function_invocations_total{trigger="PreSignUp_SignUp",result="ok"}'), 1);
    assert.equal(first.get('tobira_function_invocations_total{trigger="PreSignUp_SignUp",result="failed"}'), 1);
    assert.equal(first.get('tobira_function_invocation_duration_seconds_bucket{le="0.05",trigger="PreSignUp_SignUp"}'), 1);
    assert.equal(first.get('tobira_function_invocation_duration_seconds_count{trigger="PreSignUp_SignUp"}'), 2);
    assert.ok(first.has('tobira_process_cpu_seconds_total'), 'the default metrics');
    metrics.request('cognito-idp', 'InitiateAuth', 'OK', 0.003);
    metrics.lockout();
    const second = series(await (await metrics.registry()).metrics());
    assert.equal(second.get('tobira_requests_total{service="cognito-idp",operation="InitiateAuth",outcome="OK"}'), 2, 'counted on from the first scrape');
    assert.equal(second.get('tobira_lockouts_total'), 1);
    assert.equal(await metrics.registry(), await metrics.registry(), 'one registry');
  });

  it('never makes a label of what a caller sent', async () => {
    for (const target of ['AWSCognitoIdentityProviderService.NoSuchThing1', 'Bogus.Op2']) {
      await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body: '{}' });
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.doesNotMatch(text, /NoSuchThing1|Bogus/);
    assert.match(text, /operation="unknown",outcome="UnknownOperationException"\} 2/);
  });

  it('answers /metrics to other machines only with the operator token', async () => {
    const relayed = { 'x-forwarded-for': '203.0.113.9' };
    assert.equal((await fetch(`${server.url}/metrics`, { headers: relayed })).status, 403);
    const withToken = await fetch(`${server.url}/metrics`, { headers: { ...relayed, authorization: 'Bearer operator-secret-token' } });
    assert.equal(withToken.status, 200);
  });

  it("keeps the operator endpoints from other origins: no CORS headers there, and loopback counts only under a local Host", async () => {
    for (const path of ['/_tobira/outbox', '//_tobira/outbox', '/metrics']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('access-control-allow-origin'), null, path);
    }
    // The API itself stays callable from browsers, as Cognito's is.
    const api = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.ListUserPools' }, body: '{"MaxResults":1}' });
    assert.equal(api.headers.get('access-control-allow-origin'), '*');
    // DNS rebinding: a site resolving to 127.0.0.1 arrives on loopback with its own Host.
    const { request } = await import('node:http');
    const status = (path: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(server.url);
        request({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end();
      });
    assert.equal(await status('/_tobira/outbox', 'evil.example:80'), 403);
    assert.equal(await status('/metrics', 'evil.example'), 403);
    assert.equal(await status('/_tobira/outbox', `localhost:${new URL(server.url).port}`), 200);
  });

  it('answers /ready while the store answers, and /health', async () => {
    const ready = await fetch(`${server.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  it('takes a request posted to // as one posted to /', async () => {
    const res = await fetch(`${server.url}//`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.ListUserPools' },
      body: JSON.stringify({ MaxResults: 5 }),
    });
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(((await res.json()) as { UserPools: unknown[] }).UserPools));
  });

  it('the AWS CLI v2 works with an endpoint URL ending in /', needs('aws'), async () => {
    const out = await aws(`${server.url}/`, ['cognito-idp', 'list-user-pools', '--max-results', '5']);
    assert.equal(out.code, 0, out.stderr);
    assert.ok(Array.isArray(out.json.UserPools));
  });
});

describe('the log format', () => {
  let p: Spawned | undefined;
  after(() => stopSpawned(p));

  it('prints pretty lines with --log-format pretty and JSON lines by default when not on a terminal', async () => {
    for (const [args, json] of [[['--log-format', 'pretty'], false], [[], true]] as const) {
      const port = await freePort();
      p = spawnTobira(['start', '--in-memory', '--port', String(port), ...args]);
      await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
      await stopSpawned(p);
      const line = p.output().split('\n').find((l) => l.includes('Tobira listening'));
      assert.ok(line, p.output());
      if (json) assert.equal(JSON.parse(line).msg.startsWith('Tobira listening'), true);
      else assert.ok(!line.trimStart().startsWith('{') && /INFO/.test(line), line);
    }
  });

  it('refuses a log format it does not know', async () => {
    p = spawnTobira(['start', '--in-memory', '--port', '0', '--log-format', 'xml']);
    const { code } = await p.exited;
    assert.equal(code, 1);
    assert.match(p.output(), /--log-format must be json or pretty, not xml/);
  });
});
