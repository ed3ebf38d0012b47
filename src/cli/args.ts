import { limitsFrom, type ListenerLimits } from '../config.ts';

/** Minimal flag parsing: `--name value`, `--name=value` and boolean `--flag`. */
export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[], booleans: string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      flags[a.slice(2, eq)] = a.slice(eq + 1);
    } else if (booleans.includes(a.slice(2)) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
      flags[a.slice(2)] = true;
    } else {
      flags[a.slice(2)] = argv[++i];
    }
  }
  return { positional, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The listener limits (config.ts's LIMIT_SETTINGS) from `--request-timeout-seconds` ... over
 * TOBIRA_REQUEST_TIMEOUT_SECONDS ... over the defaults.
 */
export function limitsFromArgs(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): ListenerLimits {
  return limitsFrom((name) => {
    if (args.flags[name] === true) throw new Error(`--${name} needs a value`);
    return flagString(args, name);
  }, env);
}
