import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, poolNotFound } from '../../errors.ts';
import type {
  CreateUserPoolRequest,
  UpdateUserPoolRequest,
  UserPoolType,
  PasswordPolicyType,
  SchemaAttributeType,
  UserPoolTierType,
} from '../../generated/cognito-idp.ts';
import { newPoolId } from '../../util/ids.ts';
import { buildSchema, withCustomAttributes } from './schema.ts';
import type { UserPool } from '../types.ts';
import type { Store } from '../../store/store.ts';
import { checkSignInPolicyTier } from '../mfa/webauthn-config.ts';
import { refuseWhileImporting } from '../import/jobs.ts';

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

type Settings = UserPool['config'];
type SettingsInput = CreateUserPoolRequest | UpdateUserPoolRequest;

/**
 * A given PasswordPolicy replaces the default whole: members left out are off (false), as in
 * Cognito (boto/boto3#2516 echoes all four false for a policy that named only MinimumLength),
 * except the minimum length (8) and the temporary password validity (7 days; 0 means 7).
 * PasswordHistorySize 0 is not shown, as the API reference says.
 */
function passwordPolicy(given: PasswordPolicyType | undefined, tier: UserPoolTierType): PasswordPolicyType {
  if (!given) return { ...DEFAULT_PASSWORD_POLICY };
  const p: PasswordPolicyType = {
    MinimumLength: given.MinimumLength ?? 8,
    RequireUppercase: given.RequireUppercase ?? false,
    RequireLowercase: given.RequireLowercase ?? false,
    RequireNumbers: given.RequireNumbers ?? false,
    RequireSymbols: given.RequireSymbols ?? false,
    TemporaryPasswordValidityDays: given.TemporaryPasswordValidityDays || 7,
  };
  if (given.PasswordHistorySize) {
    // Password history is a feature of the Essentials and Plus plans (API reference, PasswordHistorySize).
    if (tier === 'LITE') {
      throw new CognitoError('FeatureUnavailableInTierException', 'Password history is not available in the LITE user pool tier.');
    }
    p.PasswordHistorySize = given.PasswordHistorySize;
  }
  return p;
}

/**
 * The legacy top-level verification messages and VerificationMessageTemplate are two views of
 * one setting: a side left out takes the other's value, so old and new clients both see it.
 */
function verificationMessages(input: SettingsInput, s: Partial<Settings>): void {
  const t: NonNullable<Settings['VerificationMessageTemplate']> = {
    DefaultEmailOption: 'CONFIRM_WITH_CODE',
    ...input.VerificationMessageTemplate,
  };
  const pairs = [
    ['EmailVerificationMessage', 'EmailMessage'],
    ['EmailVerificationSubject', 'EmailSubject'],
    ['SmsVerificationMessage', 'SmsMessage'],
  ] as const;
  for (const [legacy, member] of pairs) {
    const value = input[legacy] ?? t[member];
    if (value === undefined) continue;
    s[legacy] = value;
    t[member] = t[member] ?? value;
  }
  s.VerificationMessageTemplate = t;
}

/**
 * AdminCreateUserConfig with its defaults. UnusedAccountValidityDays is the old name of the
 * temporary password validity: Cognito refuses both at once (the message below is quoted in
 * terraform-provider-aws, which retries without the old member) and echoes the new value under
 * the old name.
 */
function adminCreateUserConfig(input: SettingsInput, policy: PasswordPolicyType): Settings['AdminCreateUserConfig'] {
  const given = input.AdminCreateUserConfig ?? {};
  if (given.UnusedAccountValidityDays) {
    if (input.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays !== undefined) {
      throw invalidParameter('Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays');
    }
    policy.TemporaryPasswordValidityDays = given.UnusedAccountValidityDays;
  }
  const out: Settings['AdminCreateUserConfig'] = {
    AllowAdminCreateUserOnly: given.AllowAdminCreateUserOnly ?? false,
    UnusedAccountValidityDays: policy.TemporaryPasswordValidityDays,
  };
  if (given.InviteMessageTemplate) out.InviteMessageTemplate = given.InviteMessageTemplate;
  return out;
}

/**
 * The settings CreateUserPool and UpdateUserPool share, with Cognito's defaults for every one
 * left out: UpdateUserPool "sets all others to a default value" (Cognito developer guide,
 * "Updating user pool and app client configuration").
 */
function settings(input: SettingsInput, region: string, tier: UserPoolTierType): Partial<Settings> {
  const policy = passwordPolicy(input.Policies?.PasswordPolicy, tier);
  const s: Partial<Settings> = {
    Policies: {
      PasswordPolicy: policy,
      SignInPolicy: input.Policies?.SignInPolicy ?? { AllowedFirstAuthFactors: ['PASSWORD'] },
    },
    LambdaConfig: input.LambdaConfig ?? {},
    MfaConfiguration: input.MfaConfiguration ?? 'OFF',
    EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT', ...input.EmailConfiguration },
    AdminCreateUserConfig: adminCreateUserConfig(input, policy),
  };
  verificationMessages(input, s);
  const copied = [
    'AutoVerifiedAttributes',
    'SmsAuthenticationMessage',
    'DeviceConfiguration',
    'UserPoolAddOns',
    'AccountRecoverySetting',
  ] as const;
  for (const key of copied) {
    if (input[key] !== undefined) (s as Record<string, unknown>)[key] = input[key];
  }
  // Cognito fills in the pool's own region as the SNS region (API reference example response).
  if (input.SmsConfiguration) s.SmsConfiguration = { SnsRegion: region, ...input.SmsConfiguration };
  return s;
}

/** The tier whose features apply: every feature on every tier, unless --enforce-tiers (config.ts). */
const featureTier = (app: App, tier: UserPoolTierType): UserPoolTierType => (app.config.enforceTiers ? tier : 'PLUS');

function checkSettings(config: Partial<Settings>): void {
  const auto = config.AutoVerifiedAttributes ?? [];
  for (const a of config.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate ?? []) {
    if (!auto.includes(a)) {
      throw invalidParameter('All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes');
    }
  }
}

/**
 * UpdateUserPool's MfaConfiguration ON or OPTIONAL needs a factor: SMS (an SmsConfiguration) or
 * one that SetUserPoolMfaConfig enabled (TOTP, email), which UpdateUserPool keeps.
 */
function checkUpdatedMfa(config: Settings): void {
  if (!config.MfaConfiguration || config.MfaConfiguration === 'OFF') return;
  const f = config.MfaFactors;
  if (config.SmsConfiguration || f?.totp || f?.email) return;
  throw invalidParameter('SMS configuration and Auto verification for phone_number are required when MFA is required/optional');
}

/** A user pool id as Cognito shapes them: `<region>_<9 letters and digits>`. */
export const POOL_ID_PATTERN = /^[\w-]+_[0-9a-zA-Z]{9}$/;

/**
 * CreateUserPool. `opts.id` fixes the pool id instead of drawing one (declarative config and
 * import, src/declarative/), so that applications can hard-code it; it must have Cognito's form,
 * with the pool's region before the underscore, and be free.
 */
export async function createUserPool(app: App, region: string, input: CreateUserPoolRequest, opts: { id?: string } = {}): Promise<UserPool> {
  if (opts.id !== undefined && (!POOL_ID_PATTERN.test(opts.id) || !opts.id.startsWith(`${region}_`))) {
    throw invalidParameter(`Invalid user pool id ${opts.id}: expected ${region}_ followed by 9 letters and digits.`);
  }
  if (input.UsernameAttributes?.length && input.AliasAttributes?.length) {
    throw invalidParameter('Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.');
  }
  // CreateUserPool has no place for a TOTP setting, so MFA on or optional needs SMS (message
  // seen in aws/aws-cli#3876 and aws/aws-cdk#12075); SetUserPoolMfaConfig lifts this later.
  if (input.MfaConfiguration && input.MfaConfiguration !== 'OFF' && !input.SmsConfiguration) {
    throw invalidParameter('SMS configuration and Auto verification for phone_number are required when MFA is required/optional');
  }
  const tier = input.UserPoolTier ?? 'ESSENTIALS';
  checkSignInPolicyTier(app, tier, input.Policies?.SignInPolicy?.AllowedFirstAuthFactors);
  const config: Settings = {
    ...settings(input, region, featureTier(app, tier)),
    DeletionProtection: input.DeletionProtection ?? 'INACTIVE',
    UserPoolTags: input.UserPoolTags ?? {},
    SchemaAttributes: buildSchema(input.Schema),
    UserPoolTier: tier,
  };
  if (input.UserAttributeUpdateSettings) config.UserAttributeUpdateSettings = input.UserAttributeUpdateSettings;
  // Usernames are case-insensitive unless the pool says otherwise (issue 2); the setting is
  // echoed only when given, as DescribeUserPool shows it (seed 001 has none).
  if (input.UsernameConfiguration) config.UsernameConfiguration = { CaseSensitive: input.UsernameConfiguration.CaseSensitive };
  if (input.UsernameAttributes?.length) config.UsernameAttributes = input.UsernameAttributes;
  if (input.AliasAttributes?.length) config.AliasAttributes = input.AliasAttributes;
  checkSettings(config);
  const now = app.clock.now();
  const pool: UserPool = { id: opts.id ?? newPoolId(app.random, region), region, name: input.PoolName, config, createdAt: now, updatedAt: now };
  await app.store.tx(async (s) => {
    if (opts.id !== undefined && (await s.pools.get(opts.id))) throw invalidParameter(`User pool ${opts.id} already exists.`);
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
  const domains = await app.store.domains.ofPool(pool.id);
  const prefix = domains.find((d) => d.customDomainConfig === null);
  const custom = domains.find((d) => d.customDomainConfig !== null);
  const { MfaFactors: _factors, ...config } = pool.config;
  return {
    Id: pool.id,
    Name: pool.name,
    ...config,
    ...(prefix ? { Domain: prefix.domain } : {}),
    ...(custom ? { CustomDomain: custom.domain } : {}),
    Arn: poolArn(app, pool),
    CreationDate: pool.createdAt / 1000,
    LastModifiedDate: pool.updatedAt / 1000,
    EstimatedNumberOfUsers: await estimatedUsers(app, pool.id),
  };
}

/**
 * Counting a pool's users walks its index range: about 10 ms at 100,000 users and 76 ms at a
 * million, measured here with SQLite. The number is an estimate in Cognito too, so a big pool's
 * count is reused for a minute; small pools (the usual local case) are always counted exactly.
 */
const EXACT_BELOW = 10_000;
const COUNT_TTL_MS = 60_000;
const userCounts = new WeakMap<Store, Map<string, { n: number; at: number }>>();

async function estimatedUsers(app: App, poolId: string): Promise<number> {
  let counts = userCounts.get(app.store);
  if (!counts) userCounts.set(app.store, (counts = new Map()));
  const now = app.clock.now();
  const cached = counts.get(poolId);
  if (cached && cached.n >= EXACT_BELOW && now - cached.at < COUNT_TTL_MS) return cached.n;
  const n = await app.store.pools.countUsers(poolId);
  counts.set(poolId, { n, at: now });
  return n;
}

/**
 * UpdateUserPool replaces the updatable settings: one left out returns to its default, as
 * Cognito documents. What stays: the schema, username and alias attributes, case sensitivity
 * and domains (not updatable here); the tags (TagResource's business); the tier and deletion
 * protection (neither should drop by omission); and UserAttributeUpdateSettings, which Cognito
 * keeps (an update naming only DeletionProtection was refused because the kept setting named
 * attributes no longer auto-verified).
 */
export async function updateUserPool(app: App, input: UpdateUserPoolRequest): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, input.UserPoolId);
    await refuseWhileImporting({ ...app, store: s }, pool.id);
    const old = pool.config;
    const tier = input.UserPoolTier ?? old.UserPoolTier ?? 'ESSENTIALS';
    checkSignInPolicyTier(app, tier, input.Policies?.SignInPolicy?.AllowedFirstAuthFactors);
    const config: Settings = {
      ...settings(input, pool.region, featureTier(app, tier)),
      DeletionProtection: input.DeletionProtection ?? old.DeletionProtection ?? 'INACTIVE',
      UserPoolTags: input.UserPoolTags ?? old.UserPoolTags ?? {},
      UserPoolTier: tier,
    };
    const kept = [
      'SchemaAttributes',
      'UsernameConfiguration',
      'UsernameAttributes',
      'AliasAttributes',
      'Domain',
      'CustomDomain',
      'UserAttributeUpdateSettings',
      'MfaFactors',
    ] as const;
    for (const key of kept) {
      if (old[key] !== undefined) (config as Record<string, unknown>)[key] = old[key];
    }
    if (input.UserAttributeUpdateSettings) config.UserAttributeUpdateSettings = input.UserAttributeUpdateSettings;
    checkSettings(config);
    checkUpdatedMfa(config);
    pool.config = config;
    if (input.PoolName) pool.name = input.PoolName;
    pool.updatedAt = app.clock.now();
    await s.pools.update(pool);
  });
}

export async function deleteUserPool(app: App, poolId: string): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    await refuseWhileImporting({ ...app, store: s }, pool.id);
    // Message as AWS sends it (matched verbatim by cleanup tools such as aws-nuke).
    if (pool.config.DeletionProtection === 'ACTIVE') {
      throw invalidParameter(
        'The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.',
      );
    }
    // Cognito refuses while a domain is configured (hashicorp/terraform-provider-aws#16479,
    // rebuy-de/aws-nuke#330); providers and everything else go with the pool.
    if ((await s.domains.ofPool(poolId)).length) {
      throw invalidParameter('User pool cannot be deleted. It has a domain configured that should be deleted first.');
    }
    await s.pools.delete(poolId);
  });
}

export async function addCustomAttributes(app: App, poolId: string, attributes: SchemaAttributeType[]): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    await refuseWhileImporting({ ...app, store: s }, pool.id);
    pool.config.SchemaAttributes = withCustomAttributes(pool.config.SchemaAttributes ?? [], attributes);
    pool.updatedAt = app.clock.now();
    await s.pools.update(pool);
  });
}

/** Tags as TagResource and UntagResource leave them; Cognito allows 50 per pool. */
export async function changeTags(app: App, poolId: string, change: (tags: Record<string, string>) => void): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    const tags = { ...pool.config.UserPoolTags };
    change(tags);
    if (Object.keys(tags).length > 50) throw invalidParameter('A user pool can have at most 50 tags.');
    pool.config.UserPoolTags = tags;
    await s.pools.update(pool);
  });
}
