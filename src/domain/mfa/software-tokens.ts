import type { App } from '../../app.ts';
import { CognitoError, invalidParameter } from '../../errors.ts';
import type { AssociateSoftwareTokenResponse, VerifySoftwareTokenResponse } from '../../generated/cognito-idp.ts';
import { tokenCall } from '../self-service/client.ts';
import type { User, UserPool } from '../types.ts';
import { saveUser } from '../users/users.ts';
import { nextSetupSession, setupSession } from './challenges.ts';
import { poolFactors } from './pool-config.ts';
import { enableTotp } from './settings.ts';
import { matchingStep, newTotpSecret } from './totp.ts';

/**
 * AssociateSoftwareToken and VerifySoftwareToken (cognito-protocols.md §6.4): a signed-in user
 * (AccessToken) or one in an MFA_SETUP challenge (Session, answered with a new Session each time)
 * gets a new TOTP secret, then proves the authenticator app has it with one code. The secret is
 * shown once, by AssociateSoftwareToken, and stored sealed (store/repos/software-tokens.ts).
 */

// Texts: aws/aws-cli and the developer guide's TOTP page ("Software Token MFA has not been enabled
// by the userPool", cognito-protocols.md §6.4); a wrong first code (aws-samples/aws-amplify-auth-starters#15).
const notEnabledInPool = () => new CognitoError('SoftwareTokenMFANotFoundException', 'Software Token MFA has not been enabled by the userPool');
const enableMismatch = () => new CognitoError('EnableSoftwareTokenMFAException', 'Code mismatch and fail enable Software Token MFA');

type Caller = { AccessToken?: string; Session?: string };

async function resolve(app: App, input: Caller) {
  if (input.AccessToken && input.Session) throw invalidParameter('Only one of AccessToken or Session can be given.');
  if (input.AccessToken) {
    const { pool, user } = await tokenCall(app, input.AccessToken);
    return { pool, user, setup: null };
  }
  if (!input.Session) throw invalidParameter('Either AccessToken or Session is required.');
  const setup = await setupSession(app, input.Session);
  return { pool: setup.pool, user: setup.user, setup };
}

function checkPool(pool: UserPool): void {
  if (!poolFactors(pool).has('SOFTWARE_TOKEN_MFA')) throw notEnabledInPool();
}

export async function associateSoftwareToken(app: App, input: Caller): Promise<AssociateSoftwareTokenResponse> {
  const { pool, user, setup } = await resolve(app, input);
  checkPool(pool);
  const secret = newTotpSecret();
  await app.store.tx((s) => s.softwareTokens.associate(pool.id, user.usernameKey, secret, app.clock.now()));
  if (!setup) return { SecretCode: secret };
  return { SecretCode: secret, Session: await nextSetupSession(app, setup, false) };
}

/**
 * A right code makes the associated secret the user's (its step counts as used). During
 * MFA_SETUP, and on a pool that requires MFA, that also turns TOTP on for the user, as Cognito's
 * MFA_SETUP ends signed in with TOTP MFA; otherwise SetUserMFAPreference turns it on.
 */
export async function verifySoftwareToken(
  app: App,
  input: Caller & { UserCode: string; FriendlyDeviceName?: string },
): Promise<VerifySoftwareTokenResponse> {
  const { pool, user, setup } = await resolve(app, input);
  checkPool(pool);
  const token = await app.store.softwareTokens.get(pool.id, user.usernameKey);
  if (!token?.pendingSecret || token.pendingAt === null) {
    // Cognito's text when the user has no software token (amazon-archives/amazon-cognito-identity-js#630).
    throw new CognitoError('SoftwareTokenMFANotFoundException', 'Software Token MFA does not exist for the user.');
  }
  const now = app.clock.now();
  const step = matchingStep(token.pendingSecret, input.UserCode, now);
  if (step === null) throw enableMismatch();
  const enable = setup !== null || pool.config.MfaConfiguration === 'ON';
  await app.store.tx(async (s) => {
    const promoted = await s.softwareTokens.promote(pool.id, user.usernameKey, token.pendingAt!, step, input.FriendlyDeviceName ?? null, now, token.pendingSecret!);
    if (!promoted) throw enableMismatch();
    if (enable) {
      const fresh = (await s.users.get(pool.id, user.usernameKey)) as User;
      enableTotp(fresh);
      fresh.updatedAt = now;
      await saveUser(s, pool, fresh);
    }
  });
  if (!setup) return { Status: 'SUCCESS' };
  return { Status: 'SUCCESS', Session: await nextSetupSession(app, setup, true) };
}
