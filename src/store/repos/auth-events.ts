import type { Sql } from '../db.ts';

/** One recorded authentication event of a user (domain/threat/events.ts gives it meaning). */
export interface StoredAuthEvent {
  poolId: string;
  eventId: string;
  usernameKey: string;
  clientId: string | null;
  /** SignIn, SignUp, ForgotPassword, PasswordChange, ResendCode. */
  eventType: string;
  /** Pass, Fail, InProgress. */
  response: string;
  /** EventRiskType as stored. */
  risk: Record<string, unknown>;
  /** ChallengeResponseType[] as stored. */
  challenges: { ChallengeName: string; ChallengeResponse: string }[];
  /** EventContextDataType, plus what Tobira keeps for its own signals. */
  context: Record<string, string>;
  /** The address and device the risk signals compare (ip, device fingerprint or user agent). */
  ip: string | null;
  device: string | null;
  feedback: { FeedbackValue: string; Provider: string; FeedbackDate: number } | null;
  /** SHA-256 (hex) of the token a notification email carried, for UpdateAuthEventFeedback. */
  feedbackTokenHash: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  pool_id: string;
  event_id: string;
  username_key: string;
  client_id: string | null;
  event_type: string;
  response: string;
  risk: string;
  challenges: string;
  context: string;
  ip: string | null;
  device: string | null;
  feedback: string | null;
  feedback_token_hash: string | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): StoredAuthEvent => ({
  poolId: r.pool_id,
  eventId: r.event_id,
  usernameKey: r.username_key,
  clientId: r.client_id,
  eventType: r.event_type,
  response: r.response,
  risk: JSON.parse(r.risk),
  challenges: JSON.parse(r.challenges),
  context: JSON.parse(r.context),
  ip: r.ip,
  device: r.device,
  feedback: r.feedback ? JSON.parse(r.feedback) : null,
  feedbackTokenHash: r.feedback_token_hash,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** A user's authentication events; they go with their user (and pool). */
export class AuthEventRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, eventId: string): Promise<StoredAuthEvent | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM auth_events WHERE pool_id = ? AND event_id = ?', [poolId, eventId]);
    return row && fromRow(row);
  }

  /** Inserts a new event, or replaces the one of that id (an event updated as its sign-in goes on). */
  async put(e: StoredAuthEvent): Promise<void> {
    await this.sql.run(
      `INSERT INTO auth_events (pool_id, event_id, username_key, client_id, event_type, response, risk, challenges, context, ip, device, feedback, feedback_token_hash, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pool_id, event_id) DO UPDATE SET response = excluded.response, risk = excluded.risk,
         challenges = excluded.challenges, context = excluded.context, feedback = excluded.feedback,
         feedback_token_hash = excluded.feedback_token_hash, updated_at = excluded.updated_at`,
      [
        e.poolId,
        e.eventId,
        e.usernameKey,
        e.clientId,
        e.eventType,
        e.response,
        JSON.stringify(e.risk),
        JSON.stringify(e.challenges),
        JSON.stringify(e.context),
        e.ip,
        e.device,
        e.feedback ? JSON.stringify(e.feedback) : null,
        e.feedbackTokenHash,
        e.createdAt,
        e.updatedAt,
      ],
    );
  }

  /**
   * A page of a user's events, newest first; `after` is the (createdAt, eventId) of the last one
   * of the previous page.
   */
  async page(poolId: string, usernameKey: string, limit: number, after?: { createdAt: number; eventId: string }): Promise<StoredAuthEvent[]> {
    const rows = after
      ? await this.sql.all<Row>(
          `SELECT * FROM auth_events WHERE pool_id = ? AND username_key = ? AND (created_at, event_id) < (?, ?)
           ORDER BY created_at DESC, event_id DESC LIMIT ?`,
          [poolId, usernameKey, after.createdAt, after.eventId, limit],
        )
      : await this.sql.all<Row>('SELECT * FROM auth_events WHERE pool_id = ? AND username_key = ? ORDER BY created_at DESC, event_id DESC LIMIT ?', [
          poolId,
          usernameKey,
          limit,
        ]);
    return rows.map(fromRow);
  }

  /** The pool's newest events, whoever they concern (the console's feed). */
  async recentInPool(poolId: string, limit: number): Promise<StoredAuthEvent[]> {
    const rows = await this.sql.all<Row>('SELECT * FROM auth_events WHERE pool_id = ? ORDER BY created_at DESC, event_id DESC LIMIT ?', [poolId, limit]);
    return rows.map(fromRow);
  }

  /** The user's events since `since`, newest first, at most `limit` (the risk signals read these). */
  async since(poolId: string, usernameKey: string, since: number, limit: number): Promise<StoredAuthEvent[]> {
    const rows = await this.sql.all<Row>(
      'SELECT * FROM auth_events WHERE pool_id = ? AND username_key = ? AND created_at >= ? ORDER BY created_at DESC, event_id DESC LIMIT ?',
      [poolId, usernameKey, since, limit],
    );
    return rows.map(fromRow);
  }

  /** Whether the user ever passed a sign-in from this address / device (not marked Invalid by feedback). */
  async seen(poolId: string, usernameKey: string, column: 'ip' | 'device', value: string): Promise<boolean> {
    const row = await this.sql.get<{ one: number }>(
      `SELECT 1 AS one FROM auth_events WHERE pool_id = ? AND username_key = ? AND ${column === 'ip' ? 'ip' : 'device'} = ?
         AND event_type = 'SignIn' AND response = 'Pass' AND (feedback IS NULL OR feedback NOT LIKE '%"Invalid"%') LIMIT 1`,
      [poolId, usernameKey, value],
    );
    return !!row;
  }

  /** Whether the user has any passed sign-in at all (a first sign-in has nothing to compare with). */
  async anyPassedSignIn(poolId: string, usernameKey: string): Promise<boolean> {
    const row = await this.sql.get<{ one: number }>(
      `SELECT 1 AS one FROM auth_events WHERE pool_id = ? AND username_key = ? AND event_type = 'SignIn' AND response = 'Pass' LIMIT 1`,
      [poolId, usernameKey],
    );
    return !!row;
  }

  /** Deletes up to `limit` events created before `before`; returns how many. */
  async purgeOlderThan(before: number, limit: number): Promise<number> {
    const r = await this.sql.run(
      `DELETE FROM auth_events WHERE (pool_id, event_id) IN (SELECT pool_id, event_id FROM auth_events WHERE created_at < ? LIMIT ?)`,
      [before, limit],
    );
    return r.changes;
  }
}
