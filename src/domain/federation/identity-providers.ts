import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type {
  CreateIdentityProviderRequest,
  IdentityProviderType,
  IdentityProviderTypeType,
  UpdateIdentityProviderRequest,
} from '../../generated/cognito-idp.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import type { IdentityProvider } from '../types.ts';
import { getPool } from '../pools/user-pools.ts';

/** Cognito's quota of identity providers per user pool (cognito-quotas-and-errors.md). */
export const MAX_PROVIDERS_PER_POOL = 300;

type Social = 'Google' | 'Facebook' | 'LoginWithAmazon' | 'SignInWithApple';
const SOCIAL: readonly string[] = ['Google', 'Facebook', 'LoginWithAmazon', 'SignInWithApple'];

/**
 * What Cognito fills into a social provider's ProviderDetails and the provider attribute it maps
 * `username` to. The values are those Cognito answers in DescribeIdentityProvider, which
 * Terraform users copy into their configurations (or ignore_changes) to stop the drift they
 * cause, e.g. Google's in many `aws_cognito_identity_provider` resources on GitHub; Facebook's
 * URLs carry the api_version given. Keys the request gives are kept.
 */
function socialDefaults(type: Social, details: Record<string, string>): { details: Record<string, string>; username: string } {
  switch (type) {
    case 'Google':
      return {
        username: 'sub',
        details: {
          attributes_url: 'https://people.googleapis.com/v1/people/me?personFields=',
          attributes_url_add_attributes: 'true',
          authorize_url: 'https://accounts.google.com/o/oauth2/v2/auth',
          oidc_issuer: 'https://accounts.google.com',
          token_request_method: 'POST',
          token_url: 'https://www.googleapis.com/oauth2/v4/token',
        },
      };
    case 'Facebook': {
      const v = details.api_version ? `${details.api_version}/` : '';
      return {
        username: 'id',
        details: {
          attributes_url: `https://graph.facebook.com/${v}me?fields=`,
          attributes_url_add_attributes: 'true',
          authorize_url: `https://www.facebook.com/${v}dialog/oauth`,
          token_request_method: 'GET',
          token_url: `https://graph.facebook.com/${v}oauth/access_token`,
        },
      };
    }
    case 'LoginWithAmazon':
      return {
        username: 'user_id',
        details: {
          attributes_url: 'https://api.amazon.com/user/profile',
          attributes_url_add_attributes: 'false',
          authorize_url: 'https://www.amazon.com/ap/oa',
          token_request_method: 'POST',
          token_url: 'https://api.amazon.com/auth/o2/token',
        },
      };
    case 'SignInWithApple':
      return {
        username: 'sub',
        details: {
          authorize_url: 'https://appleid.apple.com/auth/authorize',
          oidc_issuer: 'https://appleid.apple.com',
          token_request_method: 'POST',
          token_url: 'https://appleid.apple.com/auth/token',
        },
      };
  }
}

/** "a, b and c" */
const listed = (keys: string[]) => `${keys.slice(0, -1).join(', ')} and ${keys[keys.length - 1]}`;

/**
 * The ProviderDetails each type needs. Cognito's words for a social provider missing one:
 * "client_id, client_secret and authorize_scopes are all required idp details."
 * (aws-amplify/amplify-cli#9384, aws-amplify/amplify-js#8941); the other types are answered in
 * the same form (their texts were not found).
 */
function checkDetails(type: IdentityProviderTypeType, d: Record<string, string>): void {
  const need = (keys: string[]) => {
    if (keys.some((k) => !d[k])) throw invalidParameter(`${listed(keys)} are all required idp details.`);
  };
  switch (type) {
    case 'Google':
    case 'Facebook':
    case 'LoginWithAmazon':
      need(['client_id', 'client_secret', 'authorize_scopes']);
      return;
    case 'SignInWithApple':
      need(['client_id', 'team_id', 'key_id', 'private_key', 'authorize_scopes']);
      return;
    case 'OIDC':
      need(['client_id', 'attributes_request_method', 'oidc_issuer', 'authorize_scopes']);
      if (d.attributes_request_method !== 'GET' && d.attributes_request_method !== 'POST') {
        throw invalidParameter('attributes_request_method must be GET or POST.');
      }
      return;
    case 'SAML':
      // Cognito's words (hashicorp/terraform-provider-aws#4815).
      if (!d.MetadataURL && !d.MetadataFile) throw invalidParameter('At least one of the MetadataURL or MetadataFile should be provided.');
      if (d.MetadataURL && d.MetadataFile) throw invalidParameter('Only one of MetadataURL and MetadataFile may be given.');
      return;
  }
}

/**
 * A social provider's name is its type: "Provider NameOfGP cannot be of type Google."
 * (aws/aws-cli#3179, hashicorp/terraform-provider-aws#4822). The social names and COGNITO (the
 * pool's own directory in SupportedIdentityProviders) are refused for other types alike.
 */
function checkName(name: string, type: IdentityProviderTypeType): void {
  if (SOCIAL.includes(type) ? name !== type : SOCIAL.includes(name)) {
    throw invalidParameter(`Provider ${name} cannot be of type ${type}.`);
  }
  if (name.toUpperCase() === 'COGNITO') throw invalidParameter(`Provider name ${name} is reserved.`);
}

/** The stored details and mapping: what was given, checked, with what Cognito adds. */
function settle(type: IdentityProviderTypeType, details: Record<string, string>, mapping: Record<string, string>) {
  checkDetails(type, details);
  if (!SOCIAL.includes(type)) return { providerDetails: { ...details }, attributeMapping: { ...mapping } };
  const d = socialDefaults(type as Social, details);
  return {
    providerDetails: { ...d.details, ...details },
    attributeMapping: { username: d.username, ...mapping },
  };
}

/** IdpIdentifiers name one provider each within a pool. */
async function checkIdentifiers(store: Store, poolId: string, providerName: string, ids: string[]): Promise<void> {
  if (new Set(ids).size !== ids.length) throw invalidParameter('Duplicate IdpIdentifiers are not allowed.');
  if (!ids.length) return;
  for (const other of await store.identityProviders.list(poolId, null, MAX_PROVIDERS_PER_POOL)) {
    if (other.providerName === providerName) continue;
    const taken = ids.find((id) => other.idpIdentifiers.includes(id));
    if (taken !== undefined) throw invalidParameter(`The IdpIdentifier ${taken} is already used by provider ${other.providerName}.`);
  }
}

export const providerNotFound = (name: string) => resourceNotFound(`Identity provider ${name} does not exist.`);

/** The provider, or ResourceNotFoundException. */
export async function getIdentityProvider(store: Store, poolId: string, name: string): Promise<IdentityProvider> {
  await getPool(store, poolId);
  const p = await store.identityProviders.get(poolId, name);
  if (!p) throw providerNotFound(name);
  return p;
}

/** The provider in Cognito's IdentityProviderType shape. */
export function describeIdentityProvider(p: IdentityProvider): IdentityProviderType {
  return {
    UserPoolId: p.poolId,
    ProviderName: p.providerName,
    ProviderType: p.providerType,
    ProviderDetails: p.providerDetails,
    AttributeMapping: p.attributeMapping,
    IdpIdentifiers: p.idpIdentifiers,
    LastModifiedDate: p.updatedAt / 1000,
    CreationDate: p.createdAt / 1000,
  };
}

const duplicate = (name: string, poolId: string) =>
  // Cognito's words, from CloudTrail (aws-cloudformation/cloudformation-coverage-roadmap#1287).
  new CognitoError('DuplicateProviderException', `${name} already exists in user pool ${poolId}`);

export async function createIdentityProvider(app: App, input: CreateIdentityProviderRequest): Promise<IdentityProvider> {
  checkName(input.ProviderName, input.ProviderType);
  const now = app.clock.now();
  const provider: IdentityProvider = {
    poolId: input.UserPoolId,
    providerName: input.ProviderName,
    providerType: input.ProviderType,
    ...settle(input.ProviderType, input.ProviderDetails, input.AttributeMapping ?? {}),
    idpIdentifiers: input.IdpIdentifiers ?? [],
    createdAt: now,
    updatedAt: now,
  };
  try {
    await app.store.tx(async (s) => {
      await getPool(s, input.UserPoolId);
      if (await s.identityProviders.get(input.UserPoolId, input.ProviderName)) throw duplicate(input.ProviderName, input.UserPoolId);
      if ((await s.identityProviders.count(input.UserPoolId)) >= MAX_PROVIDERS_PER_POOL) {
        throw new CognitoError('LimitExceededException', `The user pool ${input.UserPoolId} has reached its limit of ${MAX_PROVIDERS_PER_POOL} identity providers.`);
      }
      await checkIdentifiers(s, input.UserPoolId, input.ProviderName, provider.idpIdentifiers);
      await s.identityProviders.insert(provider);
    });
  } catch (err) {
    // Two nodes creating one name at once: the loser gets Cognito's answer, not a 500.
    if (err instanceof UniqueViolation) throw duplicate(input.ProviderName, input.UserPoolId);
    throw err;
  }
  return provider;
}

/** Changes only what is given; given details or mapping replace the old ones whole. */
export async function updateIdentityProvider(app: App, input: UpdateIdentityProviderRequest): Promise<IdentityProvider> {
  return app.store.tx(async (s) => {
    const p = await getIdentityProvider(s, input.UserPoolId, input.ProviderName);
    const settled = settle(p.providerType, input.ProviderDetails ?? p.providerDetails, input.AttributeMapping ?? p.attributeMapping);
    p.providerDetails = settled.providerDetails;
    p.attributeMapping = settled.attributeMapping;
    if (input.IdpIdentifiers !== undefined) {
      await checkIdentifiers(s, p.poolId, p.providerName, input.IdpIdentifiers);
      p.idpIdentifiers = input.IdpIdentifiers;
    }
    p.updatedAt = app.clock.now();
    await s.identityProviders.update(p);
    return p;
  });
}

/**
 * Deletes a provider. Whether Cognito refuses while an app client lists it is not documented
 * nor seen, so Tobira allows it and leaves the clients' SupportedIdentityProviders as they are.
 */
export async function deleteIdentityProvider(app: App, poolId: string, name: string): Promise<void> {
  await app.store.tx(async (s) => {
    await getIdentityProvider(s, poolId, name);
    await s.identityProviders.delete(poolId, name);
  });
}

/** The provider that lists the identifier among its IdpIdentifiers. */
export async function providerByIdentifier(store: Store, poolId: string, identifier: string): Promise<IdentityProvider> {
  await getPool(store, poolId);
  for (const p of await store.identityProviders.list(poolId, null, MAX_PROVIDERS_PER_POOL)) {
    if (p.idpIdentifiers.includes(identifier)) return p;
  }
  throw resourceNotFound(`Identity provider with identifier ${identifier} does not exist.`);
}
