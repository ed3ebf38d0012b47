import { CognitoError, invalidParameter } from '../../errors.ts';
import type {
  CreateUserPoolClientRequest,
  ExplicitAuthFlowsType,
  TimeUnitsType,
  UpdateUserPoolClientRequest,
} from '../../generated/cognito-idp.ts';
import type { AppClient, UserPool } from '../types.ts';

type Settings = AppClient['config'];
type Input = (CreateUserPoolClientRequest | UpdateUserPoolClientRequest) & { ClientName: string };

const LEGACY_FLOWS: ExplicitAuthFlowsType[] = ['ADMIN_NO_SRP_AUTH', 'CUSTOM_AUTH_FLOW_ONLY', 'USER_PASSWORD_AUTH'];
const UNIT_SECONDS: Record<TimeUnitsType, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/**
 * The stored settings of an app client, from a Create or Update request, with Cognito's
 * defaults and checks. What Cognito does not echo when omitted is not stored either (seed 001:
 * a client created with only a name shows RefreshTokenValidity 30, TokenValidityUnits {},
 * EnableTokenRevocation true, AllowedOAuthFlowsUserPoolClient false, and nothing else).
 */
export function clientSettings(
  pool: UserPool,
  input: Input,
  ctx: { hasSecret: boolean; op: 'create' | 'update'; identityProviders: string[]; resourceServerScopes: Set<string> },
): Settings {
  const { hasSecret, op } = ctx;
  const s: Settings = {
    ClientName: input.ClientName,
    RefreshTokenValidity: input.RefreshTokenValidity || 30,
    TokenValidityUnits: { ...input.TokenValidityUnits },
    AllowedOAuthFlowsUserPoolClient: input.AllowedOAuthFlowsUserPoolClient ?? false,
    EnableTokenRevocation: input.EnableTokenRevocation ?? true,
    EnablePropagateAdditionalUserContextData: input.EnablePropagateAdditionalUserContextData ?? false,
    AuthSessionValidity: input.AuthSessionValidity ?? 3,
  };
  const copy = [
    'AccessTokenValidity',
    'IdTokenValidity',
    'ReadAttributes',
    'WriteAttributes',
    'ExplicitAuthFlows',
    'SupportedIdentityProviders',
    'CallbackURLs',
    'LogoutURLs',
    'DefaultRedirectURI',
    'AllowedOAuthFlows',
    'AllowedOAuthScopes',
    'AnalyticsConfiguration',
    'PreventUserExistenceErrors',
    'RefreshTokenRotation',
  ] as const;
  for (const key of copy) {
    const v = input[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) (s as Record<string, unknown>)[key] = v;
  }
  // Cognito answers the flows as a sorted set: seed 001 sent ALLOW_REFRESH_TOKEN_AUTH
  // ALLOW_ADMIN_USER_PASSWORD_AUTH and got them back in the other order.
  if (s.ExplicitAuthFlows) s.ExplicitAuthFlows = [...new Set(s.ExplicitAuthFlows)].sort();
  checkAuthFlows(s.ExplicitAuthFlows);
  checkTokenValidity(s);
  checkAuthSessionValidity(s.AuthSessionValidity!);
  checkAttributes(pool, s, op === 'create' ? 'creating' : 'updating');
  checkIdentityProviders(pool, s, ctx.identityProviders);
  checkOAuth(s, hasSecret, ctx.resourceServerScopes);
  return s;
}

function checkAuthFlows(flows: ExplicitAuthFlowsType[] | undefined): void {
  if (!flows?.length) return;
  const legacy = flows.filter((f) => LEGACY_FLOWS.includes(f));
  const allow = flows.filter((f) => f.startsWith('ALLOW_'));
  if (legacy.length && allow.length) {
    // The model's documentation: "values with ALLOW_ prefix cannot be used along with values without ALLOW_ prefix".
    throw invalidParameter('Values with ALLOW_ prefix cannot be used along with values without ALLOW_ prefix.');
  }
  if (allow.length && !allow.includes('ALLOW_REFRESH_TOKEN_AUTH')) {
    // Observed text, aws/aws-cdk#7625.
    throw invalidParameter('REFRESH_TOKEN_AUTH should always be allowed.');
  }
}

/** A validity in seconds, with the unit Cognito assumes when none is given. */
const seconds = (value: number, unit: TimeUnitsType | undefined, fallback: TimeUnitsType) => value * UNIT_SECONDS[unit ?? fallback];

/**
 * Cognito's ranges: access and ID tokens 5 minutes to 1 day, refresh tokens 60 minutes to
 * 10 years (3650 days), and neither access nor ID token may outlive the refresh token.
 */
function checkTokenValidity(s: Settings): void {
  const u = s.TokenValidityUnits ?? {};
  const refresh = seconds(s.RefreshTokenValidity!, u.RefreshToken, 'days');
  if (refresh < 3600 || refresh > 3650 * 86400) {
    throw invalidParameter('Invalid range for token validity.');
  }
  for (const [value, unit] of [
    [s.AccessTokenValidity, u.AccessToken],
    [s.IdTokenValidity, u.IdToken],
  ] as const) {
    if (value === undefined) continue;
    const v = seconds(value, unit, 'hours');
    if (v < 300 || v > 86400) throw invalidParameter('Invalid range for token validity.');
    if (v > refresh) throw invalidParameter('Access token and ID token validity must be shorter than refresh token validity.');
  }
}

function checkAuthSessionValidity(minutes: number): void {
  if (minutes < 3 || minutes > 15) {
    throw invalidParameter('Invalid AuthSessionValidity value. AuthSessionValidity must be between 3 and 15 minutes.');
  }
}

/**
 * Read and write attributes must name attributes of the pool's schema. Cognito's wording, seen
 * in aws/aws-cdk#2608 and aws/aws-sdk-java#1395: "Invalid write attributes specified while
 * creating a client" (or "updating").
 */
function checkAttributes(pool: UserPool, s: Settings, verb: string): void {
  const known = new Set((pool.config.SchemaAttributes ?? []).map((a) => a.Name!));
  for (const name of s.ReadAttributes ?? []) {
    if (!known.has(name) || name.startsWith('dev:')) throw invalidParameter(`Invalid read attributes specified while ${verb} a client`);
  }
  for (const name of s.WriteAttributes ?? []) {
    // sub and the verified flags are Cognito's to set; a client can never write them.
    const readOnly = name === 'sub' || name === 'email_verified' || name === 'phone_number_verified' || name.startsWith('dev:');
    if (!known.has(name) || readOnly) throw invalidParameter(`Invalid write attributes specified while ${verb} a client`);
  }
}

function checkIdentityProviders(pool: UserPool, s: Settings, providers: string[]): void {
  for (const name of s.SupportedIdentityProviders ?? []) {
    if (name !== 'COGNITO' && !providers.includes(name)) {
      throw invalidParameter(`The provider ${name} does not exist for User Pool ${pool.id}`);
    }
  }
}

/**
 * A callback or logout URL: https, or http on loopback only. Cognito allows http://localhost;
 * Tobira also every *.localhost name and 127.0.0.1, so one Tobira pool's hosted UI can be another's
 * provider.
 */
function checkUrl(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalidParameter(`Invalid ${what} ${url}`);
  }
  if (u.hash) throw invalidParameter(`${what} cannot contain a fragment.`);
  const localhost = u.hostname === 'localhost' || u.hostname.endsWith('.localhost') || u.hostname === '127.0.0.1' || u.hostname === '[::1]';
  if (u.protocol === 'http:' && !localhost) throw invalidParameter(`${what} cannot use the HTTP protocol unless it is localhost.`);
}

function checkOAuth(s: Settings, hasSecret: boolean, customScopes: Set<string>): void {
  const flows = s.AllowedOAuthFlows ?? [];
  const scopes = s.AllowedOAuthScopes ?? [];
  for (const url of s.CallbackURLs ?? []) checkUrl(url, 'CallbackURL');
  for (const url of s.LogoutURLs ?? []) checkUrl(url, 'LogoutURL');
  if (s.DefaultRedirectURI !== undefined) {
    checkUrl(s.DefaultRedirectURI, 'DefaultRedirectURI');
    if (!(s.CallbackURLs ?? []).includes(s.DefaultRedirectURI)) {
      throw invalidParameter('DefaultRedirectURI must be present in CallbackURLs.');
    }
  }
  if (!s.AllowedOAuthFlowsUserPoolClient) {
    if (flows.length || scopes.length) {
      throw invalidParameter('AllowedOAuthFlows and AllowedOAuthScopes are not allowed when AllowedOAuthFlowsUserPoolClient is false.');
    }
    return;
  }
  if (!flows.length) throw invalidParameter('AllowedOAuthFlows are required when AllowedOAuthFlowsUserPoolClient is true.');
  if (!scopes.length) throw invalidParameter('AllowedOAuthScopes are required when AllowedOAuthFlowsUserPoolClient is true.');
  if (flows.includes('client_credentials')) {
    if (flows.length > 1) throw invalidParameter('client_credentials flow can not be selected along with code flow or implicit flow.');
    if (!hasSecret) throw invalidParameter('client_credentials flow can not be selected if client does not have a client secret.');
  } else if (!(s.CallbackURLs ?? []).length) {
    // Cognito's own name and words, "Urls" included (cisagov/crossfeed#440, anomalyco/sst#6272).
    throw new CognitoError('InvalidOAuthFlowException', 'CallbackUrls can not be empty when code flow or implicit flow is selected');
  }
  const oidc = ['openid', 'email', 'phone', 'profile', 'aws.cognito.signin.user.admin'];
  for (const scope of scopes) {
    // A scope is a standard one or a resource server's `<identifier>/<name>` that exists now;
    // anything else is refused as in Cognito ("Invalid scope requested: Cognito",
    // ScopeDoesNotExistException, aws-cloudformation-coverage-roadmap#47; a custom scope before
    // its resource server, aws/aws-cdk#10676).
    if (!oidc.includes(scope) && !customScopes.has(scope)) {
      throw new CognitoError('ScopeDoesNotExistException', `Invalid scope requested: ${scope}`);
    }
    // Seen for openid (hashicorp/terraform-provider-aws#4984); the other user-pool scopes are
    // refused in the same words.
    if (flows.includes('client_credentials') && oidc.includes(scope)) {
      throw new CognitoError('InvalidOAuthFlowException', `${scope} is not supported with client_credentials flow`);
    }
  }
  if (scopes.some((x) => x === 'email' || x === 'phone' || x === 'profile') && !scopes.includes('openid')) {
    throw invalidParameter('openid scope is required when email, phone or profile scope is requested.');
  }
}
