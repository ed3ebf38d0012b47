/**
 * An answer written as JSON text already (a ListUsers page: domain/users/list-users.ts).
 * The HTTP layer sends the text as it is (http/aws-json.ts); any other caller of the handler (the
 * console) reads it as the object the text encodes, parsed on first use.
 */
const TEXT = Symbol('json text');

/** What a jsonAnswer's Proxy stands on: the text, and the object it encodes once something reads it. */
class Answer {
  parsed: object | undefined = undefined;
  constructor(readonly text: string) {}
  value(): object {
    return (this.parsed ??= JSON.parse(this.text) as object);
  }
}

// One handler for every answer: a page costs one small object, not a handler and its closures.
const HANDLER: ProxyHandler<Answer> = {
  // Awaiting the answer looks up `then`, which no answer of the API has: not a reason to parse.
  get: (a, key) => (key === TEXT ? a.text : key === 'then' ? undefined : Reflect.get(a.value(), key)),
  has: (a, key) => Reflect.has(a.value(), key),
  ownKeys: (a) => Reflect.ownKeys(a.value()),
  getOwnPropertyDescriptor: (a, key) => Reflect.getOwnPropertyDescriptor(a.value(), key),
};

export function jsonAnswer<T extends object>(text: string): T {
  return new Proxy(new Answer(text), HANDLER) as unknown as T;
}

/** The text of a jsonAnswer; undefined for any other answer. */
export function jsonTextOf(answer: unknown): string | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const text = (answer as { [TEXT]?: unknown })[TEXT];
  return typeof text === 'string' ? text : undefined;
}
