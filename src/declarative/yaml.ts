/**
 * A small, strict reader of the YAML a config file needs, so `--config tobira.yaml` works
 * without a YAML library: block mappings and sequences by indentation (spaces only), `- ` items
 * (also `- key: value` opening a mapping), comments, plain scalars (true/false, null/~, numbers,
 * else strings), 'single' and "double" quoted strings (JSON escapes), and flow collections
 * written as JSON (`[1, "a"]`, `{}`). Anything else (anchors, aliases, tags, block scalars `|` `>`,
 * several documents, tabs) is refused with its line number rather than guessed at.
 */
export function parseYaml(text: string): unknown {
  const lines: { indent: number; text: string; no: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    if (/^\s*\t/.test(raw)) throw new Error(`line ${no}: tabs are not allowed for indentation`);
    const content = stripComment(raw, no).trimEnd();
    if (!content.trim()) return;
    if (i === 0 && content === '---') return;
    if (content === '---' || content === '...') throw new Error(`line ${no}: one document only`);
    lines.push({ indent: content.length - content.trimStart().length, text: content.trim(), no });
  });
  if (!lines.length) return null;
  let pos = 0;

  function block(indent: number): unknown {
    const first = lines[pos];
    return first.text.startsWith('- ') || first.text === '-' ? sequence(indent) : mapping(indent);
  }

  function sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (pos < lines.length && lines[pos].indent === indent && (lines[pos].text.startsWith('- ') || lines[pos].text === '-')) {
      const line = lines[pos];
      const rest = line.text === '-' ? '' : line.text.slice(2).trimStart();
      if (!rest) {
        pos++;
        out.push(pos < lines.length && lines[pos].indent > indent ? block(lines[pos].indent) : null);
      } else if (isMappingEntry(rest)) {
        // `- key: value`: a mapping whose keys are indented as the text after the dash.
        lines[pos] = { indent: indent + (line.text.length - rest.length), text: rest, no: line.no };
        out.push(mapping(lines[pos].indent));
      } else {
        out.push(scalar(rest, line.no));
        pos++;
      }
    }
    return out;
  }

  function mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    while (pos < lines.length && lines[pos].indent === indent) {
      const line = lines[pos];
      if (line.text.startsWith('- ')) throw new Error(`line ${line.no}: a list item where a key was expected`);
      const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:#'"{[][^:]*?)\s*:(?:\s+(.*))?$/.exec(line.text);
      if (!m) throw new Error(`line ${line.no}: expected "key: value"`);
      const key = String(m[1].startsWith('"') || m[1].startsWith("'") ? scalar(m[1], line.no) : m[1]);
      if (key === '__proto__' || key === 'constructor') throw new Error(`line ${line.no}: the key "${key}" is not allowed`);
      if (key in out) throw new Error(`line ${line.no}: "${key}" is given twice`);
      pos++;
      if (m[2] !== undefined && m[2] !== '') out[key] = scalar(m[2], line.no);
      else if (pos < lines.length && lines[pos].indent > indent) out[key] = block(lines[pos].indent);
      else if (pos < lines.length && lines[pos].indent === indent && lines[pos].text.startsWith('- ')) out[key] = sequence(indent);
      else out[key] = null;
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new Error(`line ${lines[pos].no}: unexpected indentation`);
    return { ...out };
  }

  const value = block(lines[0].indent);
  if (pos < lines.length) throw new Error(`line ${lines[pos].no}: unexpected indentation`);
  return value;
}

const isMappingEntry = (text: string) => /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:#'"{[\s][^:]*?)\s*:(\s|$)/.test(text);

/** The line without a `#` comment (one at the start or after a space, outside quotes). */
function stripComment(line: string, no: number): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[{,-]/.test(line[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  if (quote) throw new Error(`line ${no}: unterminated quoted string`);
  return line;
}

function scalar(text: string, no: number): unknown {
  const t = text.trim();
  if (/^[&*!|>%@`]/.test(t)) throw new Error(`line ${no}: anchors, aliases, tags and block scalars are not read (${t[0]})`);
  if (t.startsWith('"')) return json(t, no);
  if (t.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(t)) throw new Error(`line ${no}: bad single-quoted string`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith('[') || t.startsWith('{')) return json(t, no);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null' || t === '~') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return t;
}

function json(text: string, no: number): unknown {
  try {
    return JSON.parse(text, (k, v) => {
      if (k === '__proto__' || k === 'constructor') throw new Error(`the key "${k}" is not allowed`);
      return v;
    });
  } catch (err) {
    throw new Error(`line ${no}: quoted strings and flow collections are read as JSON: ${(err as Error).message}`);
  }
}
