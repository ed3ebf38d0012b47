import { execFile } from 'node:child_process';
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Talking to a Tobira that serves HTTPS with its local CA (http/tls.ts). Node reads
 * NODE_EXTRA_CA_CERTS only at start, so this process asks through node:https with the CA given,
 * and real clients run in child processes started with that variable.
 */

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request over HTTPS, trusting `ca` (PEM) only. */
export function httpsRequest(url: string, ca: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A cognito-idp call (awsJson 1.1) over HTTPS; its JSON answer, or a rejection naming the error. */
export async function cognitoCall(url: string, ca: string, operation: string, input: unknown): Promise<any> {
  const r = await httpsRequest(url, ca, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
    body: JSON.stringify(input),
  });
  if (r.status !== 200) throw new Error(`${operation}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

export interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args` with `env` added, collecting its output (rejecting never: the code says). */
export function runChild(command: string, args: string[], env: Record<string, string>, timeout = 120_000): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON object a recipe printed on its last line of output. */
export function lastJsonLine(r: ChildResult): any {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`no JSON on the last line (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
