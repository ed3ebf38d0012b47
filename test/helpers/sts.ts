import { execFile } from 'node:child_process';
import { AWS_CLI } from './tools.ts';

/** `aws <args> --endpoint-url <url>` with exactly these credentials (and region) and no user config. */
export function awsWith(url: string, creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, args: string[], region = 'us-east-1') {
  return new Promise<{ code: number; stdout: string; stderr: string; json: any }>((resolve) => {
    execFile(
      AWS_CLI,
      [...args, '--endpoint-url', url, '--output', 'json'],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ACCESS_KEY_ID: creds.accessKeyId,
          AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
          ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
          AWS_DEFAULT_REGION: region,
          AWS_PAGER: '',
          AWS_CONFIG_FILE: '/nonexistent/tobira-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/tobira-credentials',
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        let json: any;
        try {
          json = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code: err ? Number((err as { code?: unknown }).code) || 1 : 0, stdout, stderr, json });
      },
    );
  });
}
