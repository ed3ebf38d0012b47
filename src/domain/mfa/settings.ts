import type { App } from '../../app.ts';
import { invalidParameter, userNotFound } from '../../errors.ts';
import type { EmailMfaSettingsType, MFAOptionType, SMSMfaSettingsType, SoftwareTokenMfaSettingsType } from '../../generated/cognito-idp.ts';
import type { Store } from '../../store/store.ts';
import type { User, UserPool } from '../types.ts';
import { saveUser } from '../users/users.ts';
import { FACTORS, type MfaFactor } from './pool-config.ts';

/**
 * A user's MFA settings, kept in user.data.mfa in the shape GetUser and AdminGetUser answer
 * (UserMFASettingList, PreferredMfaSetting, MFAOptions), so the readers need no translation and
 * the settings live in the store with the user: every node sees them, a restart keeps them.
 */
export interface UserMfa {
  UserMFASettingList?: MfaFactor[];
  PreferredMfaSetting?: MfaFactor;
  /** The legacy SMS setting (SetUserSettings); kept in step with SMS_MFA in the list. */
  MFAOptions?: MFAOptionType[];
}

export const userMfaOf = (user: User): UserMfa => (user.data.mfa ?? {}) as UserMfa;

/** The factors the user turned on, in Cognito's order. */
export function userFactors(user: User): MfaFactor[] {
  const mfa = userMfaOf(user);
  const on = new Set<MfaFactor>(mfa.UserMFASettingList ?? []);
  if (mfa.MFAOptions?.some((o) => o.DeliveryMedium === 'SMS')) on.add('SMS_MFA');
  return FACTORS.filter((f) => on.has(f));
}

function store(user: User, factors: Set<MfaFactor>, preferred: MfaFactor | undefined): void {
  const list = FACTORS.filter((f) => factors.has(f));
  const mfa: UserMfa = {};
  if (list.length) mfa.UserMFASettingList = list;
  if (preferred && factors.has(preferred)) mfa.PreferredMfaSetting = preferred;
  if (factors.has('SMS_MFA')) mfa.MFAOptions = [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }];
  user.data = { ...user.data, mfa: mfa as Record<string, unknown> };
}

// Cognito's refusal of a factor the user cannot receive: "User does not have delivery config set
// to turn on SOFTWARE_TOKEN_MFA" (aws/aws-sdk-js-v3#4645, TOTP enabled before VerifySoftwareToken).
const noDeliveryConfig = (factor: MfaFactor) => invalidParameter(`User does not have delivery config set to turn on ${factor}`);

export interface MfaPreferences {
  SMSMfaSettings?: SMSMfaSettingsType;
  SoftwareTokenMfaSettings?: SoftwareTokenMfaSettingsType;
  EmailMfaSettings?: EmailMfaSettingsType;
}

/**
 * SetUserMFAPreference and AdminSetUserMFAPreference. Each named factor is enabled or disabled
 * (Enabled) and may become the preferred one (PreferredMfa); factors not named stay as they are.
 * TOTP needs a verified software token, SMS a phone_number, email an email address; a disabled
 * factor cannot stay preferred.
 */
export async function setMfaPreference(app: App, pool: UserPool, usernameKey: string, prefs: MfaPreferences): Promise<void> {
  await app.store.tx(async (s) => {
    const user = await s.users.get(pool.id, usernameKey);
    if (!user) throw userNotFound();
    const factors = new Set(userFactors(user));
    let preferred = userMfaOf(user).PreferredMfaSetting;
    const given: [MfaFactor, SMSMfaSettingsType | undefined][] = [
      ['SMS_MFA', prefs.SMSMfaSettings],
      ['SOFTWARE_TOKEN_MFA', prefs.SoftwareTokenMfaSettings],
      ['EMAIL_OTP', prefs.EmailMfaSettings],
    ];
    if (given.filter(([, p]) => p?.PreferredMfa === true).length > 1) {
      throw invalidParameter('Only one MFA method can be set as preferred.');
    }
    for (const [factor, p] of given) {
      if (!p) continue;
      const enable = p.Enabled ?? (p.PreferredMfa === true ? true : factors.has(factor));
      if (enable && !factors.has(factor)) await checkDeliverable(s, user, factor);
      if (enable) factors.add(factor);
      else factors.delete(factor);
      if (p.PreferredMfa === true && enable) preferred = factor;
      if ((p.PreferredMfa === false || !enable) && preferred === factor) preferred = undefined;
    }
    store(user, factors, preferred);
    user.updatedAt = app.clock.now();
    await saveUser(s, pool, user);
  });
}

async function checkDeliverable(s: Store, user: User, factor: MfaFactor): Promise<void> {
  if (factor === 'SMS_MFA' && !user.attributes.phone_number) throw noDeliveryConfig(factor);
  if (factor === 'EMAIL_OTP' && !user.attributes.email) throw noDeliveryConfig(factor);
  if (factor === 'SOFTWARE_TOKEN_MFA' && !(await s.softwareTokens.get(user.poolId, user.usernameKey))?.secret) {
    throw noDeliveryConfig(factor);
  }
}

/**
 * SetUserSettings and AdminSetUserSettings: the legacy MFAOptions, which only turn SMS MFA on
 * (an SMS option for phone_number) or off (an empty list). Cognito's API reference: "you can use
 * it to configure only SMS MFA".
 */
export async function setUserSettings(app: App, pool: UserPool, usernameKey: string, options: MFAOptionType[]): Promise<void> {
  for (const o of options) {
    if (o.DeliveryMedium !== 'SMS' || (o.AttributeName !== undefined && o.AttributeName !== 'phone_number')) {
      throw invalidParameter('Only SMS MFA with the phone_number attribute can be configured with MFAOptions.');
    }
  }
  await app.store.tx(async (s) => {
    const user = await s.users.get(pool.id, usernameKey);
    if (!user) throw userNotFound();
    const factors = new Set(userFactors(user));
    let preferred = userMfaOf(user).PreferredMfaSetting;
    if (options.length) {
      await checkDeliverable(s, user, 'SMS_MFA');
      factors.add('SMS_MFA');
    } else {
      factors.delete('SMS_MFA');
      if (preferred === 'SMS_MFA') preferred = undefined;
    }
    store(user, factors, preferred);
    user.updatedAt = app.clock.now();
    await saveUser(s, pool, user);
  });
}

/** Turns a factor on for the user (after MFA_SETUP, or TOTP verified on a pool that requires MFA), preferred when nothing else is. */
export function enableFactor(user: User, factor: MfaFactor): void {
  const factors = new Set(userFactors(user));
  factors.add(factor);
  store(user, factors, userMfaOf(user).PreferredMfaSetting ?? factor);
}

export const enableTotp = (user: User) => enableFactor(user, 'SOFTWARE_TOKEN_MFA');
