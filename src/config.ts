/** Server settings, from flags, then environment variables, then these defaults. */
export interface Config {
  host: string;
  port: number;
  /** Directory of the embedded SQLite database; null keeps everything in memory. */
  dataDir: string | null;
  /** The region of requests that carry no SigV4 credential scope. */
  region: string;
  /** Account id used in ARNs. */
  accountId: string;
  /** Base URL that tokens name as issuer and that clients reach; default http://host:port. */
  publicUrl: string | null;
  /** 'tobira': iss = <publicUrl>/<poolId>; 'aws': iss = https://cognito-idp.<region>.amazonaws.com/<poolId>. */
  issuerMode: 'tobira' | 'aws';
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** Development mode keeps every email and SMS in the outbox and prints it to the log. */
  devMode: boolean;
}

export const DEFAULT_PORT = 9329;

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.TOBIRA_HOST ?? '127.0.0.1',
    port: env.TOBIRA_PORT ? Number(env.TOBIRA_PORT) : DEFAULT_PORT,
    dataDir: env.TOBIRA_DATA_DIR ?? './.tobira',
    region: env.TOBIRA_REGION ?? 'us-east-1',
    accountId: env.TOBIRA_ACCOUNT_ID ?? '000000000000',
    publicUrl: env.TOBIRA_PUBLIC_URL ?? null,
    issuerMode: env.TOBIRA_ISSUER === 'aws' ? 'aws' : 'tobira',
    logLevel: (env.TOBIRA_LOG_LEVEL as Config['logLevel']) ?? 'info',
    devMode: env.TOBIRA_DEV_MODE !== 'false',
  };
}
