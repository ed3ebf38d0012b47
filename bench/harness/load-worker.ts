// The load generator: forked by load.ts, it runs one job at a time and reports back count and
// latencies. Requests are serialized by the parent once and replayed here, each loop on its own
// keep-alive connection (raw-http.ts), so that what it costs per request is a write and a read.
// USER_SRP_AUTH's two round trips, a few hundred a second, go through node:http.
import { Agent, request } from 'node:http';
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMS } from './argon2-params.ts';
import { SrpClient } from '../../test/helpers/srp-client.ts';
import { fastSrpClient } from './srp-fast-client.ts';
import { EPHEMERAL_SECRET_BYTES, g, modPowN } from '../../src/domain/sign-in/srp-math.ts';
import { randomBytes } from 'node:crypto';
import type { Job, JobResult, WireRequest } from './jobs.ts';
import { RawConnection, requestBytes, type RawAnswer } from './raw-http.ts';
import { percentile } from '../util.ts';

let unique = 0;

function send(agent: Agent, url: URL, r: WireRequest): Promise<RawAnswer> {
  const body = r.body.includes('{{n}}') ? r.body.replace('{{n}}', String(unique++)) : r.body;
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: r.path, method: 'POST', headers: { ...r.headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `op` in `concurrency` loops until `seconds` have passed; each op returns its latency in ms. */
async function loop(concurrency: number, seconds: number, op: (i: number) => Promise<number>): Promise<JobResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let i = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        latencies.push(await op(i++));
      } catch (err) {
        errors++;
        firstError ??= String((err as Error).message ?? err).slice(0, 300);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedSec = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    errors,
    firstError,
    elapsedSec,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    generatorCpuSec: (cpu.user + cpu.system) / 1e6,
  };
}

async function runHttp(job: Extract<Job, { kind: 'http' }>): Promise<JobResult> {
  const url = new URL(job.url);
  const host = url.host;
  const prebuilt = job.requests.map((r) => (r.body.includes('{{n}}') ? undefined : requestBytes(host, r.path, r.headers, r.body)));
  const bytes = (i: number) => {
    const k = i % job.requests.length;
    const r = job.requests[k];
    return prebuilt[k] ?? requestBytes(host, r.path, r.headers, r.body.replace('{{n}}', String(unique++)));
  };
  // One connection a loop: a loop takes a free one for each request and gives it back.
  const all = Array.from({ length: job.concurrency }, () => new RawConnection(url.hostname, Number(url.port)));
  const free = [...all];
  try {
    return await loop(job.concurrency, job.seconds, async (i) => {
      const connection = free.pop()!;
      try {
        const t0 = performance.now();
        const a = await connection.send(bytes(i));
        if (a.status !== 200) throw new Error(`HTTP ${a.status}: ${a.body.slice(0, 200)}`);
        return performance.now() - t0;
      } finally {
        free.push(connection);
      }
    });
  } finally {
    for (const c of all) c.close();
  }
}

const idp = (op: string, body: unknown): WireRequest => ({
  path: '/',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
  body: JSON.stringify(body),
});

/** Both round trips of USER_SRP_AUTH; the latency is the two round trips, not the client's math. */
async function runSrp(job: Extract<Job, { kind: 'srp' }>): Promise<JobResult> {
  const url = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const call = async (r: WireRequest) => {
    const t0 = performance.now();
    const a = await send(agent, url, r);
    if (a.status !== 200) throw new Error(`HTTP ${a.status}: ${a.body.slice(0, 200)}`);
    return { ms: performance.now() - t0, json: JSON.parse(a.body) };
  };
  try {
    return await loop(job.concurrency, job.seconds, async (i) => {
      const client = job.client === 'library' ? new SrpClient(job.poolId) : fastSrpClient(job.poolId);
      const USERNAME = job.usernames[i % job.usernames.length];
      const first = await call(idp('InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: job.clientId, AuthParameters: { USERNAME, SRP_A: await client.srpA() } }));
      const answer = await client.answer(first.json.ChallengeParameters, job.password);
      const second = await call(idp('RespondToAuthChallenge', { ClientId: job.clientId, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: answer }));
      if (!second.json.AuthenticationResult) throw new Error(`no tokens: ${JSON.stringify(second.json).slice(0, 200)}`);
      return first.ms + second.ms;
    });
  } finally {
    agent.destroy();
  }
}

/** The RS256 key the ceilings sign with: 2048 bits, as Tobira's signing keys (src/domain/tokens/keys.ts). */
function rs256(): { sign: () => Buffer; verify: (sig: Buffer) => boolean } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // About the size of a header.payload an access token signs.
  const input = Buffer.from(`${'e'.repeat(100)}.${'p'.repeat(900)}`);
  return {
    sign: () => createSign('RSA-SHA256').update(input).sign(privateKey),
    verify: (sig) => createVerify('RSA-SHA256').update(input).verify(publicKey, sig),
  };
}

async function runJob(job: Job): Promise<JobResult> {
  switch (job.kind) {
    case 'http':
      return runHttp(job);
    case 'srp':
      return runSrp(job);
    case 'argon2':
      return loop(job.concurrency, job.seconds, async (i) => {
        const t0 = performance.now();
        await hash(`Ceiling#Password${i}`, ARGON2_PARAMS);
        return performance.now() - t0;
      });
    case 'srp-modpow':
      return loop(1, job.seconds, async () => {
        // b as src/domain/sign-in/srp.ts draws it.
        const b = BigInt(`0x${randomBytes(EPHEMERAL_SECRET_BYTES).toString('hex')}`);
        const t0 = performance.now();
        modPowN(g, b);
        return performance.now() - t0;
      });
    case 'rs256-sign':
    case 'rs256-verify': {
      const key = rs256();
      const sig = key.sign();
      // One in flight: node:crypto's sign and verify are synchronous, on the one JS thread, as in the server.
      return loop(1, job.seconds, async () => {
        const t0 = performance.now();
        if (job.kind === 'rs256-sign') key.sign();
        else if (!key.verify(sig)) throw new Error('RS256 verify failed');
        return performance.now() - t0;
      });
    }
  }
}

process.on('message', (job: Job) => {
  runJob(job).then(
    (result) => process.send!({ ok: true, result }),
    (err) => process.send!({ ok: false, error: String(err?.stack ?? err) }),
  );
});
