import { readFileSync } from 'node:fs';
import { defaultConfig, parseSmtpUrl, readAdminCredentialsFile, readMasterKeyFile, type Config } from '../config.ts';
import { flagString, limitsFromArgs, parseArgs, UsageError, type ParsedArgs } from './args.ts';
import { commandHelp, COMMANDS, generalUsage } from './flags.ts';
import { isClusterWorker, primaryPrepared, reportListening, runPrimary, workerCount, workerFailed, workerLog } from './workers.ts';

// Every command's flags, their environment variables and defaults are declared once, in
// flags.ts: the strict parser, `tobira <command> --help`, this usage and the README's
// configuration table are made from that list. A new flag or command is added there.
const USAGE = generalUsage();

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
  if (args.flags.https) config.https = true;
  config.tlsCert = flagString(args, 'tls-cert') ?? config.tlsCert;
  config.tlsKey = flagString(args, 'tls-key') ?? config.tlsKey;
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
  if (args.flags.prune) config.prune = true;
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
  const config = configFromArgs(args);
  // --workers N (workers.ts): this process becomes the primary of N that run the code below.
  const worker = isClusterWorker();
  const workers = worker ? 1 : workerCount(flagString(args, 'workers'), process.env, config);
  if (workers > 1) {
    return runPrimary(config, workers, (log, url) =>
      log.info({ url, data: where(config), region: config.region, workers }, `Tobira listening on ${url}, data ${where(config)}, ${workers} workers`),
    );
  }
  return worker ? serve(args, config, true).catch(workerFailed) : serve(args, config, false);
}

/** One process serving: the only one, or a worker of `--workers N`, which tells its primary instead of the banner. */
async function serve(args: ParsedArgs, config: Config, worker: boolean): Promise<void> {
  const { startTobira } = await import('../tobira.ts');
  if (worker) await primaryPrepared();
  const running = await startTobira(config, worker ? { clusterWorker: true, log: await workerLog(config) } : {});
  if (worker) reportListening(running.url);
  else {
    running.app.log.info(
      { url: running.url, data: where(config), region: config.region },
      `Tobira listening on ${running.url}, data ${where(config)}`,
    );
  }
  const gatewayFile = flagString(args, 'gateway-config');
  const gw = gatewayFile
    ? await (await import('./gateway.ts')).startGatewayBeside(gatewayFile, running.url, running.app.log, config.limits, running.app.functions).catch(async (err) => {
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

// The commands other than `start` are loaded when run: a server keeps none of their code.
export const commands: Record<string, (args: ParsedArgs) => Promise<void>> = {
  start,
  outbox: async (args) => (await import('./outbox.ts')).outbox(args),
  gateway: async (args) => (await import('./gateway.ts')).gateway(args),
  keys: async (args) => (await import('./keys.ts')).keys(args),
  functions: async (args) => (await import('./functions.ts')).functions(args),
  'import-users': async (args) => (await import('./import-users.ts')).importUsers(args),
  export: async (args) => (await import('./export.ts')).exportCommand(args),
  import: async (args) => (await import('./import.ts')).importCommand(args),
  backup: async (args) => (await import('./backup.ts')).backup(args),
};

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // A command must have its flags declared (flags.ts) to run: there is no lenient parsing.
  const run = command && Object.hasOwn(COMMANDS, command) ? commands[command] : undefined;
  if (!run) {
    process.stdout.write(USAGE);
    process.exitCode = command && command !== 'help' && command !== '--help' ? 2 : 0;
    return;
  }
  try {
    const args = parseArgs(rest, command);
    if (args.flags.help) {
      process.stdout.write(commandHelp(command));
      return;
    }
    await run(args);
  } catch (err) {
    const hint = err instanceof UsageError ? ` (tobira ${command} --help lists its flags)` : '';
    process.stderr.write(`tobira ${command}: ${(err as Error).message}${hint}\n`);
    process.exitCode = 1;
  }
}
