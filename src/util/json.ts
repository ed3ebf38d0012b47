import { CognitoError } from '../errors.ts';

/**
 * How deep a request body may nest objects and arrays. The models' deepest input is 6 levels
 * (cognito-identity's SetIdentityPoolRoles; cognito-idp's is 4), so this refuses nothing a client
 * sends, and it keeps every walk over a body shallow.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * How many values (array items and object members, at any depth) a request body may hold. The
 * largest inputs of the models hold a few hundred (CreateUserPool with 50 schema attributes);
 * JSON.parse spends about a microsecond on each distinct key, and a mebibyte holds over 100,000,
 * so this is what keeps parsing and validating one body within a few milliseconds.
 */
export const MAX_JSON_VALUES = 10_000;

const UNSAFE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * Parses a request body. Refuses anything but a JSON object, and drops `__proto__`,
 * `constructor` and `prototype` keys so a body cannot pollute prototypes. Every step is one
 * pass over the text or the parsed value, none recursive: a body nested deeper than
 * MAX_JSON_DEPTH (JSON.parse spends a third of a second on a mebibyte of `[`) or holding more
 * than MAX_JSON_VALUES values is refused before JSON.parse.
 */
export function parseJsonObject(text: string, opts: { shapeChecked?: boolean } = {}): Record<string, unknown> {
  if (text.trim() === '') return {};
  // The HTTP server's body parser has already run checkJsonShape on a request's body (http/server.ts).
  if (!opts.shapeChecked) checkJsonShape(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CognitoError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CognitoError('SerializationException', 'The request body must be a JSON object.');
  }
  // A key can only spell one of them literally or with a \u escape.
  if (text.includes('\\u') || UNSAFE_KEYS.some((k) => text.includes(k))) dropUnsafeKeys(value);
  return value as Record<string, unknown>;
}

/**
 * Refuses JSON text that nests objects and arrays deeper than `maxDepth` or holds more than
 * `maxValues` array items and object members, in one pass over the text (what is inside strings
 * does not count). Text that is not JSON passes, for JSON.parse to refuse.
 */
export function checkJsonShape(text: string, maxDepth: number = MAX_JSON_DEPTH, maxValues: number = MAX_JSON_VALUES): void {
  let depth = 0;
  let values = 0;
  // Just after `[` or `{`: the next character that is not white space starts a first value, or closes.
  let opened = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (opened && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      opened = false;
      if (c !== 0x5d /* ] */ && c !== 0x7d /* } */ && ++values > maxValues) throw tooMany(maxValues);
    }
    if (c === 0x22 /* " */) {
      // Skip the string: to the next quote that no backslash escapes.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) {
        throw new CognitoError('SerializationException', `The request body nests objects and arrays deeper than ${maxDepth} levels.`);
      }
      opened = true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && ++values > maxValues) {
      throw tooMany(maxValues);
    }
  }
}

function tooMany(max: number): CognitoError {
  return new CognitoError('SerializationException', `The request body holds more than ${max} values (array items and object members).`);
}

/** Deletes the UNSAFE_KEYS of every object in a parsed value, with a stack rather than recursion. */
function dropUnsafeKeys(root: object): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
    } else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        if (UNSAFE_KEYS.includes(key)) delete o[key];
        else if (typeof o[key] === 'object' && o[key] !== null) stack.push(o[key]);
      }
    }
  }
}
