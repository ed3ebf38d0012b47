import { defaultConfig, type Config } from '../config.ts';
import { flagString, parseArgs, type ParsedArgs } from './args.ts';

const USAGE = `Usage: tobira <command> [options]

Commands:
  start      Run the server
             --port <P>          port (env TOBIRA_PORT, default 9329)
             --host <H>          address (env TOBIRA_HOST, default 127.0.0.1)
             --data-dir <DIR>    SQLite data directory (env TOBIRA_DATA_DIR, default ./.tobira)
             --in-memory         keep everything in memory
             --region <R>        default region (env TOBIRA_REGION, default us-east-1)
             --public-url <URL>  URL clients reach this server at (token issuer)
             --issuer aws        tokens carry https://cognito-idp.<region>.amazonaws.com/<poolId> as iss
             --log-level <L>     silent|error|warn|info|debug
`;

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
  config.region = flagString(args, 'region') ?? config.region;
  config.publicUrl = flagString(args, 'public-url') ?? config.publicUrl;
  const issuer = flagString(args, 'issuer');
  if (issuer) config.issuerMode = issuer === 'aws' ? 'aws' : 'tobira';
  const level = flagString(args, 'log-level');
  if (level) config.logLevel = level as Config['logLevel'];
  return config;
}

async function start(args: ParsedArgs): Promise<void> {
  const { startTobira } = await import('../tobira.ts');
  const config = configFromArgs(args);
  const running = await startTobira(config);
  running.app.log.info(
    { url: running.url, data: config.dataDir ?? 'in memory', region: config.region },
    `Tobira listening on ${running.url}, data ${config.dataDir ? `in ${config.dataDir}` : 'in memory'}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.app.log.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

export const commands: Record<string, (args: ParsedArgs) => Promise<void>> = { start };

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const run = command ? commands[command] : undefined;
  if (!run) {
    process.stdout.write(USAGE);
    process.exitCode = command && command !== 'help' && command !== '--help' ? 2 : 0;
    return;
  }
  try {
    await run(parseArgs(rest, ['in-memory', 'follow']));
  } catch (err) {
    process.stderr.write(`tobira ${command}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
