import type { AttributeType, SchemaAttributeType } from '../../generated/cognito-idp.ts';
import { CognitoError, invalidParameter } from '../../errors.ts';
import type { UserPool } from '../types.ts';

/**
 * User attribute rules against a pool's schema, shared by AdminCreateUser,
 * AdminUpdateUserAttributes, SignUp and UpdateUserAttributes.
 */

const SCHEMA_PREFIX = 'Attributes did not conform to the schema: ';

/** Cognito lists every broken attribute, each as `<name>: <reason>` ending in a newline. */
function schemaError(problems: string[]): CognitoError {
  return invalidParameter(SCHEMA_PREFIX + problems.map((p) => `${p}\n`).join(''));
}

// A pragmatic address check: something@something.tld, no spaces; Cognito's own is similar in spirit.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// E.164: a plus sign and up to 15 digits, no leading zero.
const PHONE = /^\+[1-9]\d{1,14}$/;

export const isEmail = (v: string) => EMAIL.test(v);
export const isPhoneNumber = (v: string) => PHONE.test(v);

export function schemaAttribute(pool: UserPool, name: string): SchemaAttributeType | undefined {
  return pool.config.SchemaAttributes?.find((a) => a.Name === name);
}

export interface AttributeCheckOptions {
  /**
   * 'admin' for the Admin* operations (developer-only attributes writable), 'user' for the
   * client-side ones (developer-only `dev:custom:` attributes are not).
   */
  mode: 'admin' | 'user';
  /** True at user creation: immutable attributes may be given only then. */
  creating: boolean;
  /**
   * SignUp checks the schema's required attributes; AdminCreateUser does not (developer guide:
   * administrators can create users without values for required attributes; the
   * NEW_PASSWORD_REQUIRED challenge then asks for them).
   */
  requireRequired?: boolean;
  /** The user's current attributes, when updating. */
  existing?: Record<string, string>;
}

/**
 * Checks attributes against the pool schema and returns them as a name-to-value map. Throws
 * InvalidParameterException "Attributes did not conform to the schema: ..." listing every
 * problem, "user.<name>: ..." for a change an existing user's attribute does not allow, or the
 * format errors Cognito gives for email and phone_number.
 */
export function validateAttributes(pool: UserPool, attrs: AttributeType[] | undefined, opts: AttributeCheckOptions): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const { Name: name, Value: rawValue } of attrs ?? []) {
    const value = rawValue ?? '';
    const def = schemaAttribute(pool, name);
    if (!def) {
      problems.push(`${name}: Attribute does not exist in the schema.`);
      continue;
    }
    if (name === 'sub') {
      problems.push(`${name}: Attribute cannot be updated.`);
      continue;
    }
    // A refused change to an existing user's attribute is worded `user.<name>: ...`, without the
    // schema prefix: "Attribute cannot be updated.\n" here (UpdateUserAttributes in
    // aws-amplify/amplify-swift#3981; the hosted UI's in aws-amplify/amplify-js#3526) and
    // "Required attribute cannot be deleted." below (aws-amplify/aws-sdk-ios#4251).
    if (!opts.creating && def.Mutable === false && opts.existing?.[name] !== value) {
      throw invalidParameter(`user.${name}: Attribute cannot be updated.\n`);
    }
    if (opts.mode === 'user' && def.DeveloperOnlyAttribute) {
      throw new CognitoError('NotAuthorizedException', 'A client attempted to write unauthorized attribute');
    }
    // A blank value deletes the attribute (AdminUpdateUserAttributes documents this).
    if (value === '') {
      if (def.Required && !opts.creating) throw invalidParameter(`user.${name}: Required attribute cannot be deleted.`);
      out[name] = '';
      continue;
    }
    const problem = checkValue(def, value);
    if (problem) {
      problems.push(`${name}: ${problem}`);
      continue;
    }
    out[name] = def.AttributeDataType === 'Boolean' ? value.toLowerCase() : value;
  }
  if (opts.requireRequired) {
    for (const def of pool.config.SchemaAttributes ?? []) {
      if (!def.Required || def.Name === 'sub') continue;
      if (!out[def.Name!] && !opts.existing?.[def.Name!]) problems.push(`${def.Name}: The attribute is required`);
    }
  }
  if (problems.length) throw schemaError(problems);
  if (out.email !== undefined && out.email !== '' && !isEmail(out.email)) throw invalidParameter('Invalid email address format.');
  if (out.phone_number !== undefined && out.phone_number !== '' && !isPhoneNumber(out.phone_number)) {
    throw invalidParameter('Invalid phone number format.');
  }
  return out;
}

function checkValue(def: SchemaAttributeType, value: string): string | undefined {
  switch (def.AttributeDataType) {
    case 'Boolean':
      if (!/^(true|false)$/i.test(value)) return 'Attribute value must be true or false.';
      return undefined;
    case 'Number': {
      if (value === '') return undefined;
      if (!/^-?\d+(\.\d+)?$/.test(value)) return 'Number must be a valid number.';
      const n = Number(value);
      const c = def.NumberAttributeConstraints ?? {};
      if (c.MinValue !== undefined && c.MinValue !== '' && n < Number(c.MinValue)) return `Number must be no less than ${c.MinValue}`;
      if (c.MaxValue !== undefined && c.MaxValue !== '' && n > Number(c.MaxValue)) return `Number must be no greater than ${c.MaxValue}`;
      return undefined;
    }
    case 'DateTime':
      if (value !== '' && Number.isNaN(Date.parse(value)) && !/^\d+$/.test(value)) return 'Attribute value must be a valid date.';
      return undefined;
    default: {
      const c = def.StringAttributeConstraints ?? {};
      const len = [...value].length;
      // Cognito's hard cap on any attribute value is 2048 characters.
      const max = c.MaxLength !== undefined && c.MaxLength !== '' ? Number(c.MaxLength) : 2048;
      if (len > max) return `String must be no longer than ${max} characters`;
      if (c.MinLength !== undefined && c.MinLength !== '' && len > 0 && len < Number(c.MinLength)) {
        return `String must be no shorter than ${c.MinLength} characters`;
      }
      return undefined;
    }
  }
}

/**
 * Applies validated changes to a user's attributes and returns the new set. Changing email or
 * phone_number makes it unverified again unless the same call sets its *_verified flag (as
 * Cognito does on AdminUpdateUserAttributes); an empty value removes the attribute.
 */
export function applyAttributeChanges(current: Record<string, string>, changes: Record<string, string>): Record<string, string> {
  const next = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    if (value === '') delete next[name];
    else next[name] = value;
  }
  for (const attr of ['email', 'phone_number']) {
    const flag = `${attr}_verified`;
    if (attr in changes && changes[attr] !== current[attr] && !(flag in changes)) {
      if (next[attr] !== undefined) next[flag] = 'false';
      else delete next[flag];
    }
  }
  return next;
}

/**
 * Checks names for AdminDeleteUserAttributes / DeleteUserAttributes: each must be in the
 * schema, mutable and not required.
 */
export function validateAttributeDeletion(pool: UserPool, names: string[], mode: 'admin' | 'user'): void {
  const problems: string[] = [];
  for (const name of names) {
    const def = schemaAttribute(pool, name);
    if (!def) problems.push(`${name}: Attribute does not exist in the schema.`);
    else if (name === 'sub' || def.Mutable === false) problems.push(`${name}: Attribute cannot be updated.`);
    else if (def.Required) problems.push(`${name}: The attribute is required`);
    else if (mode === 'user' && def.DeveloperOnlyAttribute) {
      throw new CognitoError('NotAuthorizedException', 'A client attempted to write unauthorized attribute');
    }
  }
  if (problems.length) throw schemaError(problems);
}

/** The attributes as the wire lists them: `[{Name, Value}]`, sub first as Cognito shows it. */
export function toAttributeList(attributes: Record<string, string>, only?: string[]): AttributeType[] {
  // One pass (every read answers with it): sub, then the rest in stored order.
  const out: AttributeType[] = [];
  for (const n of Object.keys(attributes)) {
    if (only && !only.includes(n)) continue;
    if (n === 'sub') out.unshift({ Name: n, Value: attributes[n] });
    else out.push({ Name: n, Value: attributes[n] });
  }
  return out;
}
