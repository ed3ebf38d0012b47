import { execFile } from 'node:child_process';
import pino from 'pino';
import { normalizeGatewayConfig } from '../../src/gateway/config.ts';
import { startGateway, type RunningGateway } from '../../src/gateway/server.ts';
import type { Spawned } from './process.ts';
import { aws } from './tobira.ts';
import { missing } from './tools.ts';

export interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Runs the real curl (`curl -s -i ...`) and splits its answer (a test calling this takes `needs('curl')`). */
export function curl(args: string[]): Promise<CurlResult> {
  const absent = missing('curl');
  if (absent) return Promise.reject(new Error(`this test ${absent} (mark it with needs('curl'))`));
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-i', '--max-time', '30', ...args], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      // Skip interim answers (100 Continue) to the final header block.
      let rest = stdout;
      let head = '';
      for (;;) {
        const cut = rest.indexOf('\r\n\r\n');
        head = cut < 0 ? rest : rest.slice(0, cut);
        rest = cut < 0 ? '' : rest.slice(cut + 4);
        if (!/^HTTP\/\S+ 1\d\d/.test(head)) break;
      }
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest });
    });
  });
}

/** Waits until something answers HTTP on a spawned gateway's port. */
export async function waitForGateway(url: string, p: Spawned, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`gateway did not start: ${p.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A gateway in this process over a raw configuration object, with a silent log. */
export function gatewayFor(raw: Record<string, unknown>, opts: Parameters<typeof startGateway>[1] = {}): Promise<RunningGateway> {
  return startGateway(normalizeGatewayConfig({ port: 0, ...raw }, import.meta.dirname + '/..'), {
    log: pino({ level: 'silent' }),
    ...opts,
  });
}

/** A clock that runs with real time plus an offset a test can move. */
export class OffsetClock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

export interface SeedUser {
  poolId: string;
  clientId: string;
  username: string;
  password: string;
  email: string;
}

/**
 * Seed 004's set-up with the AWS CLI: a pool (email required), an app client allowing
 * USER_PASSWORD_AUTH, a user with a permanent password, in group `admins`.
 */
export async function seedPoolAndUser(endpoint: string, opts: { groups?: string[]; clientArgs?: string[] } = {}): Promise<SeedUser> {
  const ok = (r: Awaited<ReturnType<typeof aws>>) => {
    if (r.code !== 0) throw new Error(r.stderr);
    return r.json;
  };
  const pool = ok(
    await aws(endpoint, [
      'cognito-idp', 'create-user-pool', '--pool-name', 'seed004',
      '--schema', '[{"Name":"email","AttributeDataType":"String","Mutable":true,"Required":true}]',
      '--auto-verified-attributes', 'email',
    ]),
  ).UserPool;
  const client = ok(
    await aws(endpoint, [
      'cognito-idp', 'create-user-pool-client', '--user-pool-id', pool.Id, '--client-name', 'spa',
      '--explicit-auth-flows', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH',
      ...(opts.clientArgs ?? []),
    ]),
  ).UserPoolClient;
  const user = { poolId: pool.Id, clientId: client.ClientId, username: 'taro', password: 'Passw0rd!Seed', email: 'taro@example.com' };
  ok(
    await aws(endpoint, [
      'cognito-idp', 'admin-create-user', '--user-pool-id', pool.Id, '--username', user.username,
      '--user-attributes', `Name=email,Value=${user.email}`, 'Name=email_verified,Value=true', '--message-action', 'SUPPRESS',
    ]),
  );
  ok(
    await aws(endpoint, [
      'cognito-idp', 'admin-set-user-password', '--user-pool-id', pool.Id, '--username', user.username,
      '--password', user.password, '--permanent',
    ]),
  );
  for (const g of opts.groups ?? []) {
    ok(await aws(endpoint, ['cognito-idp', 'create-group', '--user-pool-id', pool.Id, '--group-name', g]));
    ok(await aws(endpoint, ['cognito-idp', 'admin-add-user-to-group', '--user-pool-id', pool.Id, '--username', user.username, '--group-name', g]));
  }
  return user;
}

/** `aws cognito-idp initiate-auth --auth-flow USER_PASSWORD_AUTH`: the AuthenticationResult. */
export async function signIn(endpoint: string, u: SeedUser): Promise<{ IdToken: string; AccessToken: string; RefreshToken: string }> {
  const r = await aws(endpoint, [
    'cognito-idp', 'initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', u.clientId,
    '--auth-parameters', `USERNAME=${u.username},PASSWORD=${u.password}`,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.json.AuthenticationResult;
}
