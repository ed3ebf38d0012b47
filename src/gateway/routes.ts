/**
 * API Gateway's resource path templates: `/items/{id}` (one segment), `/{proxy+}` (greedy, one or
 * more segments, last only), `/` (the root resource). A request picks the most specific match:
 * literal segments beat `{param}`, which beats `{proxy+}`; a named method beats ANY.
 */
export interface PathTemplate {
  /** The template as written, e.g. `/items/{id}`; it is the event's `resource`. */
  template: string;
  segments: Segment[];
}

export type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface RouteMatch {
  pathParameters: Record<string, string> | null;
}

const PARAM = /^\{([A-Za-z0-9._-]+)\}$/;
const GREEDY = /^\{([A-Za-z0-9._-]+)\+\}$/;
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** Parses `METHOD /path` (API Gateway's route key). */
export function parseRouteKey(key: string): { method: string; template: PathTemplate } {
  const m = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(key);
  if (!m) throw new Error(`route "${key}": expected "<METHOD> /path", e.g. "GET /items/{id}" or "ANY /{proxy+}"`);
  const method = m[1].toUpperCase();
  if (method !== 'ANY' && !HTTP_METHODS.includes(method)) throw new Error(`route "${key}": unknown method ${m[1]}`);
  return { method, template: parseTemplate(m[2]) };
}

export function parseTemplate(path: string): PathTemplate {
  const parts = path.split('/').filter((p) => p !== '');
  const segments: Segment[] = parts.map((p, i) => {
    const greedy = GREEDY.exec(p);
    if (greedy) {
      if (i !== parts.length - 1) throw new Error(`path "${path}": {${greedy[1]}+} must be the last segment`);
      return { kind: 'greedy', name: greedy[1] };
    }
    const param = PARAM.exec(p);
    if (param) return { kind: 'param', name: param[1] };
    if (/[{}]/.test(p)) throw new Error(`path "${path}": bad segment "${p}"`);
    return { kind: 'literal', value: p };
  });
  return { template: '/' + parts.join('/'), segments };
}

/** Matches a raw (still percent-encoded) request path against a template. */
export function matchTemplate(t: PathTemplate, rawPath: string): RouteMatch | null {
  const parts = rawPath.split('/').slice(1);
  // A trailing slash names the same resource (`/test/` is `/test`), as API Gateway routes it.
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  const params: Record<string, string> = {};
  let any = false;
  for (let i = 0; i < t.segments.length; i++) {
    const seg = t.segments[i];
    if (seg.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.some((p) => p === '')) return null;
      params[seg.name] = safeDecode(rest.join('/'));
      any = true;
      return { pathParameters: params };
    }
    const part = parts[i];
    if (part === undefined || part === '') return null;
    if (seg.kind === 'literal') {
      if (safeDecode(part) !== seg.value) return null;
    } else {
      params[seg.name] = safeDecode(part);
      any = true;
    }
  }
  if (parts.length !== t.segments.length) return null;
  return { pathParameters: any ? params : null };
}

/** Orders templates most specific first, so the first match is the one API Gateway picks. */
export function compareSpecificity(a: { method: string; template: PathTemplate }, b: { method: string; template: PathTemplate }): number {
  const rank = (s: Segment | undefined) => (s === undefined ? 3 : s.kind === 'literal' ? 0 : s.kind === 'param' ? 1 : 2);
  const n = Math.max(a.template.segments.length, b.template.segments.length);
  for (let i = 0; i < n; i++) {
    const d = rank(a.template.segments[i]) - rank(b.template.segments[i]);
    if (d !== 0) return d;
  }
  return (a.method === 'ANY' ? 1 : 0) - (b.method === 'ANY' ? 1 : 0);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
