import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type { ListUsersInGroupRequest, ListUsersInGroupResponse, ListUsersRequest, ListUsersResponse } from '../../generated/cognito-idp.ts';
import {
  cursorAfter,
  listedData,
  listedKey,
  listedUser,
  renderedCursor,
  renderedUserType,
  type ListCursor,
  type ListedRow,
  type RenderedRow,
  type UserFilter,
} from '../../store/repos/users.ts';
import { decodeToken, encodeToken } from '../../util/ids.ts';
import { getGroup } from './groups.ts';
import { schemaAttribute } from './attributes.ts';
import { getPool } from '../pools/user-pools.ts';
import { mfaOptionsOf, userTypesJson } from './user-type.ts';
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
 * page is answered as JSON text (api/json-answer.ts): without AttributesToGet, the UserType texts
 * the rows keep (store/repos/users.ts listedText) joined; else, or when a row of the page keeps
 * none, written from the rows' columns.
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
  if (only === undefined) {
    const rendered = await app.store.users.listRendered(pool.id, filter, after, limit + 1);
    const users = renderedUserTypes(rendered, limit);
    if (users !== undefined) {
      return page(users, 'PaginationToken', rendered.length > limit ? encodeCursor(renderedCursor(rendered[limit - 1]!, filter)) : undefined);
    }
  }
  const rows = await app.store.users.listRows(pool.id, filter, after, limit + 1);
  const count = Math.min(rows.length, limit);
  const users = (only === undefined ? userTypesJsonOfRows(rows, count) : undefined) ?? userTypesJson(rows.slice(0, count).map((r) => listedUser(pool.id, r)), only);
  return page(users, 'PaginationToken', rows.length > limit ? encodeCursor(cursorAfter(rows[limit - 1], filter)) : undefined);
}

/**
 * ListUsersInGroup: a page of the group's members (Limit 0 or absent meaning 60) in one read,
 * written as a ListUsers page is.
 */
export async function listUsersInGroup(app: App, input: ListUsersInGroupRequest): Promise<ListUsersInGroupResponse> {
  await getPool(app.store, input.UserPoolId);
  await getGroup(app.store, input.UserPoolId, input.GroupName);
  const limit = input.Limit || 60;
  const after = decodeToken(input.NextToken);
  const rendered = await app.store.users.listInGroupRendered(input.UserPoolId, input.GroupName, after, limit + 1);
  const users = renderedUserTypes(rendered, limit);
  if (users !== undefined) {
    return page(users, 'NextToken', rendered.length > limit ? encodeToken(renderedCursor(rendered[limit - 1]!, null).key) : undefined);
  }
  const rows = await app.store.users.listInGroup(input.UserPoolId, input.GroupName, after, limit + 1);
  const count = Math.min(rows.length, limit);
  const fromRows = userTypesJsonOfRows(rows, count) ?? userTypesJson(rows.slice(0, count).map((r) => listedUser(input.UserPoolId, r)));
  return page(fromRows, 'NextToken', rows.length > limit ? encodeToken(listedKey(rows[limit - 1])) : undefined);
}

/**
 * A page's answer as JSON text: the UserType list, and the token that continues it when more
 * follow (base64url, which needs no escape in JSON).
 */
function page<T extends object>(users: string, tokenName: 'PaginationToken' | 'NextToken', token: string | undefined): T {
  return jsonAnswer<T>(token === undefined ? `{"Users":${users}}` : `{"Users":${users},"${tokenName}":"${token}"}`);
}

/** The JSON list of the UserTypes of the first `limit` rows, or undefined when one of them keeps none. */
export function renderedUserTypes(rows: readonly RenderedRow[], limit: number): string | undefined {
  const count = Math.min(rows.length, limit);
  let out = '[';
  for (let i = 0; i < count; i++) {
    const r = rows[i];
    if (r === null) return undefined;
    out += i > 0 ? `,${renderedUserType(r)}` : renderedUserType(r);
  }
  return `${out}]`;
}

/**
 * userTypesJson (user-type.ts) of the first `count` rows, byte for byte, written from the rows' text:
 * each attributes object (`{"sub":"…","email":"…"}`, as JSON.stringify wrote it) becomes the
 * AttributeType list by string work, its names and values copied as they stand, without parsing
 * and writing them again (which cost about as much as reading the rows). Undefined when a row's
 * text is not in the form where the copy is exact: then the caller parses the rows.
 */
export function userTypesJsonOfRows(rows: readonly ListedRow[], count: number): string | undefined {
  let out = '[';
  for (let i = 0; i < count; i++) {
    const r = rows[i];
    const attributes = attributeListJson(r[1]);
    if (attributes === undefined || !PLAIN.test(r[0])) return undefined;
    const created = Number(r[4]);
    const updated = Number(r[5]);
    const createdText = epochSeconds(created);
    out += `${i > 0 ? ',' : ''}{"Username":"${r[0]}","Attributes":${attributes},"UserCreateDate":${createdText},"UserLastModifiedDate":${
      updated === created ? createdText : epochSeconds(updated)
    },"Enabled":${Number(r[3]) === 1},"UserStatus":${STATUS_JSON[r[2]] ?? JSON.stringify(r[2])}`;
    const data = listedData(r);
    const mfaOptions = data === null ? undefined : mfaOptionsOf({ data: JSON.parse(data) });
    out += mfaOptions ? `,"MFAOptions":${JSON.stringify(mfaOptions)}}` : '}';
  }
  return `${out}]`;
}

/** A string JSON.stringify writes as it is, between quotes: nothing to escape (no quote, backslash, control or surrogate). */
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

const STATUS_JSON: Record<string, string> = Object.fromEntries(
  ['UNCONFIRMED', 'CONFIRMED', 'ARCHIVED', 'COMPROMISED', 'UNKNOWN', 'RESET_REQUIRED', 'FORCE_CHANGE_PASSWORD', 'EXTERNAL_PROVIDER'].map((s) => [s, `"${s}"`]),
);

/**
 * The AttributeType list of an attributes object's JSON text: `{"a":"1","b":"2"}` gives
 * `[{"Name":"a","Value":"1"},{"Name":"b","Value":"2"}]`, as toAttributeList of the parsed object
 * would be written. Only for text with nothing escaped in it (no backslash: every quote then
 * opens or closes a name or a value, and each string is as JSON.stringify writes it) and no
 * control character, every value a string, no name starting with a digit (an index-like name
 * would come first in the parsed object), and sub, when there, first (newUser puts it first;
 * toAttributeList moves it there). Undefined for any other text.
 */
export function attributeListJson(text: string): string | undefined {
  const n = text.length;
  if (text.charCodeAt(0) !== 0x7b /* { */ || text.charCodeAt(n - 1) !== 0x7d /* } */ || UNSAFE.test(text)) return undefined;
  if (n === 2) return '[]';
  let out = '[';
  let at = 1; // the opening quote of a name
  for (;;) {
    if (text.charCodeAt(at) !== 0x22 /* " */) return undefined;
    const nameEnd = text.indexOf('"', at + 1);
    if (nameEnd < 0 || text.charCodeAt(nameEnd + 1) !== 0x3a /* : */ || text.charCodeAt(nameEnd + 2) !== 0x22) return undefined;
    const first = text.charCodeAt(at + 1);
    if (first >= 0x30 && first <= 0x39) return undefined;
    if (at > 1 && nameEnd === at + 4 && text.startsWith('sub', at + 1)) return undefined;
    const valueEnd = text.indexOf('"', nameEnd + 3);
    if (valueEnd < 0) return undefined;
    out += `{"Name":${text.slice(at, nameEnd + 1)},"Value":${text.slice(nameEnd + 2, valueEnd + 1)}}`;
    const next = text.charCodeAt(valueEnd + 1);
    if (next === 0x7d) return valueEnd + 2 === n ? `${out}]` : undefined;
    if (next !== 0x2c /* , */) return undefined;
    out += ',';
    at = valueEnd + 2;
  }
}

/** A backslash (an escape) or a raw control character (not JSON: parsing it fails, as it should). */
const UNSAFE = /[\\\u0000-\u001f]/;

/**
 * `${ms / 1000}` (JSON.stringify's number), without the double-to-text conversion, about five
 * times the cost of these integer ones: for whole milliseconds below 10^15 (15 digits, so the
 * shortest text that reads back as ms / 1000 is its exact decimal) it is the seconds, a point,
 * and the milliseconds without trailing zeros.
 */
export function epochSeconds(ms: number): string {
  if (!(Number.isInteger(ms) && ms >= 0 && ms < 1e15)) return Number.isFinite(ms) ? `${ms / 1000}` : 'null';
  const whole = Math.floor(ms / 1000);
  const frac = ms - whole * 1000;
  if (frac === 0) return `${whole}`;
  if (frac % 10 !== 0) return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
  if (frac % 100 !== 0) return `${whole}.${frac < 100 ? '0' : ''}${frac / 10}`;
  return `${whole}.${frac / 100}`;
}
