import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type {
  CognitoIdentityProvider,
  CreateIdentityPoolInput,
  IdentityPool as IdentityPoolType,
  RoleMapping,
  SetIdentityPoolRolesInput,
} from '../../generated/cognito-identity.ts';
import type { Store } from '../../store/store.ts';
import { uuid } from '../../util/ids.ts';
import type { IdentityPool } from '../types.ts';

/**
 * Identity pools' administrative half (cognito-identity): the pools, their roles and role
 * mappings, and tags. Issuing identities and credentials (GetId, GetCredentialsForIdentity) is
 * not built yet.
 */

/** Identity pools per account and region (cognito-quotas-and-errors.md, "1,000 identity pools per account"). */
export const MAX_IDENTITY_POOLS = 1000;
/** Cognito user pool providers per identity pool (same source, default quota 50). */
export const MAX_COGNITO_PROVIDERS = 50;

/**
 * "IdentityPool '<id>' not found." is the live service's text (awslabs/aws-sdk-android-samples#163,
 * aws-amplify/amplify-js#1966, both 400).
 */
export const identityPoolNotFound = (id: string) => resourceNotFound(`IdentityPool '${id}' not found.`);

export async function getIdentityPool(store: Store, id: string): Promise<IdentityPool> {
  const pool = await store.identityPools.get(id);
  if (!pool) throw identityPoolNotFound(id);
  return pool;
}

export function identityPoolArn(app: App, pool: IdentityPool): string {
  return `arn:aws:cognito-identity:${pool.region}:${app.config.accountId}:identitypool/${pool.id}`;
}

/**
 * A Cognito provider is `cognito-idp.<region>.amazonaws.com/<userPoolId>` with an app client id.
 * A missing member or another form is refused with "Invalid Cognito Identity Provider"
 * (InvalidParameterException, 400: amazon-archives/amazon-quicksight-embedding-sample#1, a
 * provider given without ProviderName; aws/aws-cdk#11054, a bare pool id). The user pool is not
 * looked up: it may live in another account or be created later, and seed 003 names one that
 * does not exist.
 */
const COGNITO_PROVIDER = /^cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;

function checkCognitoProviders(providers: CognitoIdentityProvider[]): CognitoIdentityProvider[] {
  if (providers.length > MAX_COGNITO_PROVIDERS) {
    // Text not found in public sources; the quota is documented (see MAX_COGNITO_PROVIDERS).
    throw new CognitoError('LimitExceededException', `An identity pool may have at most ${MAX_COGNITO_PROVIDERS} Cognito identity providers.`);
  }
  const seen = new Set<string>();
  return providers.map((p) => {
    const m = p.ProviderName ? COGNITO_PROVIDER.exec(p.ProviderName) : null;
    if (!m || m[1] !== m[2] || !p.ClientId) throw invalidParameter('Invalid Cognito Identity Provider');
    const key = `${p.ProviderName}:${p.ClientId}`;
    // A provider named twice is refused with the same words (Tobira's rule; no public text found).
    if (seen.has(key)) throw invalidParameter('Invalid Cognito Identity Provider');
    seen.add(key);
    return { ProviderName: p.ProviderName, ClientId: p.ClientId, ServerSideTokenCheck: p.ServerSideTokenCheck ?? false };
  });
}

type Settings = Omit<CreateIdentityPoolInput, 'IdentityPoolName' | 'IdentityPoolTags'>;

function settings(input: Settings): IdentityPool['config'] {
  return {
    AllowUnauthenticatedIdentities: input.AllowUnauthenticatedIdentities,
    // Kept as given: a pool that never said refuses nothing in the classic flow, one that said
    // false refuses GetOpenIdToken (identities.ts), though both describe themselves as false.
    ...(input.AllowClassicFlow !== undefined ? { AllowClassicFlow: input.AllowClassicFlow } : {}),
    ...(input.SupportedLoginProviders ? { SupportedLoginProviders: input.SupportedLoginProviders } : {}),
    ...(input.DeveloperProviderName ? { DeveloperProviderName: input.DeveloperProviderName } : {}),
    ...(input.OpenIdConnectProviderARNs ? { OpenIdConnectProviderARNs: input.OpenIdConnectProviderARNs } : {}),
    ...(input.CognitoIdentityProviders ? { CognitoIdentityProviders: checkCognitoProviders(input.CognitoIdentityProviders) } : {}),
    ...(input.SamlProviderARNs ? { SamlProviderARNs: input.SamlProviderARNs } : {}),
  };
}

/**
 * CreateIdentityPool. `opts.id` fixes the id (`<region>:<uuid>`) instead of drawing one, for the
 * declarative config and import (src/declarative/).
 */
export async function createIdentityPool(app: App, region: string, input: CreateIdentityPoolInput, opts: { id?: string } = {}): Promise<IdentityPool> {
  if (opts.id !== undefined && !new RegExp(`^${region}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).test(opts.id)) {
    throw invalidParameter(`Invalid identity pool id ${opts.id}: expected ${region}:<uuid>.`);
  }
  const config = settings(input);
  const now = app.clock.now();
  const pool: IdentityPool = {
    id: opts.id ?? `${region}:${uuid(app.random)}`,
    region,
    name: input.IdentityPoolName,
    config,
    roles: {},
    roleMappings: {},
    tags: input.IdentityPoolTags ?? {},
    createdAt: now,
    updatedAt: now,
  };
  return app.store.tx(async (s) => {
    if ((await s.identityPools.count(region)) >= MAX_IDENTITY_POOLS) {
      // Text not found in public sources; the quota is documented (see MAX_IDENTITY_POOLS).
      throw new CognitoError('LimitExceededException', `The account has reached its limit of ${MAX_IDENTITY_POOLS} identity pools in ${region}.`);
    }
    if (opts.id !== undefined && (await s.identityPools.get(opts.id))) throw invalidParameter(`Identity pool ${opts.id} already exists.`);
    await s.identityPools.insert(pool);
    return pool;
  });
}

/**
 * UpdateIdentityPool takes the whole pool: what it leaves out is cleared, as the API reference
 * says the request is the pool's new description. Tags are kept when IdentityPoolTags is absent
 * (TagResource/UntagResource manage them). The developer provider name, once set, cannot change
 * (API reference, CreateIdentityPool: "Once you have set a developer provider name, you cannot
 * change it."); the error text for trying was not found, so Tobira says that.
 */
export async function updateIdentityPool(app: App, input: IdentityPoolType): Promise<IdentityPool> {
  const config = settings(input);
  return app.store.tx(async (s) => {
    const pool = await getIdentityPool(s, input.IdentityPoolId);
    const old = pool.config.DeveloperProviderName;
    if (old && config.DeveloperProviderName !== old) {
      throw invalidParameter('The developer provider name of an identity pool cannot be changed once set.');
    }
    const updated: IdentityPool = {
      ...pool,
      name: input.IdentityPoolName,
      config,
      tags: input.IdentityPoolTags ?? pool.tags,
      updatedAt: app.clock.now(),
    };
    await s.identityPools.update(updated);
    return updated;
  });
}

export async function deleteIdentityPool(app: App, id: string): Promise<void> {
  if (!(await app.store.identityPools.delete(id))) throw identityPoolNotFound(id);
}

/** The pool as DescribeIdentityPool, CreateIdentityPool and UpdateIdentityPool answer it. */
export function describeIdentityPool(pool: IdentityPool): IdentityPoolType {
  return { IdentityPoolId: pool.id, IdentityPoolName: pool.name, ...pool.config, AllowClassicFlow: pool.config.AllowClassicFlow ?? false, IdentityPoolTags: pool.tags };
}

/** The provider names a role mapping may be keyed by: the pool's configured providers. */
function configuredProviders(pool: IdentityPool): Set<string> {
  const names = new Set<string>(Object.keys(pool.config.SupportedLoginProviders ?? {}));
  for (const p of pool.config.CognitoIdentityProviders ?? []) names.add(`${p.ProviderName}:${p.ClientId}`);
  // An OIDC provider is named by its URL without scheme, the part of its IAM ARN after `oidc-provider/`.
  for (const arn of pool.config.OpenIdConnectProviderARNs ?? []) {
    const i = arn.indexOf(':oidc-provider/');
    if (i >= 0) names.add(arn.slice(i + ':oidc-provider/'.length));
  }
  for (const arn of pool.config.SamlProviderARNs ?? []) names.add(arn);
  return names;
}

/** An IAM role ARN, as roles must be. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

/**
 * Stores the pool's roles and role mappings (both replaced, as SetIdentityPoolRoles does). A role
 * that is not a role ARN is refused as the live service refuses a role it cannot use:
 * NotAuthorizedException "Access to Role '<value>' is forbidden." (boto/boto3#73,
 * aws/aws-sdk-js#908). A mapping keyed by anything but a configured provider: "<key> is not a
 * valid RoleMapping ProviderName or is not a configured provider." (aws/aws-cdk#7670,
 * aws/aws-cdk#22951, InvalidParameterException, 400). A Rules mapping without rules is refused
 * with Tobira's own words (no public text found).
 */
export async function setIdentityPoolRoles(app: App, input: SetIdentityPoolRolesInput): Promise<void> {
  for (const arn of Object.values(input.Roles)) {
    if (!ROLE_ARN.test(arn)) throw new CognitoError('NotAuthorizedException', `Access to Role '${arn}' is forbidden.`);
  }
  const mappings: Record<string, RoleMapping> = input.RoleMappings ?? {};
  for (const [key, mapping] of Object.entries(mappings)) {
    if (mapping.Type === 'Rules' && !mapping.RulesConfiguration) {
      throw invalidParameter(`RulesConfiguration is required for a role mapping of type Rules (${key}).`);
    }
    for (const rule of mapping.RulesConfiguration?.Rules ?? []) {
      if (!ROLE_ARN.test(rule.RoleARN)) throw new CognitoError('NotAuthorizedException', `Access to Role '${rule.RoleARN}' is forbidden.`);
    }
  }
  await app.store.tx(async (s) => {
    const pool = await getIdentityPool(s, input.IdentityPoolId);
    const configured = configuredProviders(pool);
    for (const key of Object.keys(mappings)) {
      if (!configured.has(key)) throw invalidParameter(`${key} is not a valid RoleMapping ProviderName or is not a configured provider.`);
    }
    await s.identityPools.update({ ...pool, roles: input.Roles, roleMappings: mappings, updatedAt: app.clock.now() });
  });
}

/**
 * The identity pool an ARN names. An ARN that names no pool of this account answers
 * ResourceNotFoundException like an unknown pool id (the service's text for ARNs was not found;
 * the pool-id text is used).
 */
export async function poolByArn(app: App, store: Store, arn: string): Promise<IdentityPool> {
  const m = /^arn:aws:cognito-identity:([a-z0-9-]+):(\d+):identitypool\/(.+)$/.exec(arn);
  if (!m) throw invalidParameter(`Invalid ARN: ${arn}`);
  const pool = await store.identityPools.get(m[3]);
  if (!pool || m[2] !== app.config.accountId || m[1] !== pool.region) throw identityPoolNotFound(m[3]);
  return pool;
}

/** TagResource: adds or replaces tags (at most 50, the model's tag limits otherwise). */
export async function tagIdentityPool(app: App, arn: string, tags: Record<string, string>): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await poolByArn(app, s, arn);
    const merged = { ...pool.tags, ...tags };
    // AWS's common limit of 50 tags per resource; Cognito's text for it was not found.
    if (Object.keys(merged).length > 50) throw invalidParameter('A resource may have at most 50 tags.');
    await s.identityPools.update({ ...pool, tags: merged, updatedAt: app.clock.now() });
  });
}

export async function untagIdentityPool(app: App, arn: string, keys: string[]): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await poolByArn(app, s, arn);
    const tags = { ...pool.tags };
    for (const k of keys) delete tags[k];
    await s.identityPools.update({ ...pool, tags, updatedAt: app.clock.now() });
  });
}
