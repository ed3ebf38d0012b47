import type { User } from '../types.ts';
import type { UserType } from '../../generated/cognito-idp.ts';
import { toAttributeList } from './attributes.ts';

/**
 * A user in Cognito's UserType shape (AdminCreateUser, ListUsers, ListUsersInGroup): Username,
 * Attributes, dates in epoch seconds, Enabled, UserStatus, and MFAOptions when set.
 * `attributesToGet` limits the attributes listed (ListUsers' AttributesToGet).
 */
export function toUserType(user: Pick<User, 'username' | 'attributes' | 'createdAt' | 'updatedAt' | 'enabled' | 'status' | 'data'>, attributesToGet?: string[]): UserType {
  const out: UserType = {
    Username: user.username,
    Attributes: toAttributeList(user.attributes, attributesToGet),
    UserCreateDate: user.createdAt / 1000,
    UserLastModifiedDate: user.updatedAt / 1000,
    Enabled: user.enabled,
    UserStatus: user.status,
  };
  const mfaOptions = mfaOptionsOf(user);
  if (mfaOptions) out.MFAOptions = mfaOptions;
  return out;
}

/**
 * toUserType of each user as JSON text: byte for byte `JSON.stringify(users.map((u) =>
 * toUserType(u, attributesToGet)))`, without the objects in between: for a ListUsers page of
 * 60 users (about 18-21 KB), building its UserType and {Name, Value} objects and serialising
 * them took about twice as long as writing the text.
 */
export function userTypesJson(users: Pick<User, 'username' | 'attributes' | 'createdAt' | 'updatedAt' | 'enabled' | 'status' | 'data'>[], attributesToGet?: string[]): string {
  const listed = (name: string) => !attributesToGet || attributesToGet.includes(name);
  let out = '[';
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    if (i > 0) out += ',';
    out += `{"Username":${jsonString(u.username)},"Attributes":[`;
    // As toAttributeList: sub first, the others in stored order.
    const attrs = u.attributes;
    let first = true;
    if (attrs.sub !== undefined && listed('sub')) {
      out += `{"Name":"sub","Value":${jsonString(attrs.sub)}}`;
      first = false;
    }
    for (const name of Object.keys(attrs)) {
      if (name === 'sub' || !listed(name)) continue;
      out += `${first ? '' : ','}{"Name":${jsonString(name)},"Value":${jsonString(attrs[name])}}`;
      first = false;
    }
    out += `],"UserCreateDate":${jsonNumber(u.createdAt / 1000)},"UserLastModifiedDate":${jsonNumber(u.updatedAt / 1000)}`;
    out += `,"Enabled":${u.enabled ? 'true' : 'false'},"UserStatus":${jsonString(u.status)}`;
    const mfaOptions = mfaOptionsOf(u);
    if (mfaOptions) out += `,"MFAOptions":${JSON.stringify(mfaOptions)}`;
    out += '}';
  }
  return `${out}]`;
}

/** Characters JSON.stringify writes escaped: quote, backslash, controls, and surrogates (a lone one is escaped). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** JSON.stringify(s), without its cost for the usual string that has nothing to escape. */
const jsonString = (s: string) => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);
/** JSON.stringify(n): the number as JavaScript writes it, null when not finite. */
const jsonNumber = (n: number) => (Number.isFinite(n) ? `${n}` : 'null');

/** The legacy SMS MFAOptions, stored by the MFA feature in user.data.mfa.MFAOptions. */
export function mfaOptionsOf(user: Pick<User, 'data'>): UserType['MFAOptions'] | undefined {
  const opts = user.data.mfa?.MFAOptions as UserType['MFAOptions'] | undefined;
  return opts?.length ? opts : undefined;
}

/**
 * One user's UserType as JSON text, as a ListUsers page without AttributesToGet lists it: what
 * a users row keeps in its `listed` column, written with the row (store/repos/users.ts), so that
 * a page is its rows' texts joined (domain/users/list-users.ts).
 */
export function userTypeJson(user: Pick<User, 'username' | 'attributes' | 'createdAt' | 'updatedAt' | 'enabled' | 'status' | 'data'>): string {
  return userTypesJson([user]).slice(1, -1);
}
