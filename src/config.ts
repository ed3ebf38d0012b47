import { existsSync, readFileSync } from 'node:fs';
import { AdminCredentials, parseCredentialsJson } from './http/admin-credentials.ts';
/** Server settings, from flags, then environment variables, then these defaults. */
export interface Config {
  host: string;
  port: number;
  /** Directory of the embedded SQLite database; null keeps everything in memory. */
  dataDir: string | null;
  /** A PostgreSQL database shared by several nodes (postgres://...); when set, dataDir is not used. */
  databaseUrl: string | null;
  /** The region of requests that carry no SigV4 credential scope. */
  region: string;
  /** Account id used in ARNs. */
  accountId: string;
  /** Base URL that tokens name as issuer and that clients reach; default http://host:port. */
  publicUrl: string | null;
  /** 'tobira': iss = <publicUrl>/<poolId>; 'aws': iss = https://cognito-idp.<region>.amazonaws.com/<poolId>. */
  issuerMode: 'tobira' | 'aws';
  /**
   * The hosted UI also answers on `<prefix>.<this domain>` (--hosted-ui-base-domain, env
   * TOBIRA_HOSTED_UI_BASE_DOMAIN), besides `<prefix>.auth.<region>.localhost` and `/_domain/<prefix>`.
   */
  hostedUiBaseDomain?: string | null;
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** json (one object per line) or pretty (coloured lines); default pretty on a terminal, json otherwise (--log-format, TOBIRA_LOG_FORMAT). */
  logFormat?: 'json' | 'pretty';
  /** Development mode keeps every email and SMS in the outbox and prints it to the log. */
  devMode: boolean;
  /**
   * Cognito refuses USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH on a client created without
   * ExplicitAuthFlows. Seed 000 signs in that way all the same, so by default Tobira allows the
   * password flows on such clients (and logs that Cognito would not); true restores Cognito's
   * exact default. Flows a client names explicitly are always enforced exactly.
   */
  strictAuthFlows: boolean;
  /**
   * Cognito's feature plans (UserPoolTier LITE, ESSENTIALS, PLUS) gate some features. By default
   * Tobira stores and reports the tier but offers every feature on every tier; true refuses what
   * the pool's tier lacks, as Cognito refuses it (--enforce-tiers, TOBIRA_ENFORCE_TIERS=true).
   */
  enforceTiers: boolean;
  /** Real email delivery through SMTP; null keeps emails in the outbox only. */
  smtp: SmtpConfig | null;
  /** SMS delivery: POST JSON {destination, body, ...} to this URL; null keeps SMS in the outbox only. */
  smsWebhookUrl: string | null;
  /** Bearer token that opens the operator endpoints (/_tobira/outbox) to non-loopback callers. */
  adminToken: string | null;
  /**
   * Encrypts signing keys, client secrets and pool secrets at rest (store/sealing.ts). From
   * TOBIRA_MASTER_KEY or --master-key-file, never a flag of its own (it would show in `ps`).
   */
  masterKey: string | null;
  /**
   * Access key id -> secret: when set, admin operations must carry a SigV4 signature by one of
   * them (http/sigv4.ts). From TOBIRA_ADMIN_CREDENTIALS (AKID:SECRET,...) or --admin-credentials-file.
   * Given in JSON, an AdminCredentials also carries each key's IAM policy (http/admin-credentials.ts).
   */
  adminCredentials: ReadonlyMap<string, string> | null;
  /** Time and connection bounds of every listener this process opens (the API server, a gateway beside it). */
  limits: ListenerLimits;
  /**
   * Where the user's functions (Lambda triggers, gateway routes) are found (src/functions/): a
   * directory of `<name>.mjs|.js|.ts|.py` handlers (default ./functions when it exists), the
   * `functions` mapping of a config file, and a server speaking Lambda's Invoke API (a URL, or
   * `aws` for AWS Lambda itself).
   */
  functionsDir: string | null;
  configFile: string | null;
  /** `tobira start --prune`: applying the config file deletes what it does not declare (src/declarative/). */
  prune?: boolean;
  lambdaEndpoint: string | null;
  /**
   * The AES key (16, 24 or 32 bytes, base64) that encrypts the codes handed to CustomEmailSender
   * and CustomSMSSender functions, in the AWS Encryption SDK format with a raw AES keyring
   * (domain/triggers/custom-sender.ts). From TOBIRA_CUSTOM_SENDER_KEY or --custom-sender-key-file,
   * never a flag of its own (it would show in `ps`).
   */
  customSenderKey: string | null;
  /**
   * Threat protection's breached-password list (domain/threat/pwned.ts): a file of `SHA1HEX:COUNT`
   * lines sorted by hash, as the Pwned Passwords downloads are (--compromised-passwords-file,
   * TOBIRA_COMPROMISED_PASSWORDS_FILE); absent, no password counts as compromised.
   */
  compromisedPasswordsFile?: string | null;
  /**
   * Identity pools' Google and Apple logins (accounts.google.com, appleid.apple.com) are verified
   * only against an issuer named here (TOBIRA_SOCIAL_ISSUERS=accounts.google.com=https://...,...),
   * through its discovery document: a test double, or the real issuer when the server may call it.
   */
  socialIssuers?: Record<string, string> | null;
  /** How long authentication events are kept (--auth-event-retention-days, TOBIRA_AUTH_EVENT_RETENTION_DAYS; Cognito keeps two years). */
  authEventRetentionDays?: number;
  /**
   * An STS (AWS's, or another Tobira) that GetCredentialsForIdentity asks for credentials with
   * AssumeRoleWithWebIdentity (--sts-endpoint, TOBIRA_STS_ENDPOINT); absent, Tobira mints them itself.
   */
  stsEndpoint?: string | null;
  /**
   * Serve HTTPS (--https, TOBIRA_HTTPS=true): with --tls-cert and --tls-key (TOBIRA_TLS_CERT,
   * TOBIRA_TLS_KEY, PEM files), else with a certificate of Tobira's local CA (http/tls.ts).
   */
  https?: boolean;
  tlsCert?: string | null;
  tlsKey?: string | null;
}

/** ./functions of the working directory when there is one. */
export function defaultFunctionsDir(): string | undefined {
  return existsSync('functions') ? 'functions' : undefined;
}

/**
 * What one client may hold of a listener. Without these a client sending a body one byte at a
 * time, or opening connections and sending nothing, holds its sockets (and their buffers) forever.
 */
export interface ListenerLimits {
  /** Time to receive a whole request, headers and body, from its first byte (408 and close past it). */
  requestTimeoutMs: number;
  /** Time to receive a request's headers, from the connection's opening or the previous answer. */
  headersTimeoutMs: number;
  /** How long a keep-alive connection may sit idle between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; past it new connections are closed as soon as they are accepted. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: Readonly<ListenerLimits> = {
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1_000,
};

/** The settings of ListenerLimits: flag (also read as TOBIRA_<FLAG>, upper-cased), key, unit. */
export const LIMIT_SETTINGS = [
  { flag: 'request-timeout-seconds', key: 'requestTimeoutMs', scale: 1000 },
  { flag: 'headers-timeout-seconds', key: 'headersTimeoutMs', scale: 1000 },
  { flag: 'keep-alive-timeout-seconds', key: 'keepAliveTimeoutMs', scale: 1000 },
  { flag: 'max-connections', key: 'maxConnections', scale: 1 },
] as const satisfies readonly { flag: string; key: keyof ListenerLimits; scale: number }[];

const envName = (flag: string) => `TOBIRA_${flag.replace(/-/g, '_').toUpperCase()}`;

/**
 * Listener limits from flags (`--request-timeout-seconds 30`, values read by `flag`) over
 * environment variables (TOBIRA_REQUEST_TIMEOUT_SECONDS ...) over `base`. Seconds may be
 * fractional; every value must be a positive number (a limit cannot be switched off).
 */
export function limitsFrom(
  flag: (name: string) => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  base: Readonly<ListenerLimits> = DEFAULT_LIMITS,
): ListenerLimits {
  const out: ListenerLimits = { ...base };
  for (const s of LIMIT_SETTINGS) {
    const raw = flag(s.flag) ?? env[envName(s.flag)];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    const value = Math.round(n * s.scale);
    if (!Number.isFinite(n) || value < 1 || (s.scale === 1 && !Number.isInteger(n))) {
      throw new Error(`invalid --${s.flag} (${envName(s.flag)}): ${raw}; expected a positive ${s.scale === 1 ? 'integer' : 'number of seconds'}`);
    }
    out[s.key] = value;
  }
  return out;
}

export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (smtps, port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  pass?: string;
  /** The From address of every email. */
  from: string;
}

/**
 * Reads `smtp://user:pass@host:port` or `smtps://...` (TLS from the start); the From address
 * comes from `?from=` or the separate setting.
 */
export function parseSmtpUrl(url: string, from?: string): SmtpConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid SMTP URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error('the SMTP URL must start with smtp:// or smtps://');
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    pass: u.password ? decodeURIComponent(u.password) : undefined,
    from: from ?? u.searchParams.get('from') ?? 'no-reply@tobira.local',
  };
}

/** The master key kept in a file (its first line), as secret managers mount them. */
export function readMasterKeyFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the master key file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text.split(/\r?\n/)[0];
}

/** Admin credentials kept in a file: AKID:SECRET lines, or JSON with policies. */
export function readAdminCredentialsFile(file: string): AdminCredentials {
  try {
    return parseCredentials(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the admin credentials file ${file}: ${code ?? (err as Error).message}`);
  }
}

/**
 * Admin credentials from `AKID:SECRET` pairs, separated by commas or new lines (`#` starts a
 * comment line), as TOBIRA_ADMIN_CREDENTIALS or the lines of --admin-credentials-file give them;
 * or JSON (`{"credentials": [...]}`) with an IAM policy per key (http/admin-credentials.ts).
 */
export function parseCredentials(text: string): AdminCredentials {
  if (text.trimStart().startsWith('{')) return parseCredentialsJson(text);
  const out = new AdminCredentials();
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0 || colon === line.length - 1) throw new Error('admin credentials are AKID:SECRET pairs, separated by commas or new lines');
    out.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  if (out.size === 0) throw new Error('no admin credentials given');
  return out;
}

export const DEFAULT_PORT = 9329;

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.TOBIRA_HOST ?? '127.0.0.1',
    port: env.TOBIRA_PORT ? Number(env.TOBIRA_PORT) : DEFAULT_PORT,
    dataDir: env.TOBIRA_DATA_DIR ?? './.tobira',
    databaseUrl: env.TOBIRA_DATABASE_URL || null,
    region: env.TOBIRA_REGION ?? 'us-east-1',
    accountId: env.TOBIRA_ACCOUNT_ID ?? '000000000000',
    publicUrl: env.TOBIRA_PUBLIC_URL ?? null,
    issuerMode: env.TOBIRA_ISSUER === 'aws' ? 'aws' : 'tobira',
    hostedUiBaseDomain: env.TOBIRA_HOSTED_UI_BASE_DOMAIN || null,
    logLevel: (env.TOBIRA_LOG_LEVEL as Config['logLevel']) ?? 'info',
    ...(env.TOBIRA_LOG_FORMAT === 'json' || env.TOBIRA_LOG_FORMAT === 'pretty' ? { logFormat: env.TOBIRA_LOG_FORMAT } : {}),
    devMode: env.TOBIRA_DEV_MODE !== 'false',
    strictAuthFlows: env.TOBIRA_STRICT_AUTH_FLOWS === 'true',
    enforceTiers: env.TOBIRA_ENFORCE_TIERS === 'true',
    smtp: env.TOBIRA_SMTP_URL ? parseSmtpUrl(env.TOBIRA_SMTP_URL, env.TOBIRA_SMTP_FROM) : null,
    smsWebhookUrl: env.TOBIRA_SMS_WEBHOOK_URL || null,
    adminToken: env.TOBIRA_ADMIN_TOKEN || null,
    masterKey: env.TOBIRA_MASTER_KEY || null,
    adminCredentials: env.TOBIRA_ADMIN_CREDENTIALS ? parseCredentials(env.TOBIRA_ADMIN_CREDENTIALS) : null,
    limits: limitsFrom(() => undefined, env),
    functionsDir: env.TOBIRA_FUNCTIONS_DIR || (defaultFunctionsDir() ?? null),
    configFile: env.TOBIRA_CONFIG || null,
    lambdaEndpoint: env.TOBIRA_LAMBDA_ENDPOINT || null,
    customSenderKey: env.TOBIRA_CUSTOM_SENDER_KEY || null,
    compromisedPasswordsFile: env.TOBIRA_COMPROMISED_PASSWORDS_FILE || null,
    socialIssuers: env.TOBIRA_SOCIAL_ISSUERS
      ? Object.fromEntries(env.TOBIRA_SOCIAL_ISSUERS.split(',').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]))
      : null,
    authEventRetentionDays: env.TOBIRA_AUTH_EVENT_RETENTION_DAYS ? Number(env.TOBIRA_AUTH_EVENT_RETENTION_DAYS) : 730,
    stsEndpoint: env.TOBIRA_STS_ENDPOINT || null,
    https: env.TOBIRA_HTTPS === 'true' || !!env.TOBIRA_TLS_CERT,
    tlsCert: env.TOBIRA_TLS_CERT || null,
    tlsKey: env.TOBIRA_TLS_KEY || null,
  };
}
