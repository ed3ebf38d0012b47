import { CognitoError } from '../errors.ts';

/**
 * Parses a request body. Refuses anything but a JSON object, and drops `__proto__`,
 * `constructor` and `prototype` keys so a body cannot pollute prototypes.
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => (key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : v));
  } catch {
    throw new CognitoError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CognitoError('SerializationException', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
