import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type { ListUsersRequest, ListUsersResponse } from '../../generated/cognito-idp.ts';
import { filterValueOf, type ListCursor, type UserFilter } from '../../store/repos/users.ts';
import { schemaAttribute } from './attributes.ts';
import { getPool } from '../pools/user-pools.ts';
import { userTypesJson } from './users.ts';
import { jsonAnswer } from '../../api/json-answer.ts';

/** The attributes ListUsers can search, as Cognito documents them; custom ones are not searchable. */
const SEARCHABLE = new Set([
  'username',
  'email',
  'phone_number',
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'cognito:user_status',
  'status',
  'sub',
]);

/**
 * Parses a ListUsers Filter: `name = "value"` or `name ^= "value"`, spaces around the operator
 * optional, `\"` and `\\` escaped inside the quotes. Returns null for an empty filter (Cognito
 * treats `Filter: ""` as none) and `'none'` for a filter no user can match (e.g. `status = "On"`).
 */
export function parseUserFilter(filter: string | undefined): UserFilter | null | 'none' {
  if (filter === undefined || filter.trim() === '') return null;
  const m = /^\s*([\w:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(filter);
  if (!m) throw invalidParameter('Error while parsing filter.');
  const [, name, op, raw] = m;
  const value = raw.replace(/\\(.)/g, '$1');
  // Custom attributes are not searchable (ListUsers documentation); text as moto gives it.
  if (!SEARCHABLE.has(name)) throw invalidParameter(`Invalid search attribute: ${name}`);
  const o = op as '=' | '^=';
  if (name === 'cognito:user_status') {
    // Documented as case-insensitive ("called Status in the console").
    return { field: 'status', op: o, value: value.toUpperCase() };
  }
  if (name === 'status') {
    // "status" is the Enabled flag, with the console's words, case-sensitive.
    const matches = (word: string) => (o === '=' ? word === value : word.startsWith(value));
    const enabled = matches('Enabled');
    const disabled = matches('Disabled');
    if (enabled && disabled) return null;
    if (!enabled && !disabled) return 'none';
    return { field: 'enabled', op: '=', value: enabled ? '1' : '0' };
  }
  return { field: name as UserFilter['field'], op: o, value };
}

function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(token: string | undefined): ListCursor | null {
  if (token === undefined) return null;
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof c?.key === 'string' && (c.value === undefined || typeof c.value === 'string')) return c;
  } catch {
    /* fall through */
  }
  throw invalidParameter('Invalid pagination token.');
}

/**
 * ListUsers: one page (Limit 1-60, 0 or absent meaning 60) with an opaque PaginationToken. The
 * page is answered as JSON text (api/json-answer.ts), written straight from the rows.
 */
export async function listUsers(app: App, input: ListUsersRequest): Promise<ListUsersResponse> {
  const pool = await getPool(app.store, input.UserPoolId);
  const only = input.AttributesToGet;
  if (only?.some((name) => !schemaAttribute(pool, name))) {
    throw invalidParameter('One or more requested attributes do not exist.');
  }
  const filter = parseUserFilter(input.Filter);
  if (filter === 'none') return { Users: [] };
  const limit = input.Limit || 60;
  const after = decodeCursor(input.PaginationToken);
  const users = await app.store.users.list(pool.id, filter, after, limit + 1);
  const page = users.length > limit ? users.slice(0, limit) : users;
  let text = `{"Users":${userTypesJson(page, only)}`;
  if (users.length > limit) {
    const last = page[page.length - 1];
    const token = encodeCursor({ key: last.usernameKey, ...(filter?.op === '^=' ? { value: filterValueOf(last, filter) } : {}) });
    text += `,"PaginationToken":${JSON.stringify(token)}`;
  }
  return jsonAnswer<ListUsersResponse>(`${text}}`);
}
