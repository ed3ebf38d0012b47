import type { App } from '../../app.ts';
import { deviceChallenge } from '../mfa/devices.ts';
import { mfaChallenge } from '../mfa/challenges.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { newPasswordChallenge } from './new-password.ts';
import { type AuthOutcome, tokensOutcome } from './result.ts';
import { assessSignIn } from '../threat/sign-in.ts';

/**
 * What a sign-in carries from its first step to its last: the AuthParameters that later steps
 * need (DEVICE_KEY for a remembered device), and the ClientMetadata for triggers.
 */
export interface SignInContext {
  /** AuthParameters.DEVICE_KEY of the first step, when the client named a device. */
  deviceKey?: string;
  /** Set once the device named by deviceKey has passed DEVICE_PASSWORD_VERIFIER in this sign-in. */
  deviceVerified?: boolean;
  /** The first factor already given ('PASSWORD', 'SRP', 'EMAIL_OTP', 'WEB_AUTHN' ...). */
  firstFactor?: string;
  clientMetadata?: Record<string, string>;
  /** The sign-in went through NEW_PASSWORD_REQUIRED (PreTokenGeneration's TokenGeneration_NewPasswordChallenge). */
  newPasswordChallenge?: boolean;
  /**
   * The sign-in runs on the hosted UI (src/hosted-ui/sign-in.ts): the tokens at its end never
   * leave the server, so only PostAuthentication runs there; PreTokenGeneration runs once, with
   * TokenGeneration_HostedAuth, for the tokens the hosted UI hands out.
   */
  hostedUi?: boolean;
  /** Threat protection's adaptive authentication asks for MFA on this risky sign-in (threat/sign-in.ts). */
  riskMfa?: 'IF_CONFIGURED' | 'REQUIRED';
}

/**
 * What follows a correct first factor (password, SRP proof, passwordless code or passkey), in
 * Cognito's order: NEW_PASSWORD_REQUIRED for a user still on a temporary password; then the
 * device challenge (DEVICE_SRP_AUTH) when the client names a device the pool lets skip MFA; then
 * the MFA challenges (mfa/challenges.ts); then tokens.
 */
export async function finishSignIn(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext = {}): Promise<AuthOutcome> {
  await assessSignIn(app, pool, user, ctx);
  if (user.status === 'FORCE_CHANGE_PASSWORD') return newPasswordChallenge(app, pool, client, user, ctx);
  return afterNewPassword(app, pool, client, user, ctx);
}

/** The steps after NEW_PASSWORD_REQUIRED (or without it): device, MFA, tokens. */
export async function afterNewPassword(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext = {}): Promise<AuthOutcome> {
  const device = await deviceChallenge(app, pool, client, user, ctx);
  if (device) return device;
  const mfa = await mfaChallenge(app, pool, client, user, ctx);
  if (mfa) return mfa;
  return tokensOutcome(app, pool, client, user, ctx);
}
