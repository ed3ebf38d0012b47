/**
 * An answer written as JSON text already (a ListUsers page: domain/users/users.ts userTypesJson).
 * The HTTP layer sends the text as it is (http/aws-json.ts); any other caller of the handler (the
 * console) reads it as the object the text encodes, parsed on first use.
 */
const TEXT = Symbol('json text');

export function jsonAnswer<T extends object>(text: string): T {
  let parsed: T | undefined;
  const value = () => (parsed ??= JSON.parse(text) as T);
  return new Proxy({} as T, {
    // Awaiting the answer looks up `then`, which no answer of the API has: not a reason to parse.
    get: (_, key) => (key === TEXT ? text : key === 'then' ? undefined : Reflect.get(value(), key)),
    has: (_, key) => Reflect.has(value(), key),
    ownKeys: () => Reflect.ownKeys(value()),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(value(), key),
  });
}

/** The text of a jsonAnswer; undefined for any other answer. */
export function jsonTextOf(answer: unknown): string | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const text = (answer as { [TEXT]?: unknown })[TEXT];
  return typeof text === 'string' ? text : undefined;
}
