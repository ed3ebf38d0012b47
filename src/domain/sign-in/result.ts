import type { App } from '../../app.ts';
import { invalidParameter, notAuthorized } from '../../errors.ts';
import type { AuthenticationResultType, ChallengeNameType } from '../../generated/cognito-idp.ts';
import { issueTokens } from '../tokens/tokens.ts';
import { deviceStepBeforeTokens, issueDevice, tracksDevices } from '../mfa/devices.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import type { SignInContext } from './sign-in.ts';
import { beforeSignInTokens } from '../triggers/before-tokens.ts';

/** What InitiateAuth and RespondToAuthChallenge (and their Admin forms) answer. */
export interface AuthOutcome {
  ChallengeName?: ChallengeNameType;
  Session?: string;
  ChallengeParameters: Record<string, string>;
  AuthenticationResult?: AuthenticationResultType;
  /** USER_AUTH: the first factors the user may choose from (mfa/user-auth.ts). */
  AvailableChallenges?: ChallengeNameType[];
}

/** The answer to a wrong password or proof, and to an unknown user when existence is hidden. */
export const incorrectCredentials = () => notAuthorized('Incorrect username or password.');

/** A named value of AuthParameters / ChallengeResponses, or Cognito's "Missing required parameter X". */
export function requireParam(params: Record<string, string> | undefined, name: string): string {
  const value = params?.[name];
  if (value === undefined || value === '') throw invalidParameter(`Missing required parameter ${name}`);
  return value;
}

/**
 * The end of a sign-in: tokens, with `"ChallengeParameters": {}` beside them as Cognito sends
 * (seeds 002 and 004). Called after the sign-in's own transaction has committed. On a pool that
 * tracks devices (mfa/devices.ts): a named device not yet proved in this sign-in is asked for
 * DEVICE_SRP_AUTH first; a sign-in that named none gets NewDeviceMetadata with a new device key,
 * and the access token and refresh token carry the device either way.
 */
export async function tokensOutcome(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext = {}): Promise<AuthOutcome> {
  const device = await deviceStepBeforeTokens(app, pool, client, user, ctx);
  if (device) return device;
  // PostAuthentication and PreTokenGeneration (triggers/before-tokens.ts), before any transaction.
  const source = ctx.deviceVerified ? 'TokenGeneration_AuthenticateDevice' : ctx.newPasswordChallenge ? 'TokenGeneration_NewPasswordChallenge' : 'TokenGeneration_Authentication';
  const newDeviceUsed = tracksDevices(pool) ? !ctx.deviceKey : undefined;
  const overrides = await beforeSignInTokens(app, pool, client, user, { source, newDeviceUsed, tokenGeneration: !ctx.hostedUi });
  const args = { pool, client, user, authTime: app.clock.now(), withRefreshToken: true, overrides };
  if (!tracksDevices(pool)) return { ChallengeParameters: {}, AuthenticationResult: await issueTokens(app, app.store, args) };
  if (ctx.deviceKey) {
    return { ChallengeParameters: {}, AuthenticationResult: await issueTokens(app, app.store, { ...args, deviceKey: ctx.deviceKey }) };
  }
  return app.store.tx(async (s) => {
    const meta = await issueDevice(app, s, pool, user);
    const result = await issueTokens(app, s, { ...args, deviceKey: meta.DeviceKey });
    result.NewDeviceMetadata = meta;
    return { ChallengeParameters: {}, AuthenticationResult: result };
  });
}
