import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type { SetUserPoolMfaConfigRequest, SetUserPoolMfaConfigResponse } from '../../generated/cognito-idp.ts';
import { getPool } from '../pools/user-pools.ts';
import type { PoolMfaFactors, UserPool } from '../types.ts';
import { webAuthnConfiguration } from './webauthn-config.ts';

/** The MFA factors Cognito names in UserMFASettingList and the challenges. */
export type MfaFactor = 'SMS_MFA' | 'SOFTWARE_TOKEN_MFA' | 'EMAIL_OTP';
export const FACTORS: MfaFactor[] = ['SMS_MFA', 'SOFTWARE_TOKEN_MFA', 'EMAIL_OTP'];

/**
 * The factors a sign-in may ask for in this pool: none when MFA is OFF. A pool configured only
 * by CreateUserPool / UpdateUserPool has SMS MFA when it has an SMS configuration (CreateUserPool
 * has no TOTP or email setting); SetUserPoolMfaConfig names each factor.
 */
export function poolFactors(pool: UserPool): Set<MfaFactor> {
  const out = new Set<MfaFactor>();
  const c = pool.config;
  if (!c.MfaConfiguration || c.MfaConfiguration === 'OFF') return out;
  const f = c.MfaFactors;
  if ((f?.sms ?? true) && c.SmsConfiguration) out.add('SMS_MFA');
  if (f?.totp) out.add('SOFTWARE_TOKEN_MFA');
  if (f?.email) out.add('EMAIL_OTP');
  return out;
}

/** GetUserPoolMfaConfig: what was set, in Cognito's shape. */
export function mfaConfigOf(pool: UserPool): SetUserPoolMfaConfigResponse {
  const c = pool.config;
  const f = c.MfaFactors;
  const mode = c.MfaConfiguration ?? 'OFF';
  const out: SetUserPoolMfaConfigResponse = {};
  if (mode !== 'OFF' && (f?.sms ?? true) && c.SmsConfiguration) {
    out.SmsMfaConfiguration = {
      ...(c.SmsAuthenticationMessage !== undefined ? { SmsAuthenticationMessage: c.SmsAuthenticationMessage } : {}),
      SmsConfiguration: c.SmsConfiguration,
    };
  }
  if (f?.totp !== undefined) out.SoftwareTokenMfaConfiguration = { Enabled: f.totp };
  if (f?.email) out.EmailMfaConfiguration = f.email;
  out.MfaConfiguration = mode;
  if (f?.webAuthn) out.WebAuthnConfiguration = f.webAuthn;
  return out;
}

/**
 * SetUserPoolMfaConfig. Each call states the factors whole: one left out is turned off (a call
 * naming only `MfaConfiguration: OPTIONAL` on a pool with SMS MFA is refused, aws/aws-sdk-js#4186).
 * Cognito's refusals, with its texts: a factor with MFA OFF ("can't turn off MFA and configure
 * an MFA together", go-to-k/cdkd#1923 measured against AWS), ON or OPTIONAL with no factor
 * ("can't disable all MFAs ...", aws/aws-sdk-js#4186, anomalyco/sst#5177), SMS MFA without an
 * SMS configuration (the CreateUserPool text, aws/aws-cli#3876). WebAuthnConfiguration is not an
 * MFA factor and is accepted with any mode. Email MFA needs SES (DEVELOPER email) in Cognito;
 * Tobira sends through its own Messenger, so that is not required here.
 */
export async function setUserPoolMfaConfig(app: App, input: SetUserPoolMfaConfigRequest): Promise<SetUserPoolMfaConfigResponse> {
  return app.store.tx(async (s) => {
    const pool = await getPool(s, input.UserPoolId);
    const mode = input.MfaConfiguration ?? pool.config.MfaConfiguration ?? 'OFF';
    const sms = input.SmsMfaConfiguration !== undefined;
    const totp = input.SoftwareTokenMfaConfiguration?.Enabled === true;
    const email = input.EmailMfaConfiguration !== undefined;
    if (mode === 'OFF' && (sms || totp || email)) {
      throw invalidParameter("Invalid MFA configuration given, can't turn off MFA and configure an MFA together.");
    }
    if (mode !== 'OFF' && !sms && !totp && !email) {
      throw invalidParameter("Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.");
    }
    const smsConfig = input.SmsMfaConfiguration?.SmsConfiguration ?? pool.config.SmsConfiguration;
    if (sms && !smsConfig) {
      throw invalidParameter('SMS configuration and Auto verification for phone_number are required when MFA is required/optional');
    }
    const factors: PoolMfaFactors = { sms, email: email ? input.EmailMfaConfiguration : null };
    if (input.SoftwareTokenMfaConfiguration) factors.totp = totp;
    else if (mode !== 'OFF') factors.totp = false;
    // Passkey settings are checked and completed by the passkey feature (mfa/webauthn-config.ts).
    const webAuthn = input.WebAuthnConfiguration ? webAuthnConfiguration(pool, input.WebAuthnConfiguration, mode) : pool.config.MfaFactors?.webAuthn;
    if (webAuthn) factors.webAuthn = webAuthn;
    pool.config.MfaConfiguration = mode;
    pool.config.MfaFactors = factors;
    if (input.SmsMfaConfiguration) {
      if (input.SmsMfaConfiguration.SmsConfiguration) {
        pool.config.SmsConfiguration = { SnsRegion: pool.region, ...input.SmsMfaConfiguration.SmsConfiguration };
      }
      if (input.SmsMfaConfiguration.SmsAuthenticationMessage !== undefined) {
        pool.config.SmsAuthenticationMessage = input.SmsMfaConfiguration.SmsAuthenticationMessage;
      }
    }
    pool.updatedAt = app.clock.now();
    await s.pools.update(pool);
    return mfaConfigOf(pool);
  });
}
