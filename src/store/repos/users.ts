import { UniqueViolation, type Param, type Sql } from '../db.ts';
import type { User } from '../../domain/types.ts';
import { userTypeJson } from '../../domain/users/user-type.ts';

/** Attributes ListUsers can filter on besides username, sub and status (Cognito's list). */
export const INDEXED_ATTRIBUTES = ['email', 'phone_number', 'name', 'given_name', 'family_name', 'preferred_username'] as const;

const num = (v: number | null) => (v === null || v === undefined ? null : Number(v));

/** The columns of a bulk insert, with their PostgreSQL types (enabled and failed_attempts are INTEGER: an int8 casts to them). */
const USER_COLUMNS: [string, 'text' | 'bigint'][] = [
  ['pool_id', 'text'], ['username_key', 'text'], ['username', 'text'], ['sub', 'text'], ['status', 'text'], ['enabled', 'bigint'],
  ['attributes', 'text'], ['password_hash', 'text'], ['srp_salt', 'text'], ['srp_verifier', 'text'], ['password_changed_at', 'bigint'],
  ['temp_password_expires_at', 'bigint'], ['failed_attempts', 'bigint'], ['last_failed_at', 'bigint'], ['locked_until', 'bigint'],
  ['tokens_revoked_before', 'bigint'], ['data', 'text'], ['created_at', 'bigint'], ['updated_at', 'bigint'], ['listed', 'text'],
];
const ALIAS_COLUMNS: [string, 'text'][] = [['pool_id', 'text'], ['alias_key', 'text'], ['username_key', 'text']];
const INDEX_COLUMNS: [string, 'text'][] = [['pool_id', 'text'], ['name', 'text'], ['value', 'text'], ['username_key', 'text']];

/**
 * What a users row keeps in `listed` (migration 23): the user's UserType as a ListUsers page
 * without AttributesToGet writes it (domain/users/user-type.ts), so that a page is its rows'
 * texts joined, then U+0002 and a mark drawn anew at each write. Migration 23's trigger empties
 * the column when an UPDATE changes what the text is written from but leaves the text as it was:
 * a writer that does not know the column (a node of an earlier version, during an upgrade); the
 * mark keeps a write of this code that happens to give the same text from looking like one. A row
 * with no text (written before migration 23, or by such a writer) is listed from its columns.
 * JSON text holds no raw control character, so U+0002 ends the text.
 */
export function listedText(u: Pick<User, 'username' | 'attributes' | 'createdAt' | 'updatedAt' | 'enabled' | 'status' | 'data'>): string {
  return `${userTypeJson(u)}\u0002${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * listedText of a users row given by its columns (a row of `tobira export`, which leaves the
 * column out), for an import to write; null (listed from its columns) when its attributes are
 * not an object of strings or its data not an object.
 */
export function storedListedText(r: Record<string, string | number | null>): string | null {
  try {
    const attributes: unknown = JSON.parse(String(r.attributes));
    const data: unknown = r.data === null || r.data === undefined ? {} : JSON.parse(String(r.data));
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(attributes) || !Object.values(attributes).every((v) => typeof v === 'string') || !isObject(data)) return null;
    return listedText({
      username: String(r.username),
      attributes: attributes as Record<string, string>,
      status: String(r.status) as User['status'],
      enabled: Number(r.enabled) === 1,
      data: data as User['data'],
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    });
  } catch {
    return null;
  }
}

/** Column k of the rows as a PostgreSQL array literal: `{"a","b\\"c",NULL,3}`. */
function arrayLiteral(rows: Param[][], k: number): string {
  const items = rows.map((r) => {
    const v = r[k];
    if (v === null) return 'NULL';
    if (typeof v === 'number') return String(v);
    return v.includes('"') || v.includes('\\') ? `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"` : `"${v}"`;
  });
  return `{${items.join(',')}}`;
}

/**
 * Rows cut into chunks of 500, 100, 20, 5 or 1 for multi-row statements: at most 500 x 19
 * parameters (under SQLite's 32,766 and PostgreSQL's 65,535), and few statement shapes to prepare.
 */
function chunked<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const size of [500, 100, 20, 5, 1]) {
    while (rows.length - at >= size) out.push(rows.slice(at, (at += size)));
  }
  return out;
}

/**
 * One user's columns, read as an array (Sql.rows): a row object of 19 named fields cost the driver
 * about twice as much, on every request that reads its user. As in LISTED_COLUMNS, the username
 * key and data come back as NULL when they are the username itself and `{}`.
 */
export const USER_COLUMNS_READ =
  "NULLIF(u.username_key, u.username), u.username, u.sub, u.status, u.enabled, u.attributes, u.password_hash, u.srp_salt, u.srp_verifier, u.password_changed_at, u.temp_password_expires_at, u.failed_attempts, u.last_failed_at, u.locked_until, u.tokens_revoked_before, NULLIF(u.data, '{}'), u.created_at, u.updated_at";

export type UserRow = [
  username_key: string | null,
  username: string,
  sub: string,
  status: string,
  enabled: number,
  attributes: string,
  password_hash: string | null,
  srp_salt: string | null,
  srp_verifier: string | null,
  password_changed_at: number | null,
  temp_password_expires_at: number | null,
  failed_attempts: number,
  last_failed_at: number | null,
  locked_until: number | null,
  tokens_revoked_before: number | null,
  data: string | null,
  created_at: number,
  updated_at: number,
];

export const fromRow = (poolId: string, r: UserRow): User => ({
  poolId,
  usernameKey: r[0] ?? r[1],
  username: r[1],
  sub: r[2],
  status: r[3] as User['status'],
  enabled: Number(r[4]) === 1,
  attributes: JSON.parse(r[5]),
  passwordHash: r[6],
  srpSalt: r[7],
  srpVerifier: r[8],
  passwordChangedAt: num(r[9]),
  tempPasswordExpiresAt: num(r[10]),
  failedAttempts: Number(r[11]),
  lastFailedAt: num(r[12]),
  lockedUntil: num(r[13]),
  tokensRevokedBefore: num(r[14]),
  data: r[15] === null ? {} : JSON.parse(r[15]),
  createdAt: Number(r[16]),
  updatedAt: Number(r[17]),
});

/**
 * A user as a list shows it: no password hashes, SRP verifier or sign-in counters, and no sub
 * column (the sub is among the attributes). Each column of each row is a value the driver builds
 * (about 0.1 µs each on SQLite), so a page reads only these.
 */
export type ListedUser = Pick<User, 'poolId' | 'usernameKey' | 'username' | 'status' | 'enabled' | 'attributes' | 'data' | 'createdAt' | 'updatedAt'>;

/**
 * A listed user as read (Sql.rows: an array, no row object), its attributes and data still JSON
 * text: ListUsers writes its answer from that text (domain/users/list-users.ts). `unusual` is NULL
 * for the usual user, whose username key is its username and whose data is `{}`; else that data
 * and key (listedData, listedKey). Last, for a prefix filter on another field than the username,
 * the value the page is ordered by.
 */
export type ListedRow = [
  username: string,
  attributes: string,
  status: string,
  enabled: number,
  created_at: number,
  updated_at: number,
  unusual: string | null,
  position?: string | number,
];

// Each column of each row is a value the driver builds, about 0.1 µs each on SQLite, even a
// NULL: the two that are nearly always the defaults share one. The data is JSON.stringify's text,
// in which a control character is always escaped: the first U+0001 ends it.
const LISTED_COLUMNS =
  "u.username, u.attributes, u.status, u.enabled, u.created_at, u.updated_at, CASE WHEN u.username_key = u.username AND u.data = '{}' THEN NULL ELSE u.data || '\u0001' || u.username_key END";

/** A listed user's data, as JSON text; null for `{}`. */
export const listedData = (r: ListedRow): string | null => (r[6] === null ? null : r[6].slice(0, r[6].indexOf('\u0001')));

/** A listed user's username key. */
export const listedKey = (r: ListedRow): string => (r[6] === null ? r[0] : r[6].slice(r[6].indexOf('\u0001') + 1));

export const listedUser = (poolId: string, r: ListedRow): ListedUser => {
  const data = listedData(r);
  return {
    poolId,
    usernameKey: listedKey(r),
    username: r[0],
    status: r[2] as User['status'],
    enabled: Number(r[3]) === 1,
    attributes: JSON.parse(r[1]),
    data: data === null ? {} : JSON.parse(data),
    createdAt: Number(r[4]),
    updatedAt: Number(r[5]),
  };
};

/** A ListUsers condition: one column or indexed attribute, equal to or starting with a value. */
export interface UserFilter {
  field: 'username' | 'sub' | 'status' | 'enabled' | (typeof INDEXED_ATTRIBUTES)[number];
  op: '=' | '^=';
  value: string;
}

/**
 * Where a page ends: the username key of its last user and, for prefix filters (which page in
 * the order of the filtered value, so that an index range scan stops after one page), that
 * user's value of the filtered field.
 */
export interface ListCursor {
  key: string;
  value?: string;
}

// Upper bound for a prefix range scan: in binary (UTF-8) order every string starting with p
// sorts below p followed by the highest code point. Needs byte-order collation (PostgreSQL:
// COLLATE "C"; see migrations.ts).
const prefixEnd = (p: string) => `${p}\u{10FFFF}`;

const COLUMNS: Record<string, string> = { username: 'username', sub: 'sub', status: 'status', enabled: 'enabled' };

/** The cursor after a row of a page read with `filter`. */
export function cursorAfter(r: ListedRow, filter: UserFilter | null): ListCursor {
  const key = listedKey(r);
  return filter?.op === '^=' ? { key, value: String(r[7] ?? r[0]) } : { key };
}

/**
 * A listed user as its kept UserType (listedText) and where a page ending with it would end: the
 * text, U+0001, the username key and, for a prefix filter, U+0001 and the value the page is ordered
 * by. NULL for a row that keeps no text. One column, as one string, is what a row costs least to
 * read (a page of 60 users: ~36 µs on SQLite, against ~65 for ListedRow's seven columns and
 * ~25 for writing the answer from them).
 */
export type RenderedRow = string | null;
const RENDERED = "u.listed || '\u0001' || u.username_key";

/** The UserType JSON text of a RenderedRow. */
export const renderedUserType = (r: string): string => r.slice(0, r.indexOf('\u0002'));

/** The cursor after a RenderedRow of a page read with `filter`, as cursorAfter of its ListedRow. */
export function renderedCursor(r: string, filter: UserFilter | null): ListCursor {
  const at = r.indexOf('\u0001', r.indexOf('\u0002'));
  const end = r.indexOf('\u0001', at + 1);
  const key = end < 0 ? r.slice(at + 1) : r.slice(at + 1, end);
  return filter?.op === '^=' ? { key, value: r.slice(end + 1) } : { key };
}

const LIST_ALL = (columns: string) => `SELECT ${columns} FROM users u WHERE u.pool_id = ? AND u.username_key > ? ORDER BY u.username_key LIMIT ?`;
const LIST_IN_GROUP = (columns: string) => `SELECT ${columns} FROM user_groups g JOIN users u ON u.pool_id = g.pool_id AND u.username_key = g.username_key
  WHERE g.pool_id = ? AND g.group_name = ? AND g.username_key > ? ORDER BY g.username_key LIMIT ?`;
const LIST_ALL_ROWS = LIST_ALL(LISTED_COLUMNS);
const LIST_ALL_RENDERED = LIST_ALL(RENDERED);
const LIST_IN_GROUP_ROWS = LIST_IN_GROUP(LISTED_COLUMNS);
const LIST_IN_GROUP_RENDERED = LIST_IN_GROUP(RENDERED);

/**
 * The statement of a filtered page (UserRepo.listRows), by its shape; its parameters: the pool
 * (and the attribute's name), then for `=` the value and the key after which the page starts,
 * for `^=` the range of values and, after a first page, the cursor's (value, key); then the limit.
 */
const listStatements = new Map<string, string>();
function listStatement(field: UserFilter['field'], op: UserFilter['op'], after: boolean, rendered: boolean): string {
  const shape = `${field} ${op} ${after} ${rendered}`;
  let sql = listStatements.get(shape);
  if (sql !== undefined) return sql;
  const column = COLUMNS[field];
  const from = column
    ? { table: 'users u', col: `u.${column}`, where: 'u.pool_id = ?' }
    : {
        table: 'user_attribute_index i JOIN users u ON u.pool_id = i.pool_id AND u.username_key = i.username_key',
        col: 'i.value',
        where: 'i.pool_id = ? AND i.name = ?',
      };
  const key = column ? 'u.username_key' : 'i.username_key';
  const conds = [from.where];
  let order: string;
  let columns = rendered ? RENDERED : LISTED_COLUMNS;
  if (op === '=') {
    conds.push(`${from.col} = ?`, `${key} > ?`);
    order = key;
  } else {
    conds.push(`${from.col} >= ?`, `${from.col} < ?`);
    if (after) conds.push(`(${from.col}, ${key}) > (?, ?)`);
    // username and sub are unique in a pool, so they order a page alone (and need no sort).
    order = field === 'username' || field === 'sub' ? from.col : `${from.col}, ${key}`;
    // The value the page is ordered by, for the cursor (ListedRow's position): the username is read already.
    if (rendered) columns += ` || '\u0001' || ${from.col}`;
    else if (field !== 'username') columns += `, ${from.col}`;
  }
  sql = `SELECT ${columns} FROM ${from.table} WHERE ${conds.join(' AND ')} ORDER BY ${order} LIMIT ?`;
  listStatements.set(shape, sql);
  return sql;
}

export class UserRepo {
  /**
   * The suffix of a read of one user. In a PostgreSQL transaction it locks the user's row (FOR NO
   * KEY UPDATE, the lock the later UPDATE takes anyway, which still lets other transactions add
   * rows that reference the user): a transaction reads a user by key to change it or what hangs
   * off it (aliases, index, groups), so concurrent writers of one user wait for each other at
   * their first read instead of both running to a serialization failure at the write, and a
   * doomed attempt fails early and holds fewer predicate locks. SQLite has one writer and no
   * FOR UPDATE: there the suffix is empty.
   */
  private readonly lock: string;

  /** PostgreSQL: bulk inserts pass each column as an array (insertRows). */
  private readonly arrays: boolean;

  constructor(
    private readonly sql: Sql,
    opts: { lockReads?: boolean; arrays?: boolean } = {},
  ) {
    this.lock = opts.lockReads ? ' FOR NO KEY UPDATE' : '';
    this.arrays = opts.arrays ?? false;
  }

  async get(poolId: string, usernameKey: string): Promise<User | undefined> {
    const [row] = await this.sql.rows<UserRow>(`SELECT ${USER_COLUMNS_READ} FROM users u WHERE u.pool_id = ? AND u.username_key = ?${this.lock}`, [poolId, usernameKey]);
    return row && fromRow(poolId, row);
  }

  async getBySub(poolId: string, sub: string): Promise<User | undefined> {
    const [row] = await this.sql.rows<UserRow>(`SELECT ${USER_COLUMNS_READ} FROM users u WHERE u.pool_id = ? AND u.sub = ?${this.lock}`, [poolId, sub]);
    return row && fromRow(poolId, row);
  }

  /** The user holding an alias key such as `email:alice@example.com`. */
  async getByAlias(poolId: string, aliasKey: string): Promise<User | undefined> {
    const [row] = await this.sql.rows<UserRow>(
      `SELECT ${USER_COLUMNS_READ} FROM user_aliases a JOIN users u ON u.pool_id = a.pool_id AND u.username_key = a.username_key WHERE a.pool_id = ? AND a.alias_key = ?${this.lock && `${this.lock} OF u`}`,
      [poolId, aliasKey],
    );
    return row && fromRow(poolId, row);
  }

  /**
   * Inserts a new user; UniqueViolation('users', usernameKey) when the username (or sub) is taken.
   * ON CONFLICT DO NOTHING rather than a raised error: PostgreSQL would abort the transaction.
   */
  async insert(u: User): Promise<void> {
    const r = await this.sql.run(
      `INSERT INTO users (pool_id, username_key, username, sub, status, enabled, attributes, password_hash, srp_salt,
        srp_verifier, password_changed_at, temp_password_expires_at, failed_attempts, last_failed_at, locked_until,
        tokens_revoked_before, data, created_at, updated_at, listed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [
        u.poolId, u.usernameKey, u.username, u.sub, u.status, u.enabled ? 1 : 0, JSON.stringify(u.attributes),
        u.passwordHash, u.srpSalt, u.srpVerifier, u.passwordChangedAt, u.tempPasswordExpiresAt, u.failedAttempts,
        u.lastFailedAt, u.lockedUntil, u.tokensRevokedBefore, JSON.stringify(u.data), u.createdAt, u.updatedAt, listedText(u),
      ],
    );
    if (r.changes === 0) throw new UniqueViolation('users', u.usernameKey);
    await this.reindex(u, {});
  }

  /**
   * Inserts many new users (an import's batch) in a few multi-row statements: each with its
   * filter index and aliases, as insert() then setAliases() would one by one. The users must not
   * share a username key, sub or alias key among themselves. Returns why each user that was not
   * written was refused, by username key: 'user' when its username (or sub) is taken, else the
   * first of its alias keys that another user holds (the user is then not kept).
   */
  async insertMany(users: { user: User; aliasKeys: string[] }[]): Promise<Map<string, { taken: 'user' } | { taken: 'alias'; key: string }>> {
    const refused = new Map<string, { taken: 'user' } | { taken: 'alias'; key: string }>();
    if (!users.length) return refused;
    const poolId = users[0].user.poolId;
    if (users.some((e) => e.user.poolId !== poolId)) throw new Error('insertMany takes the users of one pool');
    const rows = users.map(({ user: u }): Param[] => [
      u.poolId, u.usernameKey, u.username, u.sub, u.status, u.enabled ? 1 : 0, JSON.stringify(u.attributes),
      u.passwordHash, u.srpSalt, u.srpVerifier, u.passwordChangedAt, u.tempPasswordExpiresAt, u.failedAttempts,
      u.lastFailedAt, u.lockedUntil, u.tokensRevokedBefore, JSON.stringify(u.data), u.createdAt, u.updatedAt, listedText(u),
    ]);
    const inserted = new Set<string>();
    for (const r of await this.insertRows('users', USER_COLUMNS, rows, ' ON CONFLICT DO NOTHING RETURNING username_key')) {
      inserted.add((r as { username_key: string }).username_key);
    }
    const written = users.filter((e) => inserted.has(e.user.usernameKey));
    for (const e of users) if (!inserted.has(e.user.usernameKey)) refused.set(e.user.usernameKey, { taken: 'user' });

    const aliasRows = written.flatMap((e) => e.aliasKeys.map((key): Param[] => [poolId, key, e.user.usernameKey]));
    const held = new Set<string>();
    for (const r of await this.insertRows('user_aliases', ALIAS_COLUMNS, aliasRows, ' ON CONFLICT (pool_id, alias_key) DO NOTHING RETURNING alias_key')) {
      held.add((r as { alias_key: string }).alias_key);
    }
    const kept: User[] = [];
    const dropped: Param[][] = [];
    for (const e of written) {
      const key = e.aliasKeys.find((k) => !held.has(k));
      if (key === undefined) kept.push(e.user);
      else {
        refused.set(e.user.usernameKey, { taken: 'alias', key });
        dropped.push([e.user.usernameKey]);
      }
    }
    // Its aliases that were written go with it (ON DELETE CASCADE).
    for (const chunk of chunked(dropped)) {
      await this.sql.run(`DELETE FROM users WHERE pool_id = ? AND username_key IN (${chunk.map(() => '?').join(', ')})`, [poolId, ...chunk.flat()]);
    }
    const indexRows = kept.flatMap((u) => INDEXED_ATTRIBUTES.filter((name) => u.attributes[name] !== undefined).map((name): Param[] => [poolId, name, u.attributes[name], u.usernameKey]));
    await this.insertRows('user_attribute_index', INDEX_COLUMNS, indexRows, '');
    return refused;
  }

  /**
   * INSERT INTO table of the rows, then `tail`; the rows it returns when `tail` has RETURNING.
   * PostgreSQL takes each column as one array parameter (unnest): one short statement to parse
   * and plan whatever the number of rows. SQLite takes multi-row VALUES, in chunks of a few fixed
   * sizes (so few statements are prepared and kept).
   */
  private async insertRows(table: string, columns: [name: string, type: 'text' | 'bigint'][], rows: Param[][], tail: string): Promise<unknown[]> {
    if (!rows.length) return [];
    const names = columns.map(([name]) => name).join(', ');
    const returns = tail.includes('RETURNING');
    if (this.arrays) {
      const sql = `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${columns.map(([, type]) => `CAST(? AS ${type}[])`).join(', ')})${tail}`;
      const params = columns.map((_, k) => arrayLiteral(rows, k));
      return returns ? this.sql.all(sql, params) : (await this.sql.run(sql, params), []);
    }
    const out: unknown[] = [];
    for (const chunk of chunked(rows)) {
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      const sql = `INSERT INTO ${table} (${names}) VALUES ${chunk.map(() => tuple).join(', ')}${tail}`;
      const params = chunk.flat();
      if (returns) out.push(...(await this.sql.all(sql, params)));
      else await this.sql.run(sql, params);
    }
    return out;
  }

  /** Writes every field of the user back, and the entries of its filter index that changed. */
  async update(u: User): Promise<void> {
    // The entries stored now are those of the stored attributes (insert and update keep them in
    // step; a change of INDEXED_ATTRIBUTES comes with a migration that rebuilds the index). The
    // row is the one this transaction read (and locked) already, so reading it again adds no
    // predicate lock, where reading the index table would.
    const before = await this.sql.get<{ attributes: string }>('SELECT attributes FROM users WHERE pool_id = ? AND username_key = ?', [u.poolId, u.usernameKey]);
    await this.sql.run(
      `UPDATE users SET username = ?, status = ?, enabled = ?, attributes = ?, password_hash = ?, srp_salt = ?,
        srp_verifier = ?, password_changed_at = ?, temp_password_expires_at = ?, failed_attempts = ?, last_failed_at = ?,
        locked_until = ?, tokens_revoked_before = ?, data = ?, updated_at = ?, listed = ?
       WHERE pool_id = ? AND username_key = ?`,
      [
        u.username, u.status, u.enabled ? 1 : 0, JSON.stringify(u.attributes), u.passwordHash, u.srpSalt,
        u.srpVerifier, u.passwordChangedAt, u.tempPasswordExpiresAt, u.failedAttempts, u.lastFailedAt,
        u.lockedUntil, u.tokensRevokedBefore, JSON.stringify(u.data), u.updatedAt, listedText(u), u.poolId, u.usernameKey,
      ],
    );
    await this.reindex(u, before ? JSON.parse(before.attributes) : {});
  }

  /**
   * Starts one password attempt (sign-in lockout, domain/sign-in/lockout.ts): counts it as a failure
   * up front, restarting the count when the last one was before `resetBefore`, and sets
   * locked_until = lockUntil[n - 1] for the n-th consecutive one (the last entry beyond the list;
   * null = no lock). One conditional statement, so concurrent attempts each get their own count.
   * Returns false, changing nothing, while the user is locked (or does not exist).
   */
  async beginSignInAttempt(poolId: string, usernameKey: string, now: number, resetBefore: number, lockUntil: (number | null)[]): Promise<boolean> {
    const count = 'CASE WHEN last_failed_at IS NULL OR last_failed_at < ? THEN 1 ELSE failed_attempts + 1 END';
    const whens = lockUntil.map((_, i) => (i === lockUntil.length - 1 ? `WHEN ${count} >= ${i + 1} THEN CAST(? AS BIGINT)` : `WHEN ${count} = ${i + 1} THEN CAST(? AS BIGINT)`));
    // CAST: PostgreSQL would otherwise type a CASE of bare parameters as text.
    const r = await this.sql.run(
      `UPDATE users SET failed_attempts = ${count}, last_failed_at = ?, locked_until = CASE ${whens.join(' ')} ELSE NULL END
       WHERE pool_id = ? AND username_key = ? AND (locked_until IS NULL OR locked_until <= ?)`,
      [resetBefore, now, ...lockUntil.flatMap((until) => [resetBefore, until]), poolId, usernameKey, now],
    );
    return r.changes === 1;
  }

  /** A successful sign-in clears the failure count and any lock. */
  async clearSignInFailures(poolId: string, usernameKey: string): Promise<void> {
    await this.sql.run(
      `UPDATE users SET failed_attempts = 0, last_failed_at = NULL, locked_until = NULL
       WHERE pool_id = ? AND username_key = ? AND (failed_attempts <> 0 OR locked_until IS NOT NULL)`,
      [poolId, usernameKey],
    );
  }

  /** The sign-in lockout counters alone (domain/sign-in/lockout.ts settleCheckedAttempt). */
  async signInLock(poolId: string, usernameKey: string): Promise<{ failedAttempts: number; lockedUntil: number | null } | undefined> {
    const [row] = await this.sql.rows<[number, number | null]>('SELECT failed_attempts, locked_until FROM users WHERE pool_id = ? AND username_key = ?', [
      poolId,
      usernameKey,
    ]);
    return row && { failedAttempts: Number(row[0]), lockedUntil: num(row[1]) };
  }

  /**
   * A right answer checked before it was counted: clears the failure count and any lock, unless
   * the user is locked at `now`. One conditional statement; false, changing nothing, while locked
   * (or when the user does not exist).
   */
  async clearSignInFailuresUnlessLocked(poolId: string, usernameKey: string, now: number): Promise<boolean> {
    const r = await this.sql.run(
      `UPDATE users SET failed_attempts = 0, last_failed_at = NULL, locked_until = NULL
       WHERE pool_id = ? AND username_key = ? AND (locked_until IS NULL OR locked_until <= ?)`,
      [poolId, usernameKey, now],
    );
    return r.changes === 1;
  }

  async delete(poolId: string, usernameKey: string): Promise<void> {
    await this.sql.run('DELETE FROM users WHERE pool_id = ? AND username_key = ?', [poolId, usernameKey]);
  }

  /**
   * Replaces the user's sign-in aliases; UniqueViolation('user_aliases', aliasKey) when another
   * user holds one. Only the aliases that changed are written: those the user no longer has are
   * deleted, then the new ones inserted.
   */
  async setAliases(poolId: string, usernameKey: string, aliasKeys: string[]): Promise<void> {
    const wanted = new Set(aliasKeys);
    const held = new Set(await this.aliasesOf(poolId, usernameKey));
    for (const key of held) {
      if (!wanted.has(key)) await this.sql.run('DELETE FROM user_aliases WHERE pool_id = ? AND alias_key = ?', [poolId, key]);
    }
    for (const key of wanted) {
      if (held.has(key)) continue;
      const r = await this.sql.run(
        'INSERT INTO user_aliases (pool_id, alias_key, username_key) VALUES (?, ?, ?) ON CONFLICT (pool_id, alias_key) DO NOTHING',
        [poolId, key, usernameKey],
      );
      if (r.changes === 0) throw new UniqueViolation('user_aliases', key);
    }
  }

  async aliasesOf(poolId: string, usernameKey: string): Promise<string[]> {
    const rows = await this.sql.all<{ alias_key: string }>(
      'SELECT alias_key FROM user_aliases WHERE pool_id = ? AND username_key = ?',
      [poolId, usernameKey],
    );
    return rows.map((r) => r.alias_key);
  }

  /**
   * Brings the user's filter index from the entries of the attributes `before` to those of its
   * attributes now, writing only the entries that changed: an unchanged entry is left alone, so
   * concurrent writers of different users touch the index only where their values move.
   */
  private async reindex(u: User, before: Record<string, string>): Promise<void> {
    for (const name of INDEXED_ATTRIBUTES) {
      const old = before[name];
      const value = u.attributes[name];
      if (old === value) continue;
      if (old !== undefined) {
        await this.sql.run('DELETE FROM user_attribute_index WHERE pool_id = ? AND name = ? AND value = ? AND username_key = ?', [
          u.poolId,
          name,
          old,
          u.usernameKey,
        ]);
      }
      if (value !== undefined) {
        await this.sql.run('INSERT INTO user_attribute_index (pool_id, name, value, username_key) VALUES (?, ?, ?, ?)', [
          u.poolId,
          name,
          value,
          u.usernameKey,
        ]);
      }
    }
  }

  /**
   * One page of users after `after`, optionally filtered. Without a filter or with `=`, pages go
   * in username_key order; with `^=`, in (filtered value, username_key) order. Every shape is
   * one index range scan that stops at `limit`.
   */
  async list(poolId: string, filter: UserFilter | null, after: ListCursor | null, limit: number): Promise<ListedUser[]> {
    return (await this.listRows(poolId, filter, after, limit)).map((r) => listedUser(poolId, r));
  }

  /** A page of a group's members (ListUsersInGroup), in username key order after the key `after`. */
  async listInGroup(poolId: string, groupName: string, after: string | null, limit: number): Promise<ListedRow[]> {
    return this.sql.rows<ListedRow>(LIST_IN_GROUP_ROWS, [poolId, groupName, after ?? '', limit]);
  }

  /** listInGroup() as RenderedRows. */
  async listInGroupRendered(poolId: string, groupName: string, after: string | null, limit: number): Promise<RenderedRow[]> {
    return (await this.sql.rows<[RenderedRow]>(LIST_IN_GROUP_RENDERED, [poolId, groupName, after ?? '', limit])).map((r) => r[0]);
  }

  /** list() as the rows read (ListedRow), for a caller that writes them out as they are. */
  async listRows(poolId: string, filter: UserFilter | null, after: ListCursor | null, limit: number): Promise<ListedRow[]> {
    return this.sql.rows<ListedRow>(...listQuery(poolId, filter, after, limit, false));
  }

  /** listRows() as RenderedRows. */
  async listRendered(poolId: string, filter: UserFilter | null, after: ListCursor | null, limit: number): Promise<RenderedRow[]> {
    return (await this.sql.rows<[RenderedRow]>(...listQuery(poolId, filter, after, limit, true))).map((r) => r[0]);
  }
}

/** The statement and parameters of a page of users, read as ListedRows or as RenderedRows. */
function listQuery(poolId: string, filter: UserFilter | null, after: ListCursor | null, limit: number, rendered: boolean): [string, Param[]] {
  if (!filter) return [rendered ? LIST_ALL_RENDERED : LIST_ALL_ROWS, [poolId, after?.key ?? '', limit]];
  const { field, op } = filter;
  const value: Param = field === 'enabled' ? Number(filter.value) : filter.value;
  const column = COLUMNS[field];
  const params: Param[] = column ? [poolId] : [poolId, field];
  if (op === '=') params.push(value, after?.key ?? '');
  else {
    // The scan starts at the previous page's last value (which has the prefix), so a deep page
    // seeks instead of rescanning; the row-value comparison breaks ties on username_key.
    const start = after?.value !== undefined && after.value > String(value) ? after.value : value;
    params.push(start, prefixEnd(String(value)));
    if (after) params.push(after.value ?? '', after.key);
  }
  params.push(limit);
  return [listStatement(field, op, after !== null, rendered), params];
}
