import type { SchemaAttributeType } from '../generated/cognito-idp.ts';
import { invalidParameter } from '../errors.ts';

const str = (name: string, opts: Partial<SchemaAttributeType> = {}): SchemaAttributeType => ({
  Name: name,
  AttributeDataType: 'String',
  DeveloperOnlyAttribute: false,
  Mutable: true,
  Required: false,
  StringAttributeConstraints: { MinLength: '0', MaxLength: '2048' },
  ...opts,
});

/** The standard attributes every new pool has, in the order DescribeUserPool lists them. */
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

/** The stored name of a custom attribute: `custom:` (or `dev:custom:` when developer only). */
function customName(a: SchemaAttributeType): string {
  const bare = a.Name!.replace(/^(dev:)?custom:/, '');
  return a.DeveloperOnlyAttribute ? `dev:custom:${bare}` : `custom:${bare}`;
}

/** Builds a custom attribute's stored definition, with Cognito's defaults. */
export function customAttribute(a: SchemaAttributeType): SchemaAttributeType {
  if (a.Required) throw invalidParameter('Required custom attributes are not supported currently.');
  const type = a.AttributeDataType ?? 'String';
  const out: SchemaAttributeType = {
    Name: customName(a),
    AttributeDataType: type,
    DeveloperOnlyAttribute: a.DeveloperOnlyAttribute ?? false,
    Mutable: a.Mutable ?? true,
    Required: false,
  };
  if (type === 'String') out.StringAttributeConstraints = a.StringAttributeConstraints ?? {};
  if (type === 'Number') out.NumberAttributeConstraints = a.NumberAttributeConstraints ?? {};
  return out;
}

/**
 * The schema of a new pool: the standard attributes, with the caller's changes to them
 * (Required, Mutable, constraints), then the caller's custom attributes.
 */
export function buildSchema(requested: SchemaAttributeType[] | undefined): SchemaAttributeType[] {
  const schema = standardSchema();
  const seen = new Set<string>();
  for (const a of requested ?? []) {
    const name = a.Name ?? '';
    if (seen.has(name)) throw invalidParameter(`Duplicate attribute name: ${name}`);
    seen.add(name);
    const std = schema.find((s) => s.Name === name);
    if (std) {
      if (a.AttributeDataType && a.AttributeDataType !== std.AttributeDataType) {
        throw invalidParameter(`${name}: Attribute data type cannot be changed for a standard attribute.`);
      }
      if (name === 'sub') continue;
      if (a.Required !== undefined) std.Required = a.Required;
      if (a.Mutable !== undefined) std.Mutable = a.Mutable;
      if (a.DeveloperOnlyAttribute !== undefined) std.DeveloperOnlyAttribute = a.DeveloperOnlyAttribute;
      if (a.StringAttributeConstraints && std.AttributeDataType === 'String') {
        std.StringAttributeConstraints = { ...std.StringAttributeConstraints, ...a.StringAttributeConstraints };
      }
      if (a.NumberAttributeConstraints && std.AttributeDataType === 'Number') {
        std.NumberAttributeConstraints = { ...std.NumberAttributeConstraints, ...a.NumberAttributeConstraints };
      }
      continue;
    }
    const custom = customAttribute(a);
    if (schema.some((s) => s.Name === custom.Name)) {
      throw invalidParameter(`${custom.Name}: Existing attribute already has name ${custom.Name}.`);
    }
    schema.push(custom);
  }
  if (schema.filter((s) => s.Name!.includes('custom:')).length > 50) {
    throw invalidParameter('A user pool can have at most 50 custom attributes.');
  }
  return schema;
}
