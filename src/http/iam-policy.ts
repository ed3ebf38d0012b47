/**
 * IAM identity-based policies on the admin keys (--admin-credentials-file in JSON): what each
 * key may call. Evaluated as IAM evaluates one identity policy: an explicit Deny wins, then an
 * Allow, and anything else is denied ("Policy evaluation logic", IAM User Guide). Action names
 * match case-insensitively, resources case-sensitively; both take `*` and `?` wildcards.
 * Condition blocks are refused when the file is read: Tobira has none of the request context
 * they test, and ignoring one would widen what a policy allows.
 */
export interface Statement {
  effect: 'Allow' | 'Deny';
  /** Exactly one of actions / notActions. */
  actions?: string[];
  notActions?: string[];
  /** Exactly one of resources / notResources. */
  resources?: string[];
  notResources?: string[];
}

export interface Policy {
  statements: Statement[];
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const KNOWN = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'NotPrincipal']);

/** A policy document (object or JSON text) checked and parsed; throws an Error saying what is wrong. */
export function parsePolicy(doc: unknown): Policy {
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc);
    } catch {
      throw new Error('the policy is not JSON');
    }
  }
  if (!isObject(doc)) throw new Error('a policy is a JSON object with Version and Statement');
  for (const key of Object.keys(doc)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) throw new Error(`unknown policy element ${key}`);
  }
  if (doc.Version !== undefined && !VERSIONS.has(doc.Version as string)) throw new Error(`policy Version must be 2012-10-17 (got ${JSON.stringify(doc.Version)})`);
  const raw = doc.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) throw new Error('a policy needs a Statement');
  return { statements: list.map((s, i) => parseStatement(s, i)) };
}

function parseStatement(s: unknown, i: number): Statement {
  const where = `Statement ${i}${isObject(s) && typeof s.Sid === 'string' ? ` (${s.Sid})` : ''}`;
  if (!isObject(s)) throw new Error(`${where} is not an object`);
  for (const key of Object.keys(s)) if (!KNOWN.has(key)) throw new Error(`${where}: unknown element ${key}`);
  if (s.Condition !== undefined) throw new Error(`${where}: Condition is not supported by Tobira; drop it or split the key`);
  if (s.Principal !== undefined || s.NotPrincipal !== undefined) throw new Error(`${where}: an identity-based policy has no Principal`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`${where}: Effect must be Allow or Deny`);
  const st: Statement = { effect: s.Effect };
  const one = (a: string, b: string): [string, string[]] => {
    if ((s[a] === undefined) === (s[b] === undefined)) throw new Error(`${where}: give exactly one of ${a} and ${b}`);
    const name = s[a] !== undefined ? a : b;
    const v = s[name];
    const values = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(values) || values.length === 0 || !values.every((x) => typeof x === 'string' && x.length > 0)) {
      throw new Error(`${where}: ${name} must be a string or a list of strings`);
    }
    return [name, values as string[]];
  };
  const [actionKey, actions] = one('Action', 'NotAction');
  for (const a of actions) {
    if (a !== '*' && !/^[a-z0-9-]+:[A-Za-z0-9*?]+$/i.test(a)) throw new Error(`${where}: ${a} is not an action (service:Action, such as cognito-idp:AdminCreateUser or cognito-idp:List*)`);
  }
  if (actionKey === 'Action') st.actions = actions;
  else st.notActions = actions;
  const [resourceKey, resources] = one('Resource', 'NotResource');
  if (resourceKey === 'Resource') st.resources = resources;
  else st.notResources = resources;
  return st;
}

/** IAM's decision for one call: `action` is service:Operation, `resource` an ARN or `*`. */
export function evaluate(policy: Policy, action: string, resource: string): Decision {
  let allowed = false;
  for (const s of policy.statements) {
    const actionMatches = s.actions ? s.actions.some((p) => matches(p, action, true)) : !s.notActions!.some((p) => matches(p, action, true));
    if (!actionMatches) continue;
    const resourceMatches = s.resources
      ? s.resources.some((p) => matches(p, resource, false))
      : !s.notResources!.some((p) => matches(p, resource, false));
    if (!resourceMatches) continue;
    if (s.effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/**
 * IAM's wildcard match: `*` any run of characters, `?` any one, everything else literal. An
 * operation that names no resource (ListUserPools) has resource `*`, which only a pattern that
 * matches everything (`*`, `arn:*` does not) allows.
 */
export function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
  return re.test(value);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
