import { CognitoError, type CognitoErrorName } from '../errors.ts';
import type { ShapeSpec } from '../generated/cognito-idp.ts';

/**
 * Checks a request body against the service model the way AWS's front end does: required
 * members, JSON types, lengths, ranges, patterns and enums. Constraint failures are collected
 * into one InvalidParameterException with AWS's wording ("1 validation error detected: Value
 * 'x' at 'userPoolId' failed to satisfy constraint: ..."); a value of the wrong JSON type is a
 * SerializationException, as AWS answers it. Unknown members are ignored, as AWS ignores them.
 *
 * A JSON null is no value: a member set to null is removed from the body (so handlers see it
 * absent, as AWS's deserializer leaves it unset), as are nulls inside lists and map values (the
 * model's lists and maps are dense). Length limits apply to what remains.
 *
 * Every check is linear in the body, and what is reported is bounded: the first MAX_LISTED
 * problems are written out, and validation stops at MAX_COUNTED problems (a body of a mebibyte
 * could hold hundreds of thousands, each a line of the message).
 */
export class ModelValidator {
  private readonly patterns = new Map<string, RegExp>();
  /** Each structure's members: name, shape and the path segment problems name it by, listed at first use. */
  private readonly memberLists = new Map<string, [member: string, shape: string, segment: string][]>();

  private readonly shapes: Record<string, ShapeSpec>;

  constructor(
    shapes: Record<string, ShapeSpec>,
    /**
     * What constraint failures are answered with: cognito-idp says InvalidParameterException,
     * cognito-identity ValidationException with the same wording (getmoto/moto#1979, a pattern
     * failure on CreateIdentityPool seen against AWS).
     */
    private readonly constraintError: CognitoErrorName = 'InvalidParameterException',
  ) {
    this.shapes = { ...shapes };
    for (const [name, override] of Object.entries(SHAPE_OVERRIDES)) {
      if (this.shapes[name]) this.shapes[name] = { ...this.shapes[name], ...override };
    }
  }

  validate(shapeName: string | undefined, body: Record<string, unknown>): void {
    if (!shapeName) return;
    const problems = new Problems();
    this.checkStructure(shapeName, body, '', problems);
    if (problems.count > 0) throw new CognitoError(this.constraintError, problems.message());
  }

  /** Whether a value matches a model pattern, in time linear in the value. */
  private matches(pattern: string, value: string): boolean {
    const linear = LINEAR_PATTERNS.get(pattern);
    return linear ? linear(value) : this.regex(pattern).test(value);
  }

  private regex(pattern: string): RegExp {
    let re = this.patterns.get(pattern);
    if (!re) {
      re = compileModelPattern(pattern);
      this.patterns.set(pattern, re);
    }
    return re;
  }

  private checkStructure(shapeName: string, value: Record<string, unknown>, path: string, problems: Problems): void {
    const shape = this.shapes[shapeName];
    for (const req of shape.required ?? []) {
      if (value[req] === undefined || value[req] === null) {
        problems.add(null, join(path, req), 'not be null');
      }
    }
    let members = this.memberLists.get(shapeName);
    if (!members) {
      members = Object.entries(shape.members ?? {}).map(([member, memberShape]) => [member, memberShape, join('', member)]);
      this.memberLists.set(shapeName, members);
    }
    for (const [member, memberShape, segment] of members) {
      if (problems.full) return;
      const v = value[member];
      if (v === null) delete value[member];
      if (v === undefined || v === null) continue;
      this.checkValue(memberShape, v, path ? `${path}.${segment}` : segment, problems);
    }
  }

  private checkValue(shapeName: string, value: unknown, path: string, problems: Problems): void {
    const shape = this.shapes[shapeName];
    // What a problem shows of the value (its text is built only for the problems listed).
    const shown = shape.sensitive ? SENSITIVE : value;
    switch (shape.type) {
      case 'structure':
        if (!isObject(value)) throw serialization(path, 'structure');
        this.checkStructure(shapeName, value, path, problems);
        return;
      case 'list': {
        if (!Array.isArray(value)) throw serialization(path, 'list');
        // Nulls out in one pass (splicing each out moved the rest every time: quadratic).
        let kept = 0;
        for (let i = 0; i < value.length; i++) if (value[i] !== null && value[i] !== undefined) value[kept++] = value[i];
        value.length = kept;
        this.checkLength(value.length, shape, shown, path, problems);
        for (let i = 0; i < value.length && !problems.full; i++) this.checkValue(shape.member!, value[i], `${path}.${i + 1}.member`, problems);
        return;
      }
      case 'map': {
        if (!isObject(value)) throw serialization(path, 'map');
        // One pass: nulls out, the rest kept (for...in: a JSON object has no inherited keys).
        const entries: [string, unknown][] = [];
        for (const k in value) {
          const v = value[k];
          if (v === null || v === undefined) delete value[k];
          else entries.push([k, v]);
        }
        this.checkLength(entries.length, shape, shown, path, problems);
        // AWS reports bad entries as one problem of the whole map, naming every constraint of the
        // value shape: "Value '{...}' at 'configuration' failed to satisfy constraint: Map value
        // must satisfy constraint: [Member must have length less than or equal to 50000, Member
        // must have length greater than or equal to 1]" (terraform-provider-aws#41023). Keys are
        // worded alike ("Map keys must satisfy constraint: [...]": guessed, no key failure seen).
        const keyShape = this.shapes[shape.key!];
        const valueShape = this.shapes[shape.value!];
        let badKey: string | undefined;
        let badValue: string | undefined;
        for (const [k, v] of entries) {
          if (problems.full) return;
          badKey ??= this.stringProblem(keyShape, k, `${path}.key`);
          if (valueShape.type === 'string') badValue ??= this.stringProblem(valueShape, v, `${path}.value`);
          else this.checkValue(shape.value!, v, `${path}.value`, problems);
        }
        if (badKey) problems.add(shown, path, `[${constraintsOf(keyShape, badKey).join(', ')}]`, 'Map keys must satisfy constraint: ');
        if (badValue) problems.add(shown, path, `[${constraintsOf(valueShape, badValue).join(', ')}]`, 'Map value must satisfy constraint: ');
        return;
      }
      case 'string':
      case 'blob': {
        const problem = this.stringProblem(shape, value, path);
        if (problem) problems.add(shown, path, problem);
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(path, 'integer');
        if (shape.min !== undefined && value < shape.min) problems.add(shown, path, `have value greater than or equal to ${shape.min}`);
        else if (shape.max !== undefined && value > shape.max) problems.add(shown, path, `have value less than or equal to ${shape.max}`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') throw serialization(path, 'boolean');
        return;
      case 'timestamp':
        if (typeof value !== 'number') throw serialization(path, 'timestamp');
        return;
      default:
        return;
    }
  }

  /** What a string (or blob) breaks of its shape, as "satisfy ..." / "have length ..."; undefined when nothing. */
  private stringProblem(shape: ShapeSpec, value: unknown, path: string): string | undefined {
    if (typeof value !== 'string') throw serialization(path, 'string');
    if (shape.enum && !shape.enum.includes(value)) return `satisfy enum value set: [${shape.enum.join(', ')}]`;
    // A blob travels as base64; its limits count the bytes it decodes to (a 100 KB logo is
    // within ImageFileType's 131072 though its base64 text is not).
    const length = shape.type === 'blob' ? base64Bytes(value) : codePoints(value);
    // U+0000 is refused everywhere: PostgreSQL cannot store it in TEXT, and no Cognito value
    // needs it (Tobira's rule; the model's patterns already exclude it for most members).
    if (value.includes('\u0000')) return NO_NULL;
    if (shape.min !== undefined && length < shape.min) return `have length greater than or equal to ${shape.min}`;
    if (shape.max !== undefined && length > shape.max) return `have length less than or equal to ${shape.max}`;
    if (shape.pattern !== undefined && !this.matches(shape.pattern, value)) return `satisfy regular expression pattern: ${shape.pattern}`;
    return undefined;
  }

  private checkLength(length: number, shape: ShapeSpec, shown: unknown, path: string, problems: Problems): void {
    if (shape.min !== undefined && length < shape.min) problems.add(shown, path, `have length greater than or equal to ${shape.min}`);
    else if (shape.max !== undefined && length > shape.max) problems.add(shown, path, `have length less than or equal to ${shape.max}`);
  }
}

/**
 * Where the published model is stricter than the service. DomainType allows one DNS label (a
 * prefix domain such as `my-app-auth`), yet CreateUserPoolDomain takes custom domains such as
 * `auth.example.com` with a CustomDomainConfig; the domain rules (domain/pools/domains.ts) tell the two
 * apart.
 */
const SHAPE_OVERRIDES: Record<string, Partial<ShapeSpec>> = {
  DomainType: { max: 253, pattern: '^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?)*$' },
};

const EMAIL_CHARS = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]*$/u;
const MESSAGE_CHARS = /^[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*$/u;

/**
 * Model patterns that a backtracking engine matches in quadratic time or worse, because the
 * separator is also one of the characters around it: EmailAddressType's on 100,000 `a@` takes
 * 22 s, EmailVerificationMessageByLinkType's on 20,000 characters of `{##a##}` 80 s. Each says
 * "every character of one class, with these separators in this order", which is checked here in
 * one pass. Problems still name the model's pattern.
 */
export const LINEAR_PATTERNS: ReadonlyMap<string, (value: string) => boolean> = new Map([
  [
    '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+@[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+',
    (v: string) => {
      // An @ with a character on either side.
      const at = v.indexOf('@', 1);
      return at > 0 && at < v.length - 1 && EMAIL_CHARS.test(v);
    },
  ],
  [
    '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*\\{####\\}[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*',
    (v: string) => v.includes('{####}') && MESSAGE_CHARS.test(v),
  ],
  [
    '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*\\{##[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*##\\}[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*',
    (v: string) => {
      // A `{##` and, after it, a `##}`.
      const open = v.indexOf('{##');
      return open >= 0 && v.lastIndexOf('##}') >= open + 3 && MESSAGE_CHARS.test(v);
    },
  ],
]);

/**
 * The model's patterns are Java regular expressions matched against the whole value. Java's
 * inline `(?s)` becomes JavaScript's s flag; \p{..} classes need the u flag.
 */
export function compileModelPattern(pattern: string): RegExp {
  let flags = 'u';
  let body = pattern;
  if (body.startsWith('(?s)')) {
    flags += 's';
    body = body.slice(4);
  }
  return new RegExp(`^(?:${body})$`, flags);
}

function join(path: string, member: string): string {
  const camel = member.charAt(0).toLowerCase() + member.slice(1);
  return path ? `${path}.${camel}` : camel;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Stands for the value of a sensitive member, which messages leave out. */
const SENSITIVE = Symbol('sensitive');

/** The problems of one request: how many, and the text of the first MAX_LISTED. */
class Problems {
  count = 0;
  private readonly listed: string[] = [];

  /** True once MAX_COUNTED problems are found: validation stops there. */
  get full(): boolean {
    return this.count >= MAX_COUNTED;
  }

  /**
   * One problem: "Value 'x' at 'path' failed to satisfy constraint: Member must <constraint>".
   * `value` null prints as `Value null`, SENSITIVE as `Value`.
   */
  add(value: unknown, path: string, constraint: string, lead = 'Member must '): void {
    if (this.full) return;
    this.count++;
    if (this.listed.length >= MAX_LISTED) return;
    const shown = value === SENSITIVE ? 'Value' : value === null ? 'Value null' : `Value '${display(value)}'`;
    this.listed.push(`${shown} at '${path}' failed to satisfy constraint: ${lead}${constraint}`);
  }

  /**
   * AWS's wording, "2 validation errors detected: A; B". AWS lists every problem; past
   * MAX_LISTED the rest are counted, and past MAX_COUNTED no longer looked for.
   */
  message(): string {
    const n = this.count;
    const head = this.full ? `At least ${n} validation errors detected` : `${n} validation error${n === 1 ? '' : 's'} detected`;
    const rest = n > this.listed.length ? `; and ${this.full ? '' : `${n - this.listed.length} `}more, not listed` : '';
    return `${head}: ${this.listed.join('; ')}${rest}`;
  }
}

const NO_NULL = 'not contain the null character U+0000';

/**
 * Every constraint of a string shape, as a map problem lists them (length maximum first, as AWS
 * prints them), with Tobira's own U+0000 rule when that is what failed.
 */
function constraintsOf(shape: ShapeSpec, failed: string): string[] {
  if (shape.enum) return [`Member must satisfy enum value set: [${shape.enum.join(', ')}]`];
  const out: string[] = [];
  if (shape.max !== undefined) out.push(`Member must have length less than or equal to ${shape.max}`);
  if (shape.min !== undefined) out.push(`Member must have length greater than or equal to ${shape.min}`);
  if (shape.pattern !== undefined) out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  if (failed === NO_NULL) out.push(`Member must ${NO_NULL}`);
  return out;
}

/** Problems written out in a message; more are counted. */
export const MAX_LISTED = 10;
/** Problems looked for in one request. */
export const MAX_COUNTED = 1000;
/** Characters of a value written into a message; longer ones are cut with "...". */
export const MAX_DISPLAYED = 256;

/** How many bytes a base64 text decodes to (padding and whitespace not counted). */
function base64Bytes(s: string): number {
  const v = s.replace(/[\s=]+/g, '');
  return Math.floor((v.length * 3) / 4);
}

/** A string's length in code points, as the model counts it. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * Values are printed as AWS's Java front end prints them: lists as [a, b]. Past MAX_DISPLAYED
 * characters the text is cut: a list of a hundred thousand items is not written out.
 */
function display(v: unknown): string {
  let out = '';
  // False once the budget is spent; nesting is at most util/json.ts's MAX_JSON_DEPTH.
  const write = (x: unknown): boolean => {
    if (Array.isArray(x)) {
      out += '[';
      for (let i = 0; i < x.length; i++) {
        if (i > 0) out += ', ';
        if (!write(x[i])) return false;
      }
      out += ']';
    } else if (isObject(x)) {
      out += '{';
      let first = true;
      for (const k in x) {
        out += `${first ? '' : ', '}${k}=`;
        first = false;
        if (!write(x[k])) return false;
      }
      out += '}';
    } else {
      out += String(x).slice(0, MAX_DISPLAYED + 1);
    }
    return out.length <= MAX_DISPLAYED;
  };
  return write(v) ? out : `${out.slice(0, MAX_DISPLAYED)}...`;
}

function serialization(path: string, expected: string): CognitoError {
  return new CognitoError('SerializationException', `Unexpected value type at '${path}': expected ${expected}.`);
}
