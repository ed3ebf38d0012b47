import { readFileSync } from 'node:fs';
import { defaultConfig, parseSmtpUrl, readAdminCredentialsFile, readMasterKeyFile, type Config } from '../config.ts';
import { flagString, limitsFromArgs, parseArgs, type ParsedArgs } from './args.ts';
import { OUTBOX_USAGE, outbox } from './outbox.ts';
import { GATEWAY_USAGE, gateway, startGatewayBeside } from './gateway.ts';
import { KEYS_USAGE, keys } from './keys.ts';
import { FUNCTIONS_USAGE, functions } from './functions.ts';

const USAGE = `Usage: tobira <command> [options]

Commands:
  start      Run the server
             --port <P>          port (env TOBIRA_PORT, default 9329)
             --host <H>          address (env TOBIRA_HOST, default 127.0.0.1)
             --data-dir <DIR>    SQLite data directory (env TOBIRA_DATA_DIR, default ./.tobira)
             --in-memory         keep everything in memory
             --database-url <U>  PostgreSQL shared by several nodes: postgres://user:pass@host/db
                                 (env TOBIRA_DATABASE_URL; the database needs LC_COLLATE 'C')
             --region <R>        default region (env TOBIRA_REGION, default us-east-1)
             --public-url <URL>  URL clients reach this server at (token issuer)
             --issuer aws        tokens carry https://cognito-idp.<region>.amazonaws.com/<poolId> as iss
             --hosted-ui-base-domain <D>  the hosted UI also answers on <prefix>.<D> (besides
                                 <prefix>.auth.<region>.localhost and /_domain/<prefix>)
             --log-level <L>     silent|error|warn|info|debug
             --log-format <F>    json|pretty (env TOBIRA_LOG_FORMAT; default pretty on a terminal, else json)
             --strict-auth-flows a client created without ExplicitAuthFlows refuses the
                                 password flows, exactly as Cognito (env TOBIRA_STRICT_AUTH_FLOWS=true)
             --enforce-tiers     refuse what the pool's UserPoolTier (LITE, ESSENTIALS, PLUS) lacks,
                                 as Cognito does (env TOBIRA_ENFORCE_TIERS=true; default: every
                                 feature on every tier)
             --smtp-url <URL>    send emails through SMTP: smtp://user:pass@host:587 or smtps://...:465
                                 (env TOBIRA_SMTP_URL; without it emails stay in the outbox)
             --smtp-from <ADDR>  From address of emails (env TOBIRA_SMTP_FROM)
             --sms-webhook <URL> POST each SMS as JSON {destination, body} here (env TOBIRA_SMS_WEBHOOK_URL)
             --admin-token <T>   Bearer token for /_tobira/* from other machines (env TOBIRA_ADMIN_TOKEN)
             --admin-credentials-file <F> admin operations must be SigV4-signed by one of the
                                 AKID:SECRET lines of F (env TOBIRA_ADMIN_CREDENTIALS=AKID:SECRET,...)
             --master-key-file <F> encrypt signing keys and client secrets at rest with the key in F
                                 (env TOBIRA_MASTER_KEY; 16 characters or more)
             --custom-sender-key-file <F> the AES key (base64) that encrypts codes for CustomEmailSender /
                                 CustomSMSSender functions (env TOBIRA_CUSTOM_SENDER_KEY)
             (env TOBIRA_DEV_MODE=false: no outbox copy of delivered messages, no codes in the log)
             --gateway-config <F> also serve the gateway of this JSON file on its own port
             --functions-dir <DIR> Lambda triggers as <name>.mjs|.js|.ts|.py handler files here
                                 (env TOBIRA_FUNCTIONS_DIR; default ./functions when it exists)
             --config <F>        a JSON file whose "functions" object maps names or ARNs to
                                 {"handler": "path#export"} or {"invokeUrl": "URL"} (env TOBIRA_CONFIG;
                                 re-read when it changes)
             --lambda-endpoint <URL|aws> other functions through Lambda's Invoke API there (SAM local,
                                 LocalStack; aws: AWS Lambda) (env TOBIRA_LAMBDA_ENDPOINT)
             --sts-endpoint <URL> get identity pool credentials from this STS (AssumeRoleWithWebIdentity)
                                 instead of minting them (env TOBIRA_STS_ENDPOINT)
             --compromised-passwords-file <F> threat protection's breached passwords: SHA1HEX:COUNT lines
                                 sorted by hash, as Pwned Passwords (env TOBIRA_COMPROMISED_PASSWORDS_FILE)
             --auth-event-retention-days <N> keep authentication events N days (default 730, as Cognito;
                                 env TOBIRA_AUTH_EVENT_RETENTION_DAYS)
             --request-timeout-seconds <S>    time to receive a whole request (default 60)
             --headers-timeout-seconds <S>    time to receive a request's headers (default 20)
             --keep-alive-timeout-seconds <S> idle time of a keep-alive connection (default 65)
             --max-connections <N>            open connections at most (default 1000)
                                 (env TOBIRA_REQUEST_TIMEOUT_SECONDS ...; these bound the gateway
                                 beside it too, each listener on its own)
` + OUTBOX_USAGE + GATEWAY_USAGE + KEYS_USAGE + FUNCTIONS_USAGE;

/** Builds the server configuration from flags over environment over defaults. */
export function configFromArgs(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Config {
  const config = defaultConfig(env);
  const port = flagString(args, 'port');
  if (port !== undefined) config.port = Number(port);
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new Error(`invalid port: ${port ?? env.TOBIRA_PORT}`);
  }
  config.host = flagString(args, 'host') ?? config.host;
  config.dataDir = flagString(args, 'data-dir') ?? config.dataDir;
  if (args.flags['in-memory']) config.dataDir = null;
  config.databaseUrl = flagString(args, 'database-url') ?? config.databaseUrl;
  config.region = flagString(args, 'region') ?? config.region;
  config.publicUrl = flagString(args, 'public-url') ?? config.publicUrl;
  config.hostedUiBaseDomain = flagString(args, 'hosted-ui-base-domain')?.toLowerCase() ?? config.hostedUiBaseDomain;
  const issuer = flagString(args, 'issuer');
  if (issuer) config.issuerMode = issuer === 'aws' ? 'aws' : 'tobira';
  if (args.flags['strict-auth-flows']) config.strictAuthFlows = true;
  if (args.flags['enforce-tiers']) config.enforceTiers = true;
  const format = flagString(args, 'log-format');
  if (format !== undefined) {
    if (format !== 'json' && format !== 'pretty') throw new Error(`--log-format must be json or pretty, not ${format}`);
    config.logFormat = format;
  }
  const level = flagString(args, 'log-level');
  if (level) config.logLevel = level as Config['logLevel'];
  const smtpUrl = flagString(args, 'smtp-url');
  const smtpFrom = flagString(args, 'smtp-from');
  if (smtpUrl) config.smtp = parseSmtpUrl(smtpUrl, smtpFrom ?? env.TOBIRA_SMTP_FROM);
  else if (smtpFrom && config.smtp) config.smtp.from = smtpFrom;
  config.smsWebhookUrl = flagString(args, 'sms-webhook') ?? config.smsWebhookUrl;
  config.adminToken = flagString(args, 'admin-token') ?? config.adminToken;
  const masterKeyFile = flagString(args, 'master-key-file');
  if (masterKeyFile !== undefined) config.masterKey = readMasterKeyFile(masterKeyFile);
  const credentialsFile = flagString(args, 'admin-credentials-file');
  if (credentialsFile !== undefined) config.adminCredentials = readAdminCredentialsFile(credentialsFile);
  config.limits = limitsFromArgs(args, env);
  config.functionsDir = flagString(args, 'functions-dir') ?? config.functionsDir;
  config.configFile = flagString(args, 'config') ?? config.configFile;
  config.lambdaEndpoint = flagString(args, 'lambda-endpoint') ?? config.lambdaEndpoint;
  const senderKeyFile = flagString(args, 'custom-sender-key-file');
  if (senderKeyFile !== undefined) config.customSenderKey = readFileSync(senderKeyFile, 'utf8').trim();
  config.stsEndpoint = flagString(args, 'sts-endpoint') ?? config.stsEndpoint;
  config.compromisedPasswordsFile = flagString(args, 'compromised-passwords-file') ?? config.compromisedPasswordsFile;
  const retention = flagString(args, 'auth-event-retention-days');
  if (retention !== undefined) config.authEventRetentionDays = Number(retention);
  if (!(Number(config.authEventRetentionDays ?? 730) > 0)) throw new Error(`invalid --auth-event-retention-days: ${retention ?? env.TOBIRA_AUTH_EVENT_RETENTION_DAYS}`);
  return config;
}

/** Where the data is, for the start-up line; a database URL without its password. */
function where(config: Config): string {
  if (config.databaseUrl) {
    try {
      const u = new URL(config.databaseUrl);
      u.password = u.password ? '***' : '';
      return `in PostgreSQL ${u.toString()}`;
    } catch {
      return 'in PostgreSQL';
    }
  }
  return config.dataDir ? `in ${config.dataDir}` : 'in memory';
}

async function start(args: ParsedArgs): Promise<void> {
  const { startTobira } = await import('../tobira.ts');
  const config = configFromArgs(args);
  const running = await startTobira(config);
  running.app.log.info(
    { url: running.url, data: where(config), region: config.region },
    `Tobira listening on ${running.url}, data ${where(config)}`,
  );
  const gatewayFile = flagString(args, 'gateway-config');
  const gw = gatewayFile
    ? await startGatewayBeside(gatewayFile, running.url, running.app.log, config.limits, running.app.functions).catch(async (err) => {
        await running.close();
        throw err;
      })
    : null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.app.log.info({ signal }, 'shutting down');
    await gw?.close();
    await running.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

export const commands: Record<string, (args: ParsedArgs) => Promise<void>> = { start, outbox: (args) => outbox(args), gateway: (args) => gateway(args), keys: (args) => keys(args), functions: (args) => functions(args) };

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const run = command ? commands[command] : undefined;
  if (!run) {
    process.stdout.write(USAGE);
    process.exitCode = command && command !== 'help' && command !== '--help' ? 2 : 0;
    return;
  }
  try {
    await run(parseArgs(rest, ['in-memory', 'strict-auth-flows', 'enforce-tiers', 'follow', 'json']));
  } catch (err) {
    process.stderr.write(`tobira ${command}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
