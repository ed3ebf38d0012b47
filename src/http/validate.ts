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
 */
export class ModelValidator {
  private readonly patterns = new Map<string, RegExp>();

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
    const problems: string[] = [];
    this.checkStructure(shapeName, body, '', problems);
    if (problems.length > 0) {
      const n = problems.length;
      throw new CognitoError(
        this.constraintError,
        `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
      );
    }
  }

  private regex(pattern: string): RegExp {
    let re = this.patterns.get(pattern);
    if (!re) {
      re = compileModelPattern(pattern);
      this.patterns.set(pattern, re);
    }
    return re;
  }

  private checkStructure(shapeName: string, value: Record<string, unknown>, path: string, problems: string[]): void {
    const shape = this.shapes[shapeName];
    for (const req of shape.required ?? []) {
      if (value[req] === undefined || value[req] === null) {
        problems.push(`Value null at '${join(path, req)}' failed to satisfy constraint: Member must not be null`);
      }
    }
    for (const [member, memberShape] of Object.entries(shape.members ?? {})) {
      const v = value[member];
      if (v === null) delete value[member];
      if (v === undefined || v === null) continue;
      this.checkValue(memberShape, v, join(path, member), problems);
    }
  }

  private checkValue(shapeName: string, value: unknown, path: string, problems: string[]): void {
    const shape = this.shapes[shapeName];
    const fail = (constraint: string) => {
      const shown = shape.sensitive ? 'Value' : `Value '${display(value)}'`;
      problems.push(`${shown} at '${path}' failed to satisfy constraint: Member must ${constraint}`);
    };
    switch (shape.type) {
      case 'structure':
        if (!isObject(value)) throw serialization(path, 'structure');
        this.checkStructure(shapeName, value, path, problems);
        return;
      case 'list': {
        if (!Array.isArray(value)) throw serialization(path, 'list');
        for (let i = value.length - 1; i >= 0; i--) if (value[i] === null || value[i] === undefined) value.splice(i, 1);
        this.checkLength(value.length, shape, fail);
        value.forEach((item, i) => this.checkValue(shape.member!, item, `${path}.${i + 1}.member`, problems));
        return;
      }
      case 'map': {
        if (!isObject(value)) throw serialization(path, 'map');
        for (const [k, v] of Object.entries(value)) if (v === null || v === undefined) delete value[k];
        const entries = Object.entries(value);
        this.checkLength(entries.length, shape, fail);
        for (const [k, v] of entries) {
          this.checkValue(shape.key!, k, `${path}.key`, problems);
          this.checkValue(shape.value!, v, `${path}.value`, problems);
        }
        return;
      }
      case 'string':
      case 'blob': {
        if (typeof value !== 'string') throw serialization(path, 'string');
        if (shape.enum && !shape.enum.includes(value)) {
          fail(`satisfy enum value set: [${shape.enum.join(', ')}]`);
          return;
        }
        const length = [...value].length;
        // U+0000 is refused everywhere: PostgreSQL cannot store it in TEXT, and no Cognito value
        // needs it (Tobira's rule; the model's patterns already exclude it for most members).
        if (value.includes('\u0000')) fail('not contain the null character U+0000');
        else if (shape.min !== undefined && length < shape.min) fail(`have length greater than or equal to ${shape.min}`);
        else if (shape.max !== undefined && length > shape.max) fail(`have length less than or equal to ${shape.max}`);
        else if (shape.pattern !== undefined && !this.regex(shape.pattern).test(value)) {
          fail(`satisfy regular expression pattern: ${shape.pattern}`);
        }
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(path, 'integer');
        if (shape.min !== undefined && value < shape.min) fail(`have value greater than or equal to ${shape.min}`);
        else if (shape.max !== undefined && value > shape.max) fail(`have value less than or equal to ${shape.max}`);
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

  private checkLength(length: number, shape: ShapeSpec, fail: (c: string) => void): void {
    if (shape.min !== undefined && length < shape.min) fail(`have length greater than or equal to ${shape.min}`);
    else if (shape.max !== undefined && length > shape.max) fail(`have length less than or equal to ${shape.max}`);
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

/** Values are printed as AWS's Java front end prints them: lists as [a, b]. */
function display(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(display).join(', ')}]`;
  if (isObject(v)) return `{${Object.entries(v).map(([k, x]) => `${k}=${display(x)}`).join(', ')}}`;
  return String(v);
}

function serialization(path: string, expected: string): CognitoError {
  return new CognitoError('SerializationException', `Unexpected value type at '${path}': expected ${expected}.`);
}
