import type { App } from '../../app.ts';
import { invalidParameter, resourceNotFound } from '../../errors.ts';
import type { GetPrincipalTagAttributeMapResponse, SetPrincipalTagAttributeMapInput } from '../../generated/cognito-identity.ts';
import type { PrincipalTagMap } from '../../store/repos/principal-tag-maps.ts';
import type { Store } from '../../store/store.ts';
import type { IdentityPool } from '../types.ts';
import type { VerifiedLogin } from './identities.ts';
import { getIdentityPool } from './identity-pools.ts';
import { COGNITO_IDENTITY_PROVIDER } from './logins.ts';

/**
 * Attributes for access control (SetPrincipalTagAttributeMap): per provider of an identity pool,
 * which claims of the user's token become principal tags of the session the credentials belong
 * to. With UseDefaults, the provider's default mapping ("Default provider mappings" in the
 * developer guide: `aud` as the client, `sub` as the user, for user pools and OIDC providers);
 * otherwise PrincipalTags, tag key -> claim name.
 */

/** The default mapping: the tag keys the console shows for it, and the claims they take. */
export const DEFAULT_PRINCIPAL_TAGS: Readonly<Record<string, string>> = { client: 'aud', username: 'sub' };

/** A principal tag value at most (the model's PrincipalTagValue and STS's session tag limit). */
const MAX_TAG_VALUE = 256;

export async function setPrincipalTagAttributeMap(app: App, input: SetPrincipalTagAttributeMapInput): Promise<GetPrincipalTagAttributeMapResponse> {
  return app.store.tx(async (s) => {
    const pool = await getIdentityPool(s, input.IdentityPoolId);
    if (!providerNames(pool).has(input.IdentityProviderName)) {
      // guessed: the live service's words for a provider the pool does not have were not found.
      throw invalidParameter(`${input.IdentityProviderName} is not a configured provider of identity pool ${pool.id}.`);
    }
    const map: PrincipalTagMap = {
      identityPoolId: pool.id,
      providerName: input.IdentityProviderName,
      useDefaults: input.UseDefaults ?? false,
      principalTags: input.PrincipalTags ?? {},
      updatedAt: app.clock.now(),
    };
    await s.principalTagMaps.put(map);
    return describe(map);
  });
}

export async function getPrincipalTagAttributeMap(app: App, poolId: string, providerName: string): Promise<GetPrincipalTagAttributeMapResponse> {
  const pool = await getIdentityPool(app.store, poolId);
  const map = await app.store.principalTagMaps.get(pool.id, providerName);
  // guessed: a provider never given a map answers ResourceNotFoundException (Terraform's provider
  // reads that as "no mapping"); the live text was not found.
  if (!map) throw resourceNotFound(`No principal tag attribute map for provider ${providerName} in identity pool ${pool.id}.`);
  return describe(map);
}

const describe = (m: PrincipalTagMap): GetPrincipalTagAttributeMapResponse => ({
  IdentityPoolId: m.identityPoolId,
  IdentityProviderName: m.providerName,
  UseDefaults: m.useDefaults,
  PrincipalTags: m.principalTags,
});

/**
 * The names a principal tag map may be set for: a user pool as `cognito-idp.<region>.amazonaws.com/<id>`
 * (the user pool's endpoint, without app client), a social provider by its Logins name, an OIDC or
 * SAML provider by its IAM ARN (Terraform's acceptance tests set them so) or, for OIDC, its host.
 */
function providerNames(pool: IdentityPool): Set<string> {
  const names = new Set<string>(Object.keys(pool.config.SupportedLoginProviders ?? {}));
  for (const p of pool.config.CognitoIdentityProviders ?? []) if (p.ProviderName) names.add(p.ProviderName);
  for (const arn of pool.config.OpenIdConnectProviderARNs ?? []) {
    names.add(arn);
    const i = arn.indexOf(':oidc-provider/');
    if (i >= 0) names.add(arn.slice(i + ':oidc-provider/'.length));
  }
  for (const arn of pool.config.SamlProviderARNs ?? []) names.add(arn);
  return names;
}

/**
 * The principal tags of a session for these verified logins: each login's provider map applied
 * to its claims. A claim that is absent, not a scalar, or longer than a tag value is left out.
 */
export async function sessionTags(store: Store, pool: IdentityPool, logins: VerifiedLogin[]): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for (const login of logins) {
    // The developer flow's own OpenID token carries its tags (GetOpenIdTokenForDeveloperIdentity's PrincipalTags).
    if (login.providerName === COGNITO_IDENTITY_PROVIDER) {
      Object.assign(tags, tokenTags(login.claims));
      continue;
    }
    const map = await mapFor(store, pool, login.providerName);
    if (!map) continue;
    const mapping = map.useDefaults ? DEFAULT_PRINCIPAL_TAGS : map.principalTags;
    for (const [tag, claim] of Object.entries(mapping)) {
      const v = login.claims[claim];
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
      const value = String(v);
      if (value.length > 0 && value.length <= MAX_TAG_VALUE) tags[tag] = value;
    }
  }
  return tags;
}

/** The provider's map under its Logins name, or for an OIDC provider under its IAM ARN. */
async function mapFor(store: Store, pool: IdentityPool, providerName: string): Promise<PrincipalTagMap | undefined> {
  const direct = await store.principalTagMaps.get(pool.id, providerName);
  if (direct) return direct;
  const arn = (pool.config.OpenIdConnectProviderARNs ?? []).find((a) => a.endsWith(`:oidc-provider/${providerName}`));
  return arn ? store.principalTagMaps.get(pool.id, arn) : undefined;
}

/** The claim of an OIDC token whose `principal_tags` STS makes session tags. */
export const TAGS_CLAIM = 'https://aws.amazon.com/tags';

/**
 * Session tags an OpenID token carries, as STS reads them: the claim `https://aws.amazon.com/tags`
 * with `principal_tags: {key: [value]}` (IAM user guide, "Passing session tags using
 * AssumeRoleWithWebIdentity"; GetOpenIdTokenForDeveloperIdentity's PrincipalTags arrive so).
 */
export function tokenTags(claims: Record<string, unknown>): Record<string, string> {
  const tags: Record<string, string> = {};
  const block = claims[TAGS_CLAIM] as { principal_tags?: unknown } | undefined;
  const principal = block && typeof block === 'object' ? block.principal_tags : undefined;
  if (!principal || typeof principal !== 'object') return tags;
  for (const [k, v] of Object.entries(principal as Record<string, unknown>)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string') tags[k] = value;
  }
  return tags;
}
