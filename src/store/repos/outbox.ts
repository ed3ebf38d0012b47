import type { Sql } from '../db.ts';

/** One message as kept in the outbox: what was sent, to whom, and for what. */
export interface OutboxMessage {
  id: string;
  /** Increasing number, for `--follow` and `?after=`. */
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

export interface OutboxQuery {
  poolId?: string;
  /** Destination, compared without case (email addresses). */
  to?: string;
  /** Only messages with a greater seq. */
  afterSeq?: number;
  limit?: number;
}

export class OutboxRepo {
  constructor(private readonly sql: Sql) {}

  /** Appends a message; its seq is one more than the greatest so far. Returns the stored message. */
  async append(m: Omit<OutboxMessage, 'seq'>): Promise<OutboxMessage> {
    await this.sql.run(
      `INSERT INTO outbox (id, seq, pool_id, channel, destination, subject, body, data, created_at)
       SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM outbox`,
      [m.id, m.poolId, m.channel, m.destination, m.subject, m.body, JSON.stringify(m.data), m.createdAt],
    );
    return (await this.get(m.id))!;
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
      const rows = await this.sql.all<Row>(`SELECT * FROM outbox ${cond} ORDER BY seq LIMIT ?`, [...params, limit]);
      return rows.map(fromRow);
    }
    const rows = await this.sql.all<Row>(`SELECT * FROM outbox ${cond} ORDER BY seq DESC LIMIT ?`, [...params, limit]);
    return rows.map(fromRow).reverse();
  }

  /** Deletes the messages numbered `seq` and below. */
  async trimBefore(seq: number): Promise<number> {
    if (seq <= 0) return 0;
    return (await this.sql.run('DELETE FROM outbox WHERE seq <= ?', [seq])).changes;
  }

  async clear(poolId?: string): Promise<number> {
    const r = poolId ? await this.sql.run('DELETE FROM outbox WHERE pool_id = ?', [poolId]) : await this.sql.run('DELETE FROM outbox');
    return r.changes;
  }
}
