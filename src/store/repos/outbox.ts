import type { Sql } from '../db.ts';

/** One message as kept in the outbox: what was sent, to whom, and for what. */
export interface OutboxMessage {
  id: string;
  /**
   * Ordering number for `--follow` and `?after=`: the append time in ms times 1024, bumped past
   * the last one this process gave (see nextSeq). Unique per process, ordered by time across
   * nodes; readers that follow look back a little (FOLLOW_LOOKBACK_SEQ) for late commits.
   */
  seq: number;
  poolId: string | null;
  channel: 'EMAIL' | 'SMS';
  destination: string;
  subject: string | null;
  body: string;
  /** kind, username, code (dev mode only) and delivery results. */
  data: Record<string, unknown>;
  createdAt: number;
}

interface Row {
  id: string;
  seq: number;
  pool_id: string | null;
  channel: string;
  destination: string;
  subject: string | null;
  body: string;
  data: string;
  created_at: number;
}

const fromRow = (r: Row): OutboxMessage => ({
  id: r.id,
  seq: Number(r.seq),
  poolId: r.pool_id,
  channel: r.channel as OutboxMessage['channel'],
  destination: r.destination,
  subject: r.subject,
  body: r.body,
  data: JSON.parse(r.data),
  createdAt: Number(r.created_at),
});

/** A message as GET /_tobira/outbox and `tobira outbox --json` show it: its data flattened in. */
export function outboxJson(m: OutboxMessage) {
  return {
    id: m.id,
    seq: m.seq,
    poolId: m.poolId,
    channel: m.channel,
    destination: m.destination,
    subject: m.subject,
    body: m.body,
    ...m.data,
    createdAt: new Date(m.createdAt).toISOString(),
  };
}

export interface OutboxQuery {
  poolId?: string;
  /** Destination, compared without case (email addresses). */
  to?: string;
  /** Only messages with a greater seq. */
  afterSeq?: number;
  limit?: number;
}

const SEQ_PER_MS = 1024;
let lastSeq = 0;

/**
 * The seq of a message appended at `createdAt`: no read of MAX(seq), so concurrent appends on
 * several PostgreSQL nodes never collide or wait on each other (the old MAX + 1 could give two
 * messages one number). Within a process it strictly increases even when the clock stands still
 * (tests' ManualClock) or steps back; across nodes it follows their clocks.
 */
function nextSeq(createdAt: number): number {
  lastSeq = Math.max(Math.floor(createdAt) * SEQ_PER_MS, lastSeq + 1);
  return lastSeq;
}

/**
 * How far back (in seq units: 10 s) a follower re-reads to catch messages another node committed
 * late or stamped with a slightly slower clock; it skips ids it has already shown.
 */
export const FOLLOW_LOOKBACK_SEQ = 10_000 * SEQ_PER_MS;

export class OutboxRepo {
  constructor(private readonly sql: Sql) {}

  /** Appends a message with the next seq (see nextSeq). Returns the stored message. */
  async append(m: Omit<OutboxMessage, 'seq'>): Promise<OutboxMessage> {
    const seq = nextSeq(m.createdAt);
    await this.sql.run(
      `INSERT INTO outbox (id, seq, pool_id, channel, destination, subject, body, data, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [m.id, seq, m.poolId, m.channel, m.destination, m.subject, m.body, JSON.stringify(m.data), m.createdAt],
    );
    return { ...m, seq };
  }

  async get(id: string): Promise<OutboxMessage | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM outbox WHERE id = ?', [id]);
    return row && fromRow(row);
  }

  /** Merges delivery results into a message's data (e.g. the SMTP message id or the error). */
  async annotate(id: string, data: Record<string, unknown>): Promise<void> {
    const m = await this.get(id);
    if (!m) return;
    await this.sql.run('UPDATE outbox SET data = ? WHERE id = ?', [JSON.stringify({ ...m.data, ...data }), id]);
  }

  /** Messages in seq order, oldest first; with no afterSeq, the newest `limit` of them. */
  async list(q: OutboxQuery = {}): Promise<OutboxMessage[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.poolId) {
      where.push('pool_id = ?');
      params.push(q.poolId);
    }
    if (q.to) {
      where.push('LOWER(destination) = ?');
      params.push(q.to.toLowerCase());
    }
    if (q.afterSeq !== undefined) {
      where.push('seq > ?');
      params.push(q.afterSeq);
    }
    const limit = Math.max(1, Math.min(q.limit ?? 100, 1000));
    const cond = where.length ? `WHERE ${where.join(' AND ')}` : '';
    if (q.afterSeq !== undefined) {
      const rows = await this.sql.all<Row>(`SELECT * FROM outbox ${cond} ORDER BY seq, id LIMIT ?`, [...params, limit]);
      return rows.map(fromRow);
    }
    const rows = await this.sql.all<Row>(`SELECT * FROM outbox ${cond} ORDER BY seq DESC, id DESC LIMIT ?`, [...params, limit]);
    return rows.map(fromRow).reverse();
  }

  /** Deletes the messages numbered `seq` and below. */
  async trimBefore(seq: number): Promise<number> {
    if (seq <= 0) return 0;
    return (await this.sql.run('DELETE FROM outbox WHERE seq <= ?', [seq])).changes;
  }

  /** Deletes all but the newest `keep` messages (one statement; nothing when there are fewer). */
  async keepNewest(keep: number): Promise<number> {
    const r = await this.sql.run('DELETE FROM outbox WHERE seq < (SELECT seq FROM outbox ORDER BY seq DESC LIMIT 1 OFFSET ?)', [
      Math.max(0, keep - 1),
    ]);
    return r.changes;
  }

  async clear(poolId?: string): Promise<number> {
    const r = poolId ? await this.sql.run('DELETE FROM outbox WHERE pool_id = ?', [poolId]) : await this.sql.run('DELETE FROM outbox');
    return r.changes;
  }
}
