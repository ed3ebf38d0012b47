import type { App } from '../app.ts';
import { invalidParameter, poolNotFound } from '../errors.ts';
import type {
  CreateUserPoolRequest,
  UpdateUserPoolRequest,
  UserPoolType,
  PasswordPolicyType,
  SchemaAttributeType,
} from '../generated/cognito-idp.ts';
import { newPoolId } from '../util/ids.ts';
import { buildSchema, customAttribute } from './schema.ts';
import type { UserPool } from './types.ts';
import type { Store } from '../store/store.ts';

export const DEFAULT_PASSWORD_POLICY: Required<
  Pick<PasswordPolicyType, 'MinimumLength' | 'RequireUppercase' | 'RequireLowercase' | 'RequireNumbers' | 'RequireSymbols' | 'TemporaryPasswordValidityDays'>
> = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
  TemporaryPasswordValidityDays: 7,
};

/**
 * A given PasswordPolicy replaces the default whole: members left out are off (false), as in
 * Cognito, except the minimum length (8) and the temporary password validity (7 days; 0 means 7).
 */
function passwordPolicy(given: PasswordPolicyType | undefined): PasswordPolicyType {
  if (!given) return { ...DEFAULT_PASSWORD_POLICY };
  const p: PasswordPolicyType = {
    MinimumLength: given.MinimumLength ?? 8,
    RequireUppercase: given.RequireUppercase ?? false,
    RequireLowercase: given.RequireLowercase ?? false,
    RequireNumbers: given.RequireNumbers ?? false,
    RequireSymbols: given.RequireSymbols ?? false,
    TemporaryPasswordValidityDays: given.TemporaryPasswordValidityDays || 7,
  };
  if (given.PasswordHistorySize !== undefined) p.PasswordHistorySize = given.PasswordHistorySize;
  return p;
}

type Settings = UserPool['config'];

/** The settings that CreateUserPool and UpdateUserPool share, with Cognito's defaults applied. */
function mutableSettings(input: CreateUserPoolRequest | UpdateUserPoolRequest): Partial<Settings> {
  const s: Partial<Settings> = {
    Policies: {
      ...input.Policies,
      PasswordPolicy: passwordPolicy(input.Policies?.PasswordPolicy),
      SignInPolicy: input.Policies?.SignInPolicy ?? { AllowedFirstAuthFactors: ['PASSWORD'] },
    },
    DeletionProtection: input.DeletionProtection ?? 'INACTIVE',
    LambdaConfig: input.LambdaConfig ?? {},
    MfaConfiguration: input.MfaConfiguration ?? 'OFF',
    EmailConfiguration: input.EmailConfiguration ?? { EmailSendingAccount: 'COGNITO_DEFAULT' },
    AdminCreateUserConfig: {
      AllowAdminCreateUserOnly: false,
      UnusedAccountValidityDays: 7,
      ...input.AdminCreateUserConfig,
    },
    VerificationMessageTemplate: {
      DefaultEmailOption: 'CONFIRM_WITH_CODE',
      ...input.VerificationMessageTemplate,
    },
    UserPoolTags: input.UserPoolTags ?? {},
    UserPoolTier: input.UserPoolTier ?? 'ESSENTIALS',
  };
  const copy = [
    'AutoVerifiedAttributes',
    'SmsVerificationMessage',
    'EmailVerificationMessage',
    'EmailVerificationSubject',
    'SmsAuthenticationMessage',
    'UserAttributeUpdateSettings',
    'DeviceConfiguration',
    'SmsConfiguration',
    'UserPoolAddOns',
    'AccountRecoverySetting',
  ] as const;
  for (const key of copy) {
    if (input[key] !== undefined) (s as Record<string, unknown>)[key] = input[key];
  }
  // Cognito mirrors the legacy top-level messages into VerificationMessageTemplate.
  const t = s.VerificationMessageTemplate!;
  if (input.EmailVerificationMessage && !t.EmailMessage) t.EmailMessage = input.EmailVerificationMessage;
  if (input.EmailVerificationSubject && !t.EmailSubject) t.EmailSubject = input.EmailVerificationSubject;
  if (input.SmsVerificationMessage && !t.SmsMessage) t.SmsMessage = input.SmsVerificationMessage;
  checkSettings(s);
  return s;
}

function checkSettings(s: Partial<Settings>): void {
  const attrs = s.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate ?? [];
  for (const a of attrs) {
    if (!(s.AutoVerifiedAttributes ?? []).includes(a)) {
      throw invalidParameter('All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes');
    }
  }
}

export async function createUserPool(app: App, region: string, input: CreateUserPoolRequest): Promise<UserPool> {
  if (input.UsernameAttributes?.length && input.AliasAttributes?.length) {
    throw invalidParameter('Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.');
  }
  const now = app.clock.now();
  const config: Settings = {
    ...mutableSettings(input),
    SchemaAttributes: buildSchema(input.Schema),
    UsernameConfiguration: { CaseSensitive: input.UsernameConfiguration?.CaseSensitive ?? false },
  };
  if (input.UsernameAttributes) config.UsernameAttributes = input.UsernameAttributes;
  if (input.AliasAttributes) config.AliasAttributes = input.AliasAttributes;
  const pool: UserPool = { id: newPoolId(app.random, region), region, name: input.PoolName, config, createdAt: now, updatedAt: now };
  await app.store.tx(async (s) => {
    await s.pools.insert(pool);
    await onPoolCreated(app, s, pool);
  });
  return pool;
}

/** Hooks that other features run in the pool's creating transaction (signing keys ...). */
export type PoolCreatedHook = (app: App, store: Store, pool: UserPool) => Promise<void>;
const poolCreatedHooks: PoolCreatedHook[] = [];
export function onPoolCreation(hook: PoolCreatedHook): void {
  poolCreatedHooks.push(hook);
}
async function onPoolCreated(app: App, store: Store, pool: UserPool): Promise<void> {
  for (const hook of poolCreatedHooks) await hook(app, store, pool);
}

export async function getPool(store: Store, poolId: string): Promise<UserPool> {
  const pool = await store.pools.get(poolId);
  if (!pool) throw poolNotFound(poolId);
  return pool;
}

export function poolArn(app: App, pool: UserPool): string {
  return `arn:aws:cognito-idp:${pool.region}:${app.config.accountId}:userpool/${pool.id}`;
}

/** The pool as DescribeUserPool and CreateUserPool answer it. */
export async function describePool(app: App, pool: UserPool): Promise<UserPoolType> {
  return {
    Id: pool.id,
    Name: pool.name,
    ...pool.config,
    Arn: poolArn(app, pool),
    CreationDate: pool.createdAt / 1000,
    LastModifiedDate: pool.updatedAt / 1000,
    EstimatedNumberOfUsers: await app.store.pools.countUsers(pool.id),
  };
}

/**
 * UpdateUserPool replaces every updatable setting: one left out returns to its default, as
 * Cognito documents. The schema, username attributes and case sensitivity stay.
 */
export async function updateUserPool(app: App, input: UpdateUserPoolRequest): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, input.UserPoolId);
    const keep = {
      SchemaAttributes: pool.config.SchemaAttributes,
      UsernameConfiguration: pool.config.UsernameConfiguration,
      UsernameAttributes: pool.config.UsernameAttributes,
      AliasAttributes: pool.config.AliasAttributes,
      Domain: pool.config.Domain,
      CustomDomain: pool.config.CustomDomain,
    };
    const settings = mutableSettings({ ...input, UserPoolTags: input.UserPoolTags ?? pool.config.UserPoolTags });
    pool.config = { ...settings, ...stripUndefined(keep) };
    if (input.PoolName) pool.name = input.PoolName;
    pool.updatedAt = app.clock.now();
    await s.pools.update(pool);
  });
}

export async function deleteUserPool(app: App, poolId: string): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    if (pool.config.DeletionProtection === 'ACTIVE') {
      throw invalidParameter(
        'The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.',
      );
    }
    await s.pools.delete(poolId);
  });
}

export async function addCustomAttributes(app: App, poolId: string, attributes: SchemaAttributeType[]): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    const schema = [...(pool.config.SchemaAttributes ?? [])];
    for (const a of attributes) {
      const custom = customAttribute(a);
      if (schema.some((x) => x.Name === custom.Name)) {
        throw invalidParameter(`${custom.Name}: Existing attribute already has name ${custom.Name}.`);
      }
      schema.push(custom);
    }
    if (schema.filter((x) => x.Name!.includes('custom:')).length > 50) {
      throw invalidParameter('A user pool can have at most 50 custom attributes.');
    }
    pool.config.SchemaAttributes = schema;
    pool.updatedAt = app.clock.now();
    await s.pools.update(pool);
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
