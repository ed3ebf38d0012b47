import type { App } from '../app.ts';
import { mfaChallenge } from '../domain/mfa/challenges.ts';
import { newPasswordChallenge } from '../domain/sign-in/new-password.ts';
import { checkPasswordFactor } from '../domain/sign-in/password.ts';
import type { AuthOutcome } from '../domain/sign-in/result.ts';
import { preventUserExistenceErrors } from '../domain/pools/app-clients.ts';
import { postAuthentication } from '../domain/triggers/post-authentication.ts';
import { preAuthentication } from '../domain/triggers/pre-authentication.ts';
import { triggerFunction } from '../domain/triggers/invoke.ts';
import type { AppClient, User, UserPool } from '../domain/types.ts';
import { findUser } from '../domain/users/users.ts';
import { assessSignIn, trackSignIn } from '../domain/threat/sign-in.ts';
import type { SignInContext } from '../domain/sign-in/sign-in.ts';
import type { RequestOrigin } from '../domain/threat/origin.ts';

/**
 * The password step of /login, made of the same domain steps as USER_PASSWORD_AUTH
 * (sign-in/password.ts) so every surface refuses alike: PreAuthentication, UserMigration for an
 * unknown user, the user's state, lockout (counted before the hash is checked), the temporary
 * password's age. The hosted UI is its own client authentication, so no SECRET_HASH is asked,
 * and ExplicitAuthFlows (an API setting) does not apply. Throws CognitoError with the API's texts.
 * A user who owes a new password or a second factor gets the API's challenge instead.
 */
export type HostedSignIn = { user: User; challenge?: undefined } | { challenge: AuthOutcome; user?: undefined };

export async function hostedPasswordSignIn(
  app: App,
  pool: UserPool,
  client: AppClient,
  origin: RequestOrigin,
  username: string,
  password: string,
): Promise<HostedSignIn> {
  // Threat protection records /login as a password sign-in, and may refuse it (domain/threat/).
  const step = { kind: 'initiate' as const, flow: 'USER_PASSWORD_AUTH' as const, username };
  return trackSignIn(app, pool, client, origin, step, () => passwordStep(app, pool, client, username, password), (h) => ({ passed: !!h.user, session: h.challenge?.Session }));
}

async function passwordStep(app: App, pool: UserPool, client: AppClient, username: string, password: string): Promise<HostedSignIn> {
  const existing = await findUser(app.store, pool, username);
  if (triggerFunction(pool, 'PreAuthentication') && (existing || preventUserExistenceErrors(client) === 'ENABLED')) {
    await preAuthentication(app, pool, { user: existing ?? null, userName: username, clientId: client.clientId, clientMetadata: {} });
  }
  const user = await checkPasswordFactor(app, pool, client, username, password);
  // The next steps are the API's own challenges (NEW_PASSWORD_REQUIRED, then MFA), answered on
  // the hosted UI's challenge page (endpoints/challenge.ts) with their Session.
  const ctx: SignInContext = { firstFactor: 'PASSWORD', hostedUi: true };
  await assessSignIn(app, pool, user, ctx);
  if (user.status === 'FORCE_CHANGE_PASSWORD') return { challenge: await newPasswordChallenge(app, pool, client, user, ctx) };
  const mfa = await mfaChallenge(app, pool, client, user, ctx);
  if (mfa) return { challenge: mfa };
  await postAuthentication(app, pool, { user, clientId: client.clientId, clientMetadata: {} });
  return { user };
}
