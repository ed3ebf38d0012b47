import { defaultConfig, type Config } from '../config.ts';
import { Store } from '../store/store.ts';
import { FOLLOW_LOOKBACK_SEQ, outboxJson } from '../store/repos/outbox.ts';
import { flagString, type ParsedArgs } from './args.ts';
import { openStoredData } from './data.ts';
import { commandHelp } from './flags.ts';

/** This command's flags, from their one declaration (flags.ts). */
export const OUTBOX_USAGE = commandHelp('outbox');

interface Message {
  id: string;
  seq: number;
  poolId: string | null;
  channel: string;
  destination: string;
  subject: string | null;
  body: string;
  kind?: string;
  code?: string;
  createdAt: string;
  [k: string]: unknown;
}

interface Query {
  pool?: string;
  to?: string;
  after?: number;
  limit: number;
}

type Source = (q: Query) => Promise<Message[]>;

async function storeSource(at: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<{ read: Source; close: () => Promise<void> }> {
  const db = await openStoredData(at, 'give --data-dir, or --url of a running server');
  const store = new Store(db);
  return {
    read: async (q) =>
      (await store.outbox.list({ poolId: q.pool, to: q.to, afterSeq: q.after, limit: q.limit })).map(outboxJson),
    close: () => db.close(),
  };
}

function httpSource(base: string, token: string | undefined): { read: Source; close: () => Promise<void> } {
  return {
    read: async (q) => {
      const url = new URL('/_tobira/outbox', base);
      if (q.pool) url.searchParams.set('pool', q.pool);
      if (q.to) url.searchParams.set('to', q.to);
      if (q.after !== undefined) url.searchParams.set('after', String(q.after));
      url.searchParams.set('limit', String(q.limit));
      const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (res.status === 403) throw new Error(`${base} refused: not a loopback caller (set TOBIRA_ADMIN_TOKEN)`);
      if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
      return ((await res.json()) as { messages: Message[] }).messages;
    },
    close: async () => undefined,
  };
}

function print(m: Message, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(m)}\n`);
    return;
  }
  const head = `#${m.seq} ${m.createdAt} ${m.channel} to ${m.destination}${m.kind ? ` [${m.kind}]` : ''}${m.poolId ? ` pool ${m.poolId}` : ''}`;
  const lines = [head];
  if (m.subject) lines.push(`Subject: ${m.subject}`);
  lines.push(m.body);
  if (m.code) lines.push(`(code: ${m.code})`);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

export async function outbox(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const url = flagString(args, 'url') ?? env.TOBIRA_URL;
  const defaults = defaultConfig(env);
  const source = url
    ? httpSource(url, env.TOBIRA_ADMIN_TOKEN)
    : await storeSource({
        databaseUrl: flagString(args, 'database-url') ?? defaults.databaseUrl,
        dataDir: flagString(args, 'data-dir') ?? defaults.dataDir ?? './.tobira',
      });
  const limitFlag = flagString(args, 'limit');
  const limit = limitFlag !== undefined ? Number(limitFlag) : 20;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`invalid --limit: ${limitFlag}`);
  const query: Query = { pool: flagString(args, 'pool'), to: flagString(args, 'to'), limit };
  const json = args.flags.json === true;
  try {
    let last = 0;
    // Ids shown within the look-back window: another node may commit a message numbered below
    // the last one shown (its clock or its commit lagged), so each poll re-reads a little
    // further back than `last` and skips what it has printed.
    const shown = new Map<string, number>();
    const show = (m: Message) => {
      if (shown.has(m.id)) return;
      shown.set(m.id, m.seq);
      print(m, json);
      last = Math.max(last, m.seq);
    };
    for (const m of await source.read(query)) show(m);
    if (!args.flags.follow) return;
    let stopped = false;
    const stop = () => (stopped = true);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 500));
      const from = Math.max(0, last - FOLLOW_LOOKBACK_SEQ);
      for (let after: number | undefined = from; after !== undefined; ) {
        const page = await source.read({ ...query, after, limit: 1000 });
        page.forEach(show);
        after = page.length === 1000 ? page[999].seq : undefined;
      }
      for (const [id, seq] of shown) if (seq <= from) shown.delete(id);
    }
  } finally {
    await source.close();
  }
}
