import type { SchemaAttributeType } from '../../generated/cognito-idp.ts';
import { invalidParameter } from '../../errors.ts';

/** Cognito's limit on custom attributes per pool (quotas page: 50, not adjustable). */
export const MAX_CUSTOM_ATTRIBUTES = 50;
/** The longest a String attribute may be (quotas page: 2,048 characters per value). */
const MAX_STRING_LENGTH = 2048;

const str = (name: string, opts: Partial<SchemaAttributeType> = {}): SchemaAttributeType => ({
  Name: name,
  AttributeDataType: 'String',
  DeveloperOnlyAttribute: false,
  Mutable: true,
  Required: false,
  StringAttributeConstraints: { MinLength: '0', MaxLength: '2048' },
  ...opts,
});

/** The standard attributes every new pool has, in the order DescribeUserPool lists them (seed 001). */
export function standardSchema(): SchemaAttributeType[] {
  return [
    str('sub', { Mutable: false, Required: true, StringAttributeConstraints: { MinLength: '1', MaxLength: '2048' } }),
    str('name'),
    str('given_name'),
    str('family_name'),
    str('middle_name'),
    str('nickname'),
    str('preferred_username'),
    str('profile'),
    str('picture'),
    str('website'),
    str('email'),
    { Name: 'email_verified', AttributeDataType: 'Boolean', DeveloperOnlyAttribute: false, Mutable: true, Required: false },
    str('gender'),
    str('birthdate', { StringAttributeConstraints: { MinLength: '10', MaxLength: '10' } }),
    str('zoneinfo'),
    str('locale'),
    str('phone_number'),
    { Name: 'phone_number_verified', AttributeDataType: 'Boolean', DeveloperOnlyAttribute: false, Mutable: true, Required: false },
    str('address'),
    {
      Name: 'updated_at',
      AttributeDataType: 'Number',
      DeveloperOnlyAttribute: false,
      Mutable: true,
      Required: false,
      NumberAttributeConstraints: { MinValue: '0' },
    },
  ];
}

const STANDARD_NAMES = new Set(standardSchema().map((a) => a.Name!));

export const isStandardAttribute = (name: string) => STANDARD_NAMES.has(name);

/** Custom and developer-only attributes, as stored (`custom:x`, `dev:custom:x`). */
export const isCustomAttributeName = (name: string) => name.startsWith('custom:') || name.startsWith('dev:custom:');

/**
 * The stored name of a custom attribute. Cognito prefixes the given name blindly: a name that
 * already starts with `custom:` becomes `custom:custom:x` (seen in crossplane-contrib/
 * provider-upjet-aws#427), and a developer-only one gets `dev:` in front (the CreateUserPool
 * example in the API reference answers `dev:custom:mydev` for `mydev`).
 */
function customName(a: SchemaAttributeType): string {
  return `${a.DeveloperOnlyAttribute ? 'dev:' : ''}custom:${a.Name}`;
}

/** Min/max constraints come as strings of digits; anything else is refused, as Cognito does. */
function bound(value: string | undefined, kind: string, name: string, signed: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (!(signed ? /^-?\d{1,18}$/ : /^\d{1,18}$/).test(value)) {
    throw invalidParameter(`Invalid ${kind} for schema attribute ${name}`);
  }
  return Number(value);
}

/**
 * Checks and keeps the constraints that fit the attribute's type; the other kind is dropped
 * without complaint (the API reference's example sends both for a Number attribute and gets only
 * NumberAttributeConstraints back).
 */
function constraintsFor(out: SchemaAttributeType, given: SchemaAttributeType, defaults: SchemaAttributeType | undefined): void {
  const name = out.Name!;
  delete out.StringAttributeConstraints;
  delete out.NumberAttributeConstraints;
  if (out.AttributeDataType === 'String') {
    const c = given.StringAttributeConstraints ?? defaults?.StringAttributeConstraints ?? {};
    const min = bound(c.MinLength, 'StringAttributeConstraints', name, false);
    const max = bound(c.MaxLength, 'StringAttributeConstraints', name, false);
    if ((min ?? 0) > MAX_STRING_LENGTH || (max ?? 0) > MAX_STRING_LENGTH) {
      throw invalidParameter(`user.${name}: String attributes cannot have a length of more than ${MAX_STRING_LENGTH}`);
    }
    if (min !== undefined && max !== undefined && min > max) {
      throw invalidParameter(`user.${name}: Max length cannot be less than min length.`);
    }
    out.StringAttributeConstraints = pick(c, ['MinLength', 'MaxLength']);
  } else if (out.AttributeDataType === 'Number') {
    const c = given.NumberAttributeConstraints ?? defaults?.NumberAttributeConstraints ?? {};
    const min = bound(c.MinValue, 'NumberAttributeConstraints', name, true);
    const max = bound(c.MaxValue, 'NumberAttributeConstraints', name, true);
    if (min !== undefined && max !== undefined && min > max) {
      throw invalidParameter(`user.${name}: Max value cannot be less than min value.`);
    }
    out.NumberAttributeConstraints = pick(c, ['MinValue', 'MaxValue']);
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * A custom attribute's stored definition. Without constraints it is echoed with an empty
 * constraints object of its type, as Cognito answers it.
 */
export function customAttribute(a: SchemaAttributeType): SchemaAttributeType {
  if (!a.Name) throw invalidParameter('Attribute name is required for a schema attribute.');
  // Cognito refuses a custom attribute without a type rather than defaulting it (getmoto/moto#4493).
  if (!a.AttributeDataType) {
    throw invalidParameter('Invalid AttributeDataType input, consider using the provided AttributeDataType enum.');
  }
  if (a.Required) throw invalidParameter('Required custom attributes are not supported currently.');
  const out: SchemaAttributeType = {
    Name: customName(a),
    AttributeDataType: a.AttributeDataType,
    DeveloperOnlyAttribute: a.DeveloperOnlyAttribute ?? false,
    Mutable: a.Mutable ?? true,
    Required: false,
  };
  constraintsFor(out, a, undefined);
  return out;
}

/** A standard attribute with the caller's changes: Required, Mutable and constraints only. */
function changedStandard(std: SchemaAttributeType, a: SchemaAttributeType): SchemaAttributeType {
  if ((a.AttributeDataType && a.AttributeDataType !== std.AttributeDataType) || a.DeveloperOnlyAttribute) {
    throw invalidParameter(
      `You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute ${std.Name}`,
    );
  }
  // sub stays what it is: the identity of every user.
  if (std.Name === 'sub') return std;
  const out: SchemaAttributeType = {
    ...std,
    Mutable: a.Mutable ?? std.Mutable,
    Required: a.Required ?? std.Required,
  };
  constraintsFor(out, a, std);
  return out;
}

function existing(name: string): never {
  throw invalidParameter(`${name}: Existing attribute already has name ${name}.`);
}

/**
 * The schema of a new pool: the standard attributes, with the caller's changes to them, then
 * the caller's custom attributes in the order given.
 */
export function buildSchema(requested: SchemaAttributeType[] | undefined): SchemaAttributeType[] {
  const schema = standardSchema();
  const changed = new Set<string>();
  for (const a of requested ?? []) {
    const i = schema.findIndex((s) => s.Name === a.Name);
    if (i >= 0 && i < STANDARD_NAMES.size) {
      if (changed.has(a.Name!)) existing(a.Name!);
      changed.add(a.Name!);
      schema[i] = changedStandard(schema[i], a);
      continue;
    }
    appendCustom(schema, a);
  }
  return schema;
}

/**
 * Adds custom attributes to a pool's schema (AddCustomAttributes), refusing one whose name is
 * taken and a schema over 50 custom attributes. Returns the new schema; the old is untouched.
 */
export function withCustomAttributes(schema: SchemaAttributeType[], added: SchemaAttributeType[]): SchemaAttributeType[] {
  const out = [...schema];
  for (const a of added) appendCustom(out, a);
  return out;
}

function appendCustom(schema: SchemaAttributeType[], a: SchemaAttributeType): void {
  const custom = customAttribute(a);
  // Either spelling taken counts: custom:x and dev:custom:x share the name x (getmoto/moto tests
  // quote "custom:banana: Existing attribute already has name dev:custom:banana.").
  const bare = `custom:${a.Name}`;
  const clash = schema.find((s) => s.Name === bare || s.Name === `dev:${bare}`);
  if (clash) throw invalidParameter(`${bare}: Existing attribute already has name ${clash.Name}.`);
  schema.push(custom);
  if (schema.filter((s) => isCustomAttributeName(s.Name!)).length > MAX_CUSTOM_ATTRIBUTES) {
    throw invalidParameter(`A user pool can have at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes.`);
  }
}
