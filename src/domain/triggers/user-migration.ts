import type { App } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import { uuid } from '../../util/ids.ts';
import { enableFactor } from '../mfa/settings.ts';
import { validateAttributes } from '../users/attributes.ts';
import { passwordSecrets } from '../users/passwords.ts';
import { resolveNewUsername } from '../users/user-create.ts';
import { applyPassword } from '../users/user-passwords.ts';
import { findUser, newUser, saveUser } from '../users/users.ts';
import type { User, UserPool } from '../types.ts';
import { clientMetadataOf, invalidLambdaResponse, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * UserMigration: when a sign-in with a password (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH) or
 * ForgotPassword names a user the pool does not have, the function may bring the user in from
 * another directory (developer guide, "Migrate user Lambda trigger" and "Importing users with a
 * user migration Lambda trigger"). Not for SRP: "An SRP obscures your user's password from your
 * Lambda function" (same guide), so USER_SRP_AUTH never calls it; nor for passwordless sign-in.
 *
 * The answer's userAttributes make the user; finalUserStatus CONFIRMED or RESET_REQUIRED
 * (RESET_REQUIRED when left out, cognito-protocols.md §7.2); the sign-in password becomes the
 * user's, without the pool's password policy ("The password policy is not applied to the migrated
 * password", §7.2 notes). A function that throws fails the call with UserLambdaValidationException
 * (amplify-flutter#3779: ForgotPassword of an unknown user answered LambdaException); one that
 * answers without userAttributes leaves the user unknown.
 */
export type MigrationSource = 'UserMigration_Authentication' | 'UserMigration_ForgotPassword';

const STATUSES = new Set(['CONFIRMED', 'RESET_REQUIRED']);
const MEDIUMS = new Set(['EMAIL', 'SMS']);

interface MigrationAnswer {
  userAttributes: Record<string, string>;
  finalUserStatus: 'CONFIRMED' | 'RESET_REQUIRED';
  forceAliasCreation: boolean;
  enableSMSMFA: boolean;
}

/** The answer's fields, checked; null when the function brought no user. */
function readAnswer(response: unknown): MigrationAnswer | null {
  const r = (response ?? {}) as Record<string, unknown>;
  if (r.userAttributes === undefined || r.userAttributes === null) return null;
  if (typeof r.userAttributes !== 'object' || Array.isArray(r.userAttributes)) throw invalidLambdaResponse();
  const userAttributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.userAttributes)) {
    if (typeof value !== 'string') throw invalidLambdaResponse();
    userAttributes[name] = value;
  }
  const status = r.finalUserStatus ?? 'RESET_REQUIRED';
  if (typeof status !== 'string' || !STATUSES.has(status)) throw invalidLambdaResponse();
  // SUPPRESS is the one action a migration may take (there is no earlier message to RESEND).
  if (r.messageAction !== undefined && r.messageAction !== null && r.messageAction !== 'SUPPRESS') throw invalidLambdaResponse();
  const mediums = r.desiredDeliveryMediums;
  if (mediums !== undefined && mediums !== null && (!Array.isArray(mediums) || mediums.some((m) => !MEDIUMS.has(m as string)))) {
    throw invalidLambdaResponse();
  }
  for (const flag of ['forceAliasCreation', 'enableSMSMFA']) {
    if (r[flag] !== undefined && r[flag] !== null && typeof r[flag] !== 'boolean') throw invalidLambdaResponse();
  }
  return {
    userAttributes,
    finalUserStatus: status as MigrationAnswer['finalUserStatus'],
    forceAliasCreation: r.forceAliasCreation === true,
    enableSMSMFA: r.enableSMSMFA === true,
  };
}

/**
 * Asks the pool's UserMigration function for `userName` and creates the user it describes, in one
 * transaction. Returns undefined when the pool has no UserMigration trigger, null when the
 * function knows no such user, else the user as now stored (another request that migrated the
 * same user first wins, and its user is returned).
 */
export async function migrateUser(
  app: App,
  pool: UserPool,
  a: {
    source: MigrationSource;
    /** What the user typed: the envelope's userName. */
    userName: string;
    clientId: string;
    /** UserMigration_Authentication only: the password given at sign-in. */
    password?: string;
    /** (Admin)InitiateAuth's ClientMetadata. */
    validationData?: Record<string, string>;
    /** ForgotPassword's ClientMetadata. */
    clientMetadata?: Record<string, string>;
  },
): Promise<User | null | undefined> {
  const fn = triggerFunction(pool, 'UserMigration');
  if (!fn) return undefined;
  const request: Record<string, unknown> = {};
  if (a.password !== undefined) request.password = a.password;
  request.validationData = clientMetadataOf(a.validationData) ?? null;
  const metadata = clientMetadataOf(a.clientMetadata);
  if (metadata) request.clientMetadata = metadata;
  const event = triggerEvent(pool, {
    triggerSource: a.source,
    userName: a.userName,
    clientId: a.clientId,
    request,
    response: {
      userAttributes: null,
      finalUserStatus: null,
      messageAction: null,
      desiredDeliveryMediums: null,
      forceAliasCreation: null,
      enableSMSMFA: null,
    },
  });
  const answer = readAnswer((await invokeTrigger(app, 'UserMigration', fn, event)).response);
  if (!answer) return null;

  const given = Object.entries(answer.userAttributes)
    // Cognito makes the sub; a username is the one typed.
    .filter(([name]) => name !== 'sub' && name !== 'username')
    .map(([Name, Value]) => ({ Name, Value }));
  const attrs = validateAttributes(pool, given, { mode: 'admin', creating: true });
  for (const [name, value] of Object.entries(attrs)) if (value === '') delete attrs[name];
  const sub = uuid(app.random);
  const username = resolveNewUsername(pool, a.userName, attrs, sub);
  const now = app.clock.now();
  const user = newUser(pool, { username, sub, status: answer.finalUserStatus, attributes: attrs, now });
  // Only a confirmed user keeps the password: RESET_REQUIRED must set a new one (ForgotPassword).
  if (a.password !== undefined && answer.finalUserStatus === 'CONFIRMED') {
    applyPassword(app, pool, user, { secrets: await passwordSecrets(app, pool.id, username, a.password) }, { permanent: true });
  }
  // enableSMSMFA turns SMS MFA on for the new user; it needs a phone number to send to.
  if (answer.enableSMSMFA && user.attributes.phone_number) enableFactor(user, 'SMS_MFA');
  try {
    await app.store.tx((s) => saveUser(s, pool, user, { insert: { existsMessage: 'User account already exists' }, forceAlias: answer.forceAliasCreation }));
  } catch (err) {
    // A concurrent sign-in migrated the same user a moment earlier: go on with that one.
    if (!(err instanceof CognitoError) || err.type !== 'UsernameExistsException') throw err;
    const existing = await findUser(app.store, pool, a.userName);
    if (!existing) throw err;
    return existing;
  }
  app.log.info({ poolId: pool.id, trigger: a.source }, 'user migrated by the UserMigration trigger');
  return user;
}
