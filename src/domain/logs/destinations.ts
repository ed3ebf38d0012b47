import { appendFile, mkdir } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';

/**
 * Where a log record goes. Cognito names a CloudWatch log group, an S3 bucket or a Firehose
 * stream by ARN; Tobira reaches none of them, so the config file (`--config`) maps each ARN to a
 * local destination:
 *
 *   { "logDestinations": { "<arn>": { "file": "logs/auth.jsonl" } | { "stdout": true } | { "webhook": "http://..." } } }
 *
 * A relative file is relative to the config file. An ARN the file does not map goes to
 * `<data dir>/log-delivery.jsonl` (with no data dir, --in-memory: to the server's own log).
 */
export type LogDestination = { kind: 'file'; path: string } | { kind: 'stdout' } | { kind: 'webhook'; url: string } | { kind: 'server-log' };

export const DEFAULT_LOG_FILE = 'log-delivery.jsonl';

/** The `logDestinations` object of a parsed config file; throws on a malformed entry. */
export function parseLogDestinations(config: unknown, baseDir: string, where = 'the config file'): Map<string, LogDestination> {
  const out = new Map<string, LogDestination>();
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error(`${where}: expected a JSON object`);
  const map = (config as Record<string, unknown>).logDestinations;
  if (map === undefined) return out;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${where}: "logDestinations" must be an object of ARN -> destination`);
  for (const [arn, raw] of Object.entries(map)) {
    const e = raw as Record<string, unknown>;
    const bad = () => new Error(`${where}: logDestinations["${arn}"] must be {"file": "path"}, {"stdout": true} or {"webhook": "http(s)://..."}`);
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad();
    if (typeof e.file === 'string' && e.file) out.set(arn, { kind: 'file', path: isAbsolute(e.file) ? e.file : resolve(baseDir, e.file) });
    else if (e.stdout === true) out.set(arn, { kind: 'stdout' });
    else if (typeof e.webhook === 'string' && /^https?:\/\//.test(e.webhook)) out.set(arn, { kind: 'webhook', url: e.webhook });
    else throw bad();
  }
  return out;
}

/**
 * The mapping, read from the config file and read again when the file changes (as the functions
 * mapping is: functions/config-file.ts); a file that stops parsing keeps the last good mapping.
 */
export class LogDestinations {
  private mapping = new Map<string, LogDestination>();
  private stamp: string | undefined;

  constructor(
    private readonly configFile: string | null,
    private readonly dataDir: string | null,
    private readonly log: Logger,
  ) {}

  resolve(arn: string): LogDestination {
    this.refresh();
    const mapped = this.mapping.get(arn);
    if (mapped) return mapped;
    return this.dataDir ? { kind: 'file', path: join(this.dataDir, DEFAULT_LOG_FILE) } : { kind: 'server-log' };
  }

  private refresh(): void {
    if (!this.configFile) return;
    let now: string | undefined;
    try {
      const s = statSync(this.configFile);
      now = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      now = undefined;
    }
    if (now === undefined || now === this.stamp) return;
    this.stamp = now;
    try {
      this.mapping = parseLogDestinations(JSON.parse(readFileSync(this.configFile, 'utf8')), dirname(this.configFile), this.configFile);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot read logDestinations from the config file; keeping the mapping read before');
    }
  }
}

/** Appends to one file at a time per path, so lines of concurrent records never interleave. */
const fileQueues = new Map<string, Promise<void>>();

/** Writes one record; never throws (delivery is best effort, as Cognito's is). */
export async function write(dest: LogDestination, record: object, log: Logger): Promise<void> {
  const line = `${JSON.stringify(record)}\n`;
  try {
    switch (dest.kind) {
      case 'stdout':
        process.stdout.write(line);
        return;
      case 'server-log':
        log.info({ logRecord: record }, 'log delivery');
        return;
      case 'file': {
        const prev = fileQueues.get(dest.path) ?? Promise.resolve();
        const next = prev.then(async () => {
          await mkdir(dirname(dest.path), { recursive: true });
          await appendFile(dest.path, line, 'utf8');
        });
        const settled = next.catch(() => undefined);
        fileQueues.set(dest.path, settled);
        void settled.then(() => {
          if (fileQueues.get(dest.path) === settled) fileQueues.delete(dest.path);
        });
        await next;
        return;
      }
      case 'webhook': {
        const res = await fetch(dest.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: line, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`webhook answered ${res.status}`);
        return;
      }
    }
  } catch (err) {
    log.warn({ destination: dest.kind, err: (err as Error).message }, 'log delivery failed');
  }
}
