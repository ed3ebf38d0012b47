import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, userNotFound } from '../../errors.ts';
import type { AttributeType } from '../../generated/cognito-idp.ts';
import { applyAttributeChanges, validateAttributes } from '../users/attributes.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { applyPassword, preparePassword } from '../users/user-passwords.ts';
import { findUser, saveUser } from '../users/users.ts';
import type { AuthOutcome } from './result.ts';
import { checkSecretHash } from './secret-hash.ts';
import { consumeSession, findSession, invalidSession, openSession } from './sessions.ts';
import { afterNewPassword, type SignInContext } from './sign-in.ts';

const PREFIX = 'userAttributes.';

/** Required schema attributes (sub aside) that `attributes` lacks. */
function missingRequired(pool: UserPool, attributes: Record<string, string>): string[] {
  return (pool.config.SchemaAttributes ?? [])
    .filter((a) => a.Required && a.Name !== 'sub' && !attributes[a.Name!])
    .map((a) => a.Name!);
}

/**
 * The NEW_PASSWORD_REQUIRED challenge of a FORCE_CHANGE_PASSWORD user who gave the right
 * temporary password (seeds 001, 002, 004): USER_ID_FOR_SRP, requiredAttributes as a JSON list
 * of `userAttributes.<name>` the user still lacks, and userAttributes as a JSON object of the
 * user's attributes without sub, a missing required one as "" (seed 001: `{"email":""}`).
 */
export async function newPasswordChallenge(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext = {}): Promise<AuthOutcome> {
  const missing = missingRequired(pool, user.attributes);
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(user.attributes)) if (name !== 'sub') shown[name] = value;
  for (const name of missing) shown[name] = '';
  const session = await openSession(app, app.store, {
    pool,
    client,
    usernameKey: user.usernameKey,
    state: { challenge: 'NEW_PASSWORD_REQUIRED', ctx },
  });
  return {
    ChallengeName: 'NEW_PASSWORD_REQUIRED',
    Session: session,
    ChallengeParameters: {
      USER_ID_FOR_SRP: user.username,
      requiredAttributes: JSON.stringify(missing.map((n) => `${PREFIX}${n}`)),
      userAttributes: JSON.stringify(shown),
    },
  };
}

/**
 * Which attributes a client may set here: its WriteAttributes when it has them, else every
 * schema attribute but the verified flags (amazon-cognito-identity-js's README: "the api doesn't
 * accept this field back" about email_verified).
 */
function writable(client: AppClient, name: string): boolean {
  const list = client.config.WriteAttributes;
  if (list?.length) return list.includes(name);
  return name !== 'email_verified' && name !== 'phone_number_verified';
}

/** `a`, `a and b`, `a, b and c`: Cognito's "Invalid attributes given, name and address is missing". */
const listNames = (names: string[]) => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

/**
 * The answer to NEW_PASSWORD_REQUIRED: NEW_PASSWORD (the pool's policy and history apply) and
 * `userAttributes.<name>` values, which must supply every required attribute still missing.
 * A refused password or attribute leaves the Session usable for another try; success uses it
 * up, sets the password as permanent (CONFIRMED) and signs the user in.
 */
export async function respondNewPassword(
  app: App,
  pool: UserPool,
  client: AppClient,
  responses: Record<string, string>,
  session: string | undefined,
): Promise<AuthOutcome> {
  const record = await findSession(app, app.store, client, session, 'NEW_PASSWORD_REQUIRED');
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  if (!user) throw userNotFound();
  // USERNAME may be the internal name or an alias of the same user. Seed 004 sends `Username=`
  // instead, which Cognito accepted there: the Session already names the user.
  const given = responses.USERNAME;
  if (given && given !== user.username && (await findUser(app.store, pool, given))?.usernameKey !== user.usernameKey) {
    throw invalidSession();
  }
  checkSecretHash(client, [given, user.username], responses.SECRET_HASH);
  const password = responses.NEW_PASSWORD;
  if (!password) throw invalidParameter('Missing required parameter NEW_PASSWORD');

  const list: AttributeType[] = [];
  for (const [key, value] of Object.entries(responses)) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    if (!writable(client, name)) throw new CognitoError('NotAuthorizedException', 'A client attempted to write unauthorized attribute');
    list.push({ Name: name, Value: value });
  }
  const changes = validateAttributes(pool, list, { mode: 'user', creating: false, existing: user.attributes });
  const missing = missingRequired(pool, applyAttributeChanges(user.attributes, changes));
  if (missing.length) throw invalidParameter(`Invalid attributes given, ${listNames(missing)} is missing`);

  const prepared = await preparePassword(app, pool, user, password, { setting: 'NEW_PASSWORD_REQUIRED' });
  const saved = await app.store.tx(async (s) => {
    await consumeSession(app, s, record);
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (!fresh) throw userNotFound();
    fresh.attributes = applyAttributeChanges(fresh.attributes, changes);
    applyPassword(app, pool, fresh, prepared, { permanent: true });
    await saveUser(s, pool, fresh);
    return fresh;
  });
  // Then the device and MFA steps a plain sign-in would owe (Cognito asks for MFA after the new password).
  return afterNewPassword(app, pool, client, saved, { ...(record.data as { ctx?: SignInContext }).ctx, newPasswordChallenge: true });
}
