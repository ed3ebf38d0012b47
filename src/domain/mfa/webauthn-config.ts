import type { App } from '../../app.ts';
import { CognitoError, invalidParameter } from '../../errors.ts';
import type { AuthFactorType, UserPoolMfaType, WebAuthnConfigurationType } from '../../generated/cognito-idp.ts';
import type { UserPool } from '../types.ts';

/**
 * A pool's passkey settings: WebAuthnConfiguration of SetUserPoolMfaConfig (kept in
 * pool.config.MfaFactors.webAuthn by mfa/pool-config.ts), and whether the sign-in policy lets
 * passkeys be a first factor.
 */

/** The first factors the pool's SignInPolicy allows; PASSWORD alone when the pool says nothing. */
export function allowedFirstFactors(pool: UserPool): AuthFactorType[] {
  return pool.config.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? ['PASSWORD'];
}

export const passkeysAllowed = (pool: UserPool) => allowedFirstFactors(pool).includes('WEB_AUTHN');

/**
 * FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION: "passkey authentication with user
 * verification satisfies MFA requirements" (the API reference), so such passkeys verify the user.
 */
export const passkeysAreMultiFactor = (pool: UserPool) => pool.config.MfaFactors?.webAuthn?.FactorConfiguration === 'MULTI_FACTOR_WITH_USER_VERIFICATION';

/** UserVerification: 'preferred' unless the pool requires it, or passkeys stand for MFA. */
export function userVerificationOf(pool: UserPool): 'required' | 'preferred' {
  return pool.config.MfaFactors?.webAuthn?.UserVerification === 'required' || passkeysAreMultiFactor(pool) ? 'required' : 'preferred';
}

/**
 * The relying party ID passkeys are bound to: WebAuthnConfiguration.RelyingPartyId, else the
 * pool's custom domain, else its prefix domain's host (`<prefix>.auth.<region>.amazoncognito.com`),
 * as the API reference describes RelyingPartyId ("typically your user pool domain"). A pool with
 * none of them has no passkeys: WebAuthnConfigurationMissingException (its model text).
 */
export async function relyingPartyId(app: App, pool: UserPool): Promise<string> {
  const set = pool.config.MfaFactors?.webAuthn?.RelyingPartyId;
  if (set) return set;
  const domains = await app.store.domains.ofPool(pool.id);
  const custom = domains.find((d) => d.customDomainConfig !== null);
  if (custom) return custom.domain;
  const prefix = domains.find((d) => d.customDomainConfig === null);
  if (prefix) return `${prefix.domain}.auth.${pool.region}.amazoncognito.com`;
  throw new CognitoError('WebAuthnConfigurationMissingException', "The user pool doesn't have a configured relying party id or a user pool domain.");
}

/**
 * The origins a passkey ceremony may come from: https pages on the relying party ID or one of
 * its subdomains (the WebAuthn rule for an RP ID, §5.1.3 of the spec). Tobira also takes plain
 * http on `localhost` (browsers treat it as a secure context), so a passkey can be tried locally.
 */
export function originAllowed(origin: string, rpId: string): boolean {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (u.origin !== origin) return false;
  const host = u.hostname.toLowerCase();
  const rp = rpId.toLowerCase();
  if (host !== rp && !host.endsWith(`.${rp}`)) return false;
  return u.protocol === 'https:' || (u.protocol === 'http:' && (host === 'localhost' || host.endsWith('.localhost')));
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * What SetUserPoolMfaConfig stores for its WebAuthnConfiguration (mfa/pool-config.ts calls this):
 * the given settings checked, with UserVerification 'preferred' and FactorConfiguration
 * SINGLE_FACTOR when left out. With MFA ON and passkeys a first factor, a single-factor passkey
 * is refused with the text measured against AWS (go-to-k/cdkd#2064).
 */
export function webAuthnConfiguration(pool: UserPool, given: WebAuthnConfigurationType, mode: UserPoolMfaType): WebAuthnConfigurationType {
  const out: WebAuthnConfigurationType = {};
  if (given.RelyingPartyId !== undefined) {
    if (!HOSTNAME.test(given.RelyingPartyId)) throw invalidParameter('Invalid RelyingPartyId: it must be a domain name.');
    out.RelyingPartyId = given.RelyingPartyId;
  }
  out.UserVerification = given.UserVerification ?? 'preferred';
  out.FactorConfiguration = given.FactorConfiguration ?? 'SINGLE_FACTOR';
  if (mode === 'ON' && passkeysAllowed(pool) && out.FactorConfiguration === 'SINGLE_FACTOR') {
    throw invalidParameter('Cannot set WebAuthn factor configuration to SINGLE_FACTOR if MFA is required and WebAuthn is an allowed first auth factor');
  }
  return out;
}

/**
 * --enforce-tiers: the Lite plan has no passwordless sign-in (EMAIL_OTP, SMS_OTP, WEB_AUTHN first
 * factors). Cognito's refusal of a LITE pool that allows them, as CloudFormation relayed it
 * (aws-amplify/amplify-backend#2805). Without the flag every tier has every feature.
 */
export function checkSignInPolicyTier(app: App, tier: string | undefined, factors: AuthFactorType[] | undefined): void {
  if (!app.config.enforceTiers || tier !== 'LITE') return;
  if (!(factors ?? []).some((f) => f !== 'PASSWORD')) return;
  throw new CognitoError('FeatureUnavailableInTierException', 'The following features need to be disabled for the LITE pricing tier configured: Passwordless Sign-In');
}
