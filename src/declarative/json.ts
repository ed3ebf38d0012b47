/** JSON.parse refusing `__proto__` and `constructor` keys, so a config file cannot pollute prototypes. */
export function safeJsonParse(text: string): unknown {
  return JSON.parse(text, (key, value) => {
    if (key === '__proto__' || key === 'constructor') throw new Error(`the key "${key}" is not allowed`);
    return value;
  });
}
