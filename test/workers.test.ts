import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, get } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  GetUserCommand,
  InitiateAuthCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startPostgres, type RunningPostgres } from './helpers/postgres.ts';
import { spawnTobira, stopSpawned, type Spawned } from './helpers/process.ts';

/**
 * `tobira start --workers N`: N processes on one port over one store (src/cli/workers.ts). Each
 * SDK call opens its own connection, and the shared socket hands connections to the workers in
 * turn, so consecutive calls land on different workers; which worker served a call is read from
 * its request log line, which names the worker.
 */

/** A client whose every call is a new connection (no keep-alive), so calls spread over the workers. */
const sdk = (url: string) =>
  new CognitoIdentityProviderClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'tobira-test-secret' },
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: false }) }),
  });

interface LogLine {
  msg?: string;
  worker?: number;
  pid?: number;
  operation?: string;
  workers?: number;
  url?: string;
}

/** The JSON log lines the process wrote so far. */
function logLines(p: Spawned): LogLine[] {
  return p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Polls `check` over the process's log until it returns something, or fails with the output. */
async function waitForLog<T>(p: Spawned, what: string, check: (lines: LogLine[]) => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = check(logLines(p));
    if (found !== undefined) return found;
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`exited while waiting for ${what}:\n${p.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} in:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The banner, said once every worker listens. */
const banner = (p: Spawned) => waitForLog(p, 'banner', (lines) => lines.find((l) => l.msg?.startsWith('Tobira listening on')));

/** The Tobira processes whose parent is `pid` (its workers), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) comes after the command name in parentheses, which may hold spaces.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      // Not the esbuild service tsx may start beside it.
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('tobira.cjs')) out.push(Number(entry));
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** GET /metrics on a connection of its own (so scrapes land on either worker), as the operator on this machine. */
function scrape(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${url}/metrics`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}

/** The sum of a metric's samples over all its label sets, and the samples of `name` alone (a gauge). */
const total = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

/** Which worker served the nth request log line of `operation`. */
const servedBy = (lines: LogLine[], operation: string) => lines.filter((l) => l.msg === 'request' && l.operation === operation).map((l) => l.worker);

for (const store of ['SQLite', 'PostgreSQL'] as const) {
  describe(`tobira start --workers 2 on ${store}`, () => {
    let postgres: RunningPostgres | undefined;
    let dir: string | undefined;
    let proc: Spawned;
    let url: string;

    before(async () => {
      let storeFlags: string[];
      if (store === 'PostgreSQL') {
        postgres = await startPostgres();
        storeFlags = ['--database-url', await postgres.newDatabase()];
      } else {
        dir = await mkdtemp(join(tmpdir(), 'tobira-workers-'));
        storeFlags = ['--data-dir', dir];
      }
      // Request lines are written at info; debug keeps them should that level change.
      proc = spawnTobira(['start', '--workers', '2', '--port', '0', '--log-format', 'json', '--log-level', 'debug', ...storeFlags]);
      const said = await banner(proc);
      url = said.url!;
      assert.equal(said.workers, 2);
    });
    after(async () => {
      await stopSpawned(proc);
      await postgres?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('one port, two workers; a user made through one signs in through the other', async () => {
      assert.equal(logLines(proc).filter((l) => l.msg?.startsWith('Tobira listening on')).length, 1, 'the banner is said once');
      assert.equal(childrenOf(proc.child.pid!).length, 2);
      const client = sdk(url);
      const poolId = (await client.send(new CreateUserPoolCommand({ PoolName: 'workers' }))).UserPool!.Id!;
      const clientId = (
        await client.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))
      ).UserPoolClient!.ClientId!;
      await client.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'wanda', MessageAction: 'SUPPRESS' }));
      await client.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'wanda', Password: 'Worker#Pass1', Permanent: true }));
      const creator = await waitForLog(proc, 'the AdminCreateUser line', (lines) => servedBy(lines, 'AdminCreateUser')[0]);
      assert.ok(creator === 1 || creator === 2, `AdminCreateUser served by worker ${creator}`);

      // Sign in until a sign-in lands on the other worker (the next connection or so); each must
      // succeed, and its access token be good on either worker.
      let other = false;
      const tokens: string[] = [];
      for (let i = 0; i < 10 && !other; i++) {
        const signedIn = await client.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'wanda', PASSWORD: 'Worker#Pass1' } }));
        tokens.push(signedIn.AuthenticationResult!.AccessToken!);
        other = await waitForLog(proc, `sign-in ${i + 1}'s line`, (lines) => {
          const by = servedBy(lines, 'InitiateAuth');
          return by.length > i ? by.includes(creator === 1 ? 2 : 1) : undefined;
        });
      }
      assert.ok(other, 'a sign-in was served by the worker that did not create the user');
      for (const token of [...tokens, ...tokens]) assert.equal((await client.send(new GetUserCommand({ AccessToken: token }))).Username, 'wanda');
      const lines = logLines(proc).filter((l) => l.msg === 'request');
      assert.deepEqual(new Set(lines.map((l) => l.worker)), new Set([1, 2]), 'both workers served requests');
    });

    test('writes through both workers at once all succeed, none lost', async () => {
      const client = sdk(url);
      const poolId = (await client.send(new CreateUserPoolCommand({ PoolName: 'writers' }))).UserPool!.Id!;
      const names = Array.from({ length: 24 }, (_, i) => `writer${i}`);
      // Each on its own connection, so the two workers write to the store at the same time.
      await Promise.all(names.map((Username) => client.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username, MessageAction: 'SUPPRESS' }))));
      const listed = await client.send(new ListUsersCommand({ UserPoolId: poolId, Limit: 60 }));
      assert.deepEqual(listed.Users!.map((u) => u.Username).sort(), [...names].sort());
    });

    test('/metrics counts the requests of both workers, whichever worker takes the scrape', async () => {
      const before = await scrape(url);
      assert.equal(total(before, 'tobira_workers_reporting'), 2);
      assert.equal(total(before, 'tobira_workers'), 2);
      const client = sdk(url);
      const made = 12;
      // ListUserPools is called only here, so its request lines are these.
      for (let i = 0; i < made; i++) await client.send(new ListUserPoolsCommand({ MaxResults: 10 }));
      const by = await waitForLog(proc, 'the ListUserPools lines', (lines) => {
        const served = servedBy(lines, 'ListUserPools');
        return served.length === made ? served : undefined;
      });
      assert.deepEqual(new Set(by), new Set([1, 2]), 'both workers served some of them');
      // Each scrape on a new connection, so they are taken by both workers in turn; each sees all.
      for (let i = 0; i < 2; i++) {
        const text = await scrape(url);
        assert.equal(total(text, 'tobira_requests_total') - total(before, 'tobira_requests_total'), made, text);
        assert.equal(total(text, 'tobira_request_duration_seconds_count') - total(before, 'tobira_request_duration_seconds_count'), made);
        assert.equal(total(text, 'tobira_workers_reporting'), 2);
      }
    });

    test('a worker that does not answer is left out of /metrics, which still answers', { timeout: 60_000 }, async () => {
      const [stopped] = childrenOf(proc.child.pid!);
      process.kill(stopped, 'SIGSTOP');
      let answers: Promise<string>[];
      try {
        // Two connections: the stopped worker can take at most one, so the other worker takes the
        // other and asks the primary, which waits for the stopped one no more than a second.
        answers = [scrape(url), scrape(url)];
        const first = await Promise.race(answers);
        assert.equal(total(first, 'tobira_workers'), 2);
        assert.equal(total(first, 'tobira_workers_reporting'), 1);
      } finally {
        process.kill(stopped, 'SIGCONT');
      }
      await Promise.all(answers);
    });

    test('a worker killed outright is replaced, and service goes on; what it counted stays in /metrics', async () => {
      // Both workers have served requests (the tests above); a scrape lets the primary keep what each counted.
      const before = await scrape(url);
      const [victim] = childrenOf(proc.child.pid!);
      process.kill(victim, 'SIGKILL');
      const replaced = await waitForLog(proc, "the replacement's line", (lines) =>
        lines.find((l) => l.msg?.match(/^worker \d+ \(pid \d+\) listening$/) && l.pid !== victim),
      );
      const now = childrenOf(proc.child.pid!);
      assert.equal(now.length, 2);
      assert.ok(now.includes(replaced.pid!) && !now.includes(victim));
      assert.match(proc.output(), new RegExp(`"pid":${victim},"code":null,"signal":"SIGKILL"`));
      // Every connection is served: none goes to the dead worker.
      const client = sdk(url);
      const pools = await Promise.all(Array.from({ length: 6 }, () => client.send(new CreateUserPoolCommand({ PoolName: 'after-kill' }))));
      for (const p of pools) assert.equal((await client.send(new DescribeUserPoolCommand({ UserPoolId: p.UserPool!.Id! }))).UserPool!.Name, 'after-kill');
      // The sums go on from where they were: the dead worker's counts as it last reported them, and the 12 calls since.
      for (let i = 0; i < 2; i++) {
        const after = await scrape(url);
        assert.equal(total(after, 'tobira_workers_reporting'), 2);
        assert.equal(total(after, 'tobira_requests_total') - total(before, 'tobira_requests_total'), 12, after);
        assert.equal(total(after, 'tobira_request_duration_seconds_count') - total(before, 'tobira_request_duration_seconds_count'), 12);
      }
    });

    test('SIGTERM stops every worker, then the primary', async () => {
      const workers = childrenOf(proc.child.pid!);
      assert.equal(workers.length, 2);
      proc.child.kill('SIGTERM');
      assert.deepEqual(await proc.exited, { code: 0, signal: null });
      for (const pid of workers) assert.equal(isRunning(pid), false, `worker ${pid} still runs`);
      // Each worker stopped gracefully, as a single process does.
      assert.equal(logLines(proc).filter((l) => l.msg === 'shutting down' && l.worker !== undefined).length, 2);
    });
  });
}

describe('how many workers', () => {
  test('--in-memory with --workers 2 is refused; --in-memory alone runs one process', async () => {
    const refused = spawnTobira(['start', '--in-memory', '--workers', '2', '--port', '0']);
    assert.equal((await refused.exited).code, 1);
    assert.match(refused.output(), /tobira start: --workers 2 with --in-memory: an in-memory store lives in one process and cannot be shared/);

    const single = spawnTobira(['start', '--in-memory', '--port', '0', '--log-format', 'json'], { TOBIRA_WORKERS: '' });
    try {
      const said = await banner(single);
      assert.equal(said.workers, undefined);
      assert.deepEqual(childrenOf(single.child.pid!), []);
    } finally {
      await stopSpawned(single);
    }
  });

  test('--workers takes a whole number', async () => {
    const p = spawnTobira(['start', '--in-memory', '--workers', 'two']);
    assert.equal((await p.exited).code, 1);
    assert.match(p.output(), /--workers must be a whole number from 1 to 1024, not two/);
  });

  test('by default, one worker per core on a data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tobira-workers-default-'));
    const p = spawnTobira(['start', '--data-dir', dir, '--port', '0', '--log-format', 'json'], { TOBIRA_WORKERS: '' });
    try {
      const said = await banner(p);
      const cores = availableParallelism();
      assert.equal(said.workers, cores > 1 ? cores : undefined);
      assert.equal(childrenOf(p.child.pid!).length, cores > 1 ? cores : 0);
    } finally {
      await stopSpawned(p);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
