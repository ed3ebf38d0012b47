/**
 * Every command and flag of the `tobira` command line, declared once. The strict parser
 * (args.ts), each command's `--help`, the general usage and the README's configuration table
 * (`npm run docs:flags`, checked by test/cli-flags.test.ts) are all made from this list, so a
 * flag cannot exist in one and be missing from another.
 */

export interface FlagSpec {
  /** Without the leading `--`. */
  name: string;
  /** The value's placeholder (`<P>`); absent for a switch. */
  value?: string;
  /** The environment variable read when the flag is absent. */
  env?: string;
  /** The default, as shown to people. */
  default?: string;
  help: string;
}

/** A setting read only from the environment (shown in the README table, not a flag). */
export interface EnvSpec {
  env: string;
  default?: string;
  help: string;
}

export interface CommandSpec {
  /** `keys rotate`, `start` ... as typed. */
  usage: string;
  summary: string;
  flags: FlagSpec[];
}

const dataDir: FlagSpec = { name: 'data-dir', value: '<DIR>', env: 'TOBIRA_DATA_DIR', default: './.tobira', help: 'the SQLite store (tobira.sqlite in DIR)' };
const databaseUrl: FlagSpec = { name: 'database-url', value: '<URL>', env: 'TOBIRA_DATABASE_URL', help: 'the PostgreSQL store instead: postgres://user:pass@host/db (LC_COLLATE C)' };
const masterKeyFile: FlagSpec = { name: 'master-key-file', value: '<F>', env: 'TOBIRA_MASTER_KEY', help: 'the master key that encrypts signing keys and secrets at rest (16 characters or more)' };
const functionsDir: FlagSpec = { name: 'functions-dir', value: '<DIR>', env: 'TOBIRA_FUNCTIONS_DIR', default: './functions if present', help: 'Lambda functions as <name>.mjs|.js|.ts|.py handler files' };
const configFile: FlagSpec = {
  name: 'config',
  value: '<F>',
  env: 'TOBIRA_CONFIG',
  help: 'JSON file whose "functions" object maps names or ARNs to handlers or Invoke API URLs (re-read when it changes)',
};
const lambdaEndpoint: FlagSpec = { name: 'lambda-endpoint', value: '<URL|aws>', env: 'TOBIRA_LAMBDA_ENDPOINT', help: "other functions through Lambda's Invoke API there (SAM local, LocalStack; aws: AWS Lambda)" };
const region: FlagSpec = { name: 'region', value: '<R>', env: 'TOBIRA_REGION', default: 'us-east-1', help: 'region of unsigned requests and of ARNs made for bare names' };
const logLevel: FlagSpec = { name: 'log-level', value: '<L>', env: 'TOBIRA_LOG_LEVEL', default: 'info', help: 'silent, error, warn, info or debug; never secrets' };

/** The listener bounds every server takes (config.ts LIMIT_SETTINGS). */
const limits: FlagSpec[] = [
  { name: 'request-timeout-seconds', value: '<S>', env: 'TOBIRA_REQUEST_TIMEOUT_SECONDS', default: '60', help: 'time to receive a whole request, headers and body; past it 408 and the connection is closed' },
  { name: 'headers-timeout-seconds', value: '<S>', env: 'TOBIRA_HEADERS_TIMEOUT_SECONDS', default: '20', help: "time to receive a request's headers, also from a connection that sends nothing" },
  { name: 'keep-alive-timeout-seconds', value: '<S>', env: 'TOBIRA_KEEP_ALIVE_TIMEOUT_SECONDS', default: '65', help: 'idle time of a keep-alive connection between requests (Node keeps it 1 s more)' },
  { name: 'max-connections', value: '<N>', env: 'TOBIRA_MAX_CONNECTIONS', default: '1000', help: 'open connections at most; past it a new connection is closed at once' },
];

export const COMMANDS: Record<string, CommandSpec> = {
  start: {
    usage: 'start',
    summary: 'Run the server',
    flags: [
      { name: 'port', value: '<P>', env: 'TOBIRA_PORT', default: '9329', help: 'port to listen on (0: any free port)' },
      { name: 'host', value: '<H>', env: 'TOBIRA_HOST', default: '127.0.0.1', help: 'address to listen on; 0.0.0.0 for every interface' },
      dataDir,
      { name: 'in-memory', help: 'keep everything in memory; nothing written to disk' },
      {
        name: 'workers',
        value: '<N>',
        env: 'TOBIRA_WORKERS',
        default: 'the number of cores; 1 with --in-memory',
        help: 'processes that serve the one port and share the store (SQLite file or PostgreSQL), restarted if one dies; --in-memory runs one',
      },
      { ...databaseUrl, help: 'PostgreSQL shared by several nodes, instead of SQLite: postgres://user:pass@host/db (the database needs LC_COLLATE C)' },
      region,
      { name: 'public-url', value: '<URL>', env: 'TOBIRA_PUBLIC_URL', default: 'http://<host>:<port> (https:// with --https)', help: 'the URL clients reach this server at (token issuer base)' },
      { name: 'issuer', value: 'aws', env: 'TOBIRA_ISSUER', help: "tokens carry AWS's issuer form https://cognito-idp.<region>.amazonaws.com/<poolId>" },
      { name: 'https', env: 'TOBIRA_HTTPS', default: 'false', help: "serve HTTPS with a certificate of Tobira's local CA, made once in <data dir>/ca (--in-memory: $XDG_CONFIG_HOME/tobira/ca or ~/.config/tobira/ca); the start prints how to trust it" },
      { name: 'tls-cert', value: '<F>', env: 'TOBIRA_TLS_CERT', help: 'serve HTTPS with this certificate (PEM, with its chain) instead of the local CA\'s' },
      { name: 'tls-key', value: '<F>', env: 'TOBIRA_TLS_KEY', help: "the private key (PEM) of --tls-cert" },
      { name: 'hosted-ui-base-domain', value: '<D>', env: 'TOBIRA_HOSTED_UI_BASE_DOMAIN', help: 'the hosted UI also answers on <prefix>.<D> (besides <prefix>.auth.<region>.localhost and /_domain/<prefix>)' },
      logLevel,
      { name: 'log-format', value: '<F>', env: 'TOBIRA_LOG_FORMAT', default: 'pretty on a terminal, else json', help: 'json: one object per line; pretty: one coloured line per event' },
      { name: 'strict-auth-flows', env: 'TOBIRA_STRICT_AUTH_FLOWS', default: 'false', help: 'a client created without ExplicitAuthFlows refuses the password flows, exactly as Cognito' },
      { name: 'enforce-tiers', env: 'TOBIRA_ENFORCE_TIERS', default: 'false', help: "refuse what the pool's UserPoolTier (LITE, ESSENTIALS, PLUS) lacks, as Cognito does" },
      { name: 'smtp-url', value: '<URL>', env: 'TOBIRA_SMTP_URL', help: 'send emails through SMTP: smtp://user:pass@host:587 or smtps://...:465 (else they stay in the outbox)' },
      { name: 'smtp-from', value: '<ADDR>', env: 'TOBIRA_SMTP_FROM', help: 'From address of emails' },
      { name: 'sms-webhook', value: '<URL>', env: 'TOBIRA_SMS_WEBHOOK_URL', help: 'POST each SMS as JSON {destination, body} here' },
      { name: 'admin-token', value: '<T>', env: 'TOBIRA_ADMIN_TOKEN', help: 'Bearer token for /_tobira/* and /metrics from other machines' },
      {
        name: 'admin-credentials-file',
        value: '<F>',
        env: 'TOBIRA_ADMIN_CREDENTIALS',
        help: 'admin operations must be SigV4-signed by one of the AKID:SECRET lines of F, or by a key of its JSON form with an IAM policy per key',
      },
      masterKeyFile,
      { name: 'custom-sender-key-file', value: '<F>', env: 'TOBIRA_CUSTOM_SENDER_KEY', help: 'the AES key (base64) that encrypts codes for CustomEmailSender / CustomSMSSender functions' },
      { name: 'gateway-config', value: '<F>', help: 'also serve the gateway of this JSON file on its own port' },
      functionsDir,
      { ...configFile, help: 'JSON (or .yaml) file declaring user pools, clients, groups, users, identity pools (applied at start, src/declarative/README.md), and whose "functions" object maps names or ARNs to handlers or Invoke API URLs (re-read when it changes); also a CloudFormation template or cognito-local\'s config.json' },
      { name: 'prune', help: 'applying --config deletes what it does not declare (default: only create and update)' },
      lambdaEndpoint,
      { name: 'sts-endpoint', value: '<URL>', env: 'TOBIRA_STS_ENDPOINT', help: 'get identity pool credentials from this STS (AssumeRoleWithWebIdentity) instead of minting them' },
      {
        name: 'compromised-passwords-file',
        value: '<F>',
        env: 'TOBIRA_COMPROMISED_PASSWORDS_FILE',
        help: "threat protection's breached passwords: SHA1HEX:COUNT lines sorted by hash, as the Pwned Passwords downloads",
      },
      { name: 'auth-event-retention-days', value: '<N>', env: 'TOBIRA_AUTH_EVENT_RETENTION_DAYS', default: '730', help: 'how long authentication events are kept (Cognito keeps two years)' },
      ...limits,
    ],
  },
  outbox: {
    usage: 'outbox',
    summary: 'Show the emails and SMS Tobira kept (development mode)',
    flags: [
      { name: 'pool', value: '<ID>', help: "only this user pool's messages" },
      { name: 'to', value: '<ADDRESS>', help: 'only messages to this email address or phone number' },
      { name: 'follow', help: 'keep printing new messages as they come' },
      { name: 'limit', value: '<N>', default: '20', help: 'how many of the newest to show first' },
      { name: 'json', help: 'one JSON object per line' },
      { ...dataDir, help: 'read the store directly' },
      { ...databaseUrl, help: 'read the PostgreSQL store directly' },
      { name: 'url', value: '<URL>', env: 'TOBIRA_URL', help: "read a running server's /_tobira/outbox instead (sends TOBIRA_ADMIN_TOKEN when set)" },
    ],
  },
  gateway: {
    usage: 'gateway',
    summary: "API Gateway's Cognito authorizer in front of a Lambda handler or an upstream URL",
    flags: [
      { name: 'config', value: '<F>', help: 'routes from a JSON file (see README); or one route ANY /{proxy+} from the flags below' },
      { name: 'port', value: '<P>', default: '8080', help: 'port' },
      { name: 'host', value: '<H>', default: '127.0.0.1', help: 'address' },
      { name: 'endpoint', value: '<URL>', help: "Tobira's URL (JWKS, discovery, token status)" },
      { name: 'user-pool-id', value: '<ID>', help: 'the pool whose tokens are accepted' },
      { name: 'client-ids', value: '<a,b>', help: 'accept only tokens of these app clients' },
      { name: 'client-id', value: '<ID>', help: 'one app client (same as --client-ids)' },
      { name: 'lambda', value: '<file.mjs#handler>', help: 'the Lambda handler behind the route' },
      { name: 'upstream', value: '<URL>', help: 'or the URL behind the route' },
      { ...functionsDir, help: 'where routes with "function": "<name or ARN>" find it, as for start' },
      { ...lambdaEndpoint, help: 'functions through the Lambda Invoke API, as for start' },
      { name: 'scopes', value: '<a,b>', help: 'want an access token with one of these scopes (else an ID token)' },
      { name: 'api-type', value: 'rest|http', default: 'rest', help: 'REST API + Cognito authorizer, or HTTP API + JWT authorizer' },
      { name: 'payload-format', value: '1.0|2.0', help: 'Lambda event format (HTTP APIs only may use 2.0)' },
      { name: 'stage', value: '<name>', help: 'serve under /<name>/ like a REST API stage' },
      { name: 'token-source', value: '<header>', default: 'Authorization', help: 'header holding the token' },
      { name: 'claims-header', value: '<header>', default: 'x-tobira-claims', help: 'header carrying verified claims to an upstream' },
      { name: 'revocation-cache-seconds', value: '<S>', default: '2', help: "reuse Tobira's token-status answers" },
      { name: 'check-revocation', value: 'true|false', default: 'true', help: 'false: do not ask Tobira about revoked tokens' },
      { ...logLevel, help: 'silent, error, warn, info or debug (debug logs each request, never tokens)' },
      ...limits,
    ],
  },
  keys: {
    usage: 'keys rotate',
    summary: 'New signing keys for token signing; the previous ones stay in the JWKS for a day, until the last token they signed has expired. Safe while the server runs.',
    flags: [
      { name: 'pool', value: '<ID>', help: "only this user pool (default: every pool, and the identity pools' OpenID token key)" },
      dataDir,
      databaseUrl,
      { ...masterKeyFile, help: "the server's master key, if it has one" },
    ],
  },
  functions: {
    usage: 'functions invoke <name or ARN>',
    summary: "Run one of the user's functions by hand, as a trigger would, and print its answer (JSON); its failure goes to stderr with exit code 1",
    flags: [
      { name: 'event', value: '<file.json>', default: '{}', help: 'the event (- reads stdin)' },
      { name: 'timeout-seconds', value: '<S>', default: '5', help: 'how long to wait, as Cognito waits' },
      { ...functionsDir, help: 'as for start' },
      { ...configFile, help: 'as for start' },
      { ...lambdaEndpoint, help: 'as for start' },
      { ...region, help: 'region of ARNs made for bare names' },
      logLevel,
    ],
  },
  'import-users': {
    usage: 'import-users <file.csv> --pool <ID>',
    summary: "A user import job from the command line: the CSV (GetCSVHeader's columns) becomes RESET_REQUIRED users of the pool, straight into the store (a server may run on it), with progress, the skipped and failed rows, and a job in ListUserImportJobs. Exit code 1 unless the job Succeeded.",
    flags: [
      { name: 'pool', value: '<ID>', help: 'the user pool to import into' },
      { name: 'job-name', value: '<NAME>', help: "the job's name (default tobira-import-users-<file>)" },
      dataDir,
      databaseUrl,
    ],
  },
};

// The declarative format's commands (src/declarative/).
COMMANDS.export = {
  usage: 'export',
  summary: "Write the store's user pools and identity pools as JSON on stdout: the --config format, plus the stored rows, so that tobira import restores them exactly. Safe while the server runs.",
  flags: [
    { name: 'pool', value: '<ID>', help: 'only this user pool' },
    { name: 'secrets', value: 'sealed|clear|omit', default: 'sealed', help: 'sealed: as the store holds them; clear: opened (needs the master key); omit: left out (import draws new client secrets and keys)' },
    { name: 'out', value: '<F>', help: 'write to F (mode 600) instead of stdout' },
      { ...dataDir, help: 'the SQLite store' },
      { ...databaseUrl, help: 'the PostgreSQL store instead' },
      { ...masterKeyFile, help: "the store's master key, if it has one" },
  ],
};
COMMANDS.import = {
  usage: 'import <file>',
  summary: 'Load a file tobira export wrote into this store (created if new), in one transaction.',
  flags: [
    { name: 'replace', help: 'overwrite pools that exist here (default: refuse)' },
      { ...dataDir, help: 'the SQLite store' },
      { ...databaseUrl, help: 'the PostgreSQL store instead' },
      { ...masterKeyFile, help: "the store's master key, if it has one" },
  ],
};
COMMANDS.backup = {
  usage: 'backup <dir>',
  summary: 'Copy the SQLite store into <dir>/tobira.sqlite, consistently, while the server runs (VACUUM INTO); <dir> is then a data directory.',
  flags: [{ ...dataDir, help: 'the SQLite store to copy' }, { ...databaseUrl, help: 'refused: PostgreSQL has pg_dump' }],
};

/** Settings only the environment gives, for the README table. */
export const ENV_ONLY: EnvSpec[] = [
  { env: 'TOBIRA_ACCOUNT_ID', default: '000000000000', help: 'account id in ARNs' },
  { env: 'TOBIRA_DEV_MODE', default: 'true', help: 'false: no outbox copy of messages that SMTP or the SMS webhook delivered' },
  { env: 'TOBIRA_SOCIAL_ISSUERS', help: '`accounts.google.com=URL,appleid.apple.com=URL`: issuers identity pools verify Google and Apple logins against' },
  {
    env: 'TOBIRA_DATABASE_RETRY_SECONDS',
    default: '15',
    help: 'how long a PostgreSQL transaction is retried after a serialization failure or deadlock (backoff with jitter; a retry then runs alone), before the client sees an error',
  },
  {
    env: 'TOBIRA_PASSWORD_HASHES_AT_ONCE',
    default: 'the number of cores plus one, shared among the workers',
    help: "argon2id hashes and verifications handed at once to libuv's thread pool, which runs as many as it has threads (19 MiB each while they run) and queues the rest; beyond that they wait their turn. One more than the threads keeps each thread busy while a finished hash hands its turn on",
  },
  {
    env: 'UV_THREADPOOL_SIZE',
    default: "the number of cores, shared among the workers (libuv's own default is 4)",
    help: "libuv's thread pool, which runs the argon2id hashes (also file reads and DNS lookups). More threads than cores run more hashes at once, each 19 MiB, for no more throughput",
  },
  {
    env: 'TOBIRA_POSTGRES_PREPARE',
    default: 'true',
    help: 'false: PostgreSQL statements are sent unprepared (parsed and planned at every call), for a pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21)',
  },
];

/** Every flag every command takes: `--help` too. */
export const HELP: FlagSpec = { name: 'help', help: "print this command's flags" };

/** `--name <V>` as typed. */
const shown = (f: FlagSpec) => `--${f.name}${f.value ? ` ${f.value}` : ''}`;

/** One command's help: what it does, then each flag with its variable and default. */
export function commandHelp(command: string): string {
  const spec = COMMANDS[command];
  const width = Math.max(...spec.flags.map((f) => shown(f).length)) + 2;
  const lines = [`Usage: tobira ${spec.usage} [options]`, '', wrap(spec.summary, 0), '', 'Options:'];
  for (const f of [...spec.flags, HELP]) {
    const extra = [f.env ? `env ${f.env}` : '', f.default ? `default ${f.default}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${shown(f).padEnd(width)}${wrap(`${f.help}${extra ? ` (${extra})` : ''}`, width + 2)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The general usage: every command with its summary. */
export function generalUsage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length)) + 2;
  const lines = ['Usage: tobira <command> [options]', '', 'Commands:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage.padEnd(width)}${wrap(c.summary, width + 2)}`);
  lines.push('', wrap("`tobira <command> --help` lists a command's flags and the environment variables they have (README, Configuration).", 0));
  return `${lines.join('\n')}\n`;
}

/** Text wrapped at 100 columns, continuation lines indented by `indent`. */
function wrap(text: string, indent: number): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > 100) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  out.push(line);
  return out.join(`\n${' '.repeat(indent)}`);
}

/** The README's configuration table (between its flags markers): `start`'s flags, then the environment-only settings. */
export function configurationTable(): string {
  const rows = ['| flag | environment | default | |', '|---|---|---|---|'];
  const code = (s?: string) => (s ? `\`${s.replace(/\|/g, '\\|')}\`` : '');
  // Markdown: a | would end the cell, a <word> would be taken for an HTML tag.
  const text = (s?: string) => (s ?? '').replace(/\|/g, '\\|').replace(/</g, '&lt;');
  for (const f of COMMANDS.start.flags) rows.push(`| ${code(shown(f))} | ${code(f.env)} | ${text(f.default)} | ${text(f.help)} |`);
  for (const e of ENV_ONLY) rows.push(`| | ${code(e.env)} | ${text(e.default)} | ${text(e.help)} |`);
  return `${rows.join('\n')}\n`;
}
