import { createHmac, timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import { notAuthorized } from '../../errors.ts';
import { checkSecretHash } from '../sign-in/secret-hash.ts';
import { type AuthOutcome, incorrectCredentials, requireParam, tokensOutcome } from '../sign-in/result.ts';
import { type ChallengeState, consumeSession, findSession, invalidSession, openSession, sessionId, type StoredSession } from '../sign-in/sessions.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import type { SignInContext } from '../sign-in/sign-in.ts';
import { modPowN, g, scramblingU, serverSecretS, sessionKey } from '../sign-in/srp-math.ts';
import { parseSrpA, parseSrpTimestamp, serverKeys, TIMESTAMP_SKEW_MS } from '../sign-in/srp.ts';
import { checkUserCanSignIn } from '../sign-in/user-state.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { findUser } from '../users/users.ts';
import { deviceNotFound, userDevice } from './devices.ts';

/**
 * Device SRP (reference cognito-protocols.md §4.8): the user's SRP-6a with the device's own
 * verifier, where the client's x is H(salt | H(DeviceGroupKey + DeviceKey + ":" + devicePassword))
 * and the signed message is DeviceGroupKey | DeviceKey | SECRET_BLOCK bytes | TIMESTAMP
 * (amazon-cognito-identity-js: AuthenticationHelper.generateHashDevice, CognitoUser.getDeviceResponse).
 */

/** Opens the DEVICE_SRP_AUTH step for a sign-in naming a confirmed device; the client answers with SRP_A. */
export async function deviceSrpChallenge(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext, skipsMfa: boolean): Promise<AuthOutcome> {
  const session = await openSession(app, app.store, {
    pool,
    client,
    usernameKey: user.usernameKey,
    state: { challenge: 'DEVICE_SRP_AUTH', deviceKey: ctx.deviceKey!, skipsMfa, ctx },
  });
  // amazon-cognito-identity-js and Amplify read nothing but the Session from this challenge.
  return { ChallengeName: 'DEVICE_SRP_AUTH', Session: session, ChallengeParameters: {} };
}

/** The session's user, the name the client gave checked against it (username or alias), and SECRET_HASH. */
async function sessionUser(app: App, pool: UserPool, client: AppClient, usernameKey: string | null, responses: Record<string, string>): Promise<User> {
  const username = requireParam(responses, 'USERNAME');
  const user = usernameKey ? await app.store.users.get(pool.id, usernameKey) : undefined;
  if (!user) throw incorrectCredentials();
  checkSecretHash(client, [username, user.username], responses.SECRET_HASH);
  if (username !== user.username && (await findUser(app.store, pool, username))?.usernameKey !== user.usernameKey) throw incorrectCredentials();
  return user;
}

/** The MFA steps whose Session is used up only by a right answer. */
const PASSED_MFA = new Set(['SOFTWARE_TOKEN_MFA', 'SMS_MFA', 'EMAIL_OTP', 'MFA_SETUP']);

type DeviceSrpState = Extract<ChallengeState, { challenge: 'DEVICE_SRP_AUTH' }>;

/**
 * The session a DEVICE_SRP_AUTH answer continues, and how to use it up. That is the Session of
 * the DEVICE_SRP_AUTH challenge; or, after MFA, the Session of the MFA step just passed:
 * amazon-cognito-identity-js's sendMFACode goes on to getDeviceResponse with the Session it sent
 * the code with, not the one DEVICE_SRP_AUTH came with (CognitoUser.js). Such a session counts
 * only when it was used up by a right answer naming this device, is still within its lifetime,
 * and serves one device step (a marker row under a derived id, inserted once).
 */
async function deviceSrpSession(
  app: App,
  client: AppClient,
  token: string | undefined,
  deviceKey: string,
): Promise<{ record: StoredSession; state: DeviceSrpState; useUp: (s: Store) => Promise<void> }> {
  const prior = token ? await app.store.sessions.get(sessionId(token)) : undefined;
  const data = prior?.data as (ChallengeState & { ctx?: SignInContext }) | undefined;
  const now = app.clock.now();
  if (prior && data && PASSED_MFA.has(data.challenge) && prior.consumedAt !== null && prior.expiresAt > now && prior.clientId === client.clientId) {
    if (data.ctx?.deviceKey !== deviceKey) throw invalidSession();
    const state: DeviceSrpState = { challenge: 'DEVICE_SRP_AUTH', deviceKey, skipsMfa: false, ctx: data.ctx };
    const useUp = async (s: Store) => {
      try {
        await s.sessions.insert({ ...prior, id: sessionId(`${token}#DEVICE_SRP_AUTH`), data: state, createdAt: now, consumedAt: now });
      } catch (e) {
        if (e instanceof UniqueViolation) throw notAuthorized('Invalid session for the user, session can only be used once.');
        throw e;
      }
    };
    return { record: { ...prior, data: state }, state, useUp };
  }
  const record = await findSession(app, app.store, client, token, 'DEVICE_SRP_AUTH');
  if (record.data.challenge !== 'DEVICE_SRP_AUTH') throw invalidSession();
  return { record, state: record.data, useUp: (s) => consumeSession(app, s, record) };
}

/**
 * DEVICE_SRP_AUTH answered (USERNAME, DEVICE_KEY, SRP_A): the session is used up and the
 * DEVICE_PASSWORD_VERIFIER challenge follows with the device's SALT, our SRP_B, a SECRET_BLOCK
 * and the internal USERNAME, under a new Session.
 */
export async function respondDeviceSrpAuth(
  app: App,
  pool: UserPool,
  client: AppClient,
  responses: Record<string, string>,
  token: string | undefined,
): Promise<AuthOutcome> {
  const deviceKey = requireParam(responses, 'DEVICE_KEY');
  const srpA = requireParam(responses, 'SRP_A');
  const { record, state, useUp } = await deviceSrpSession(app, client, token, deviceKey);
  const user = await sessionUser(app, pool, client, record.usernameKey, responses);
  const A = parseSrpA(srpA);
  await app.store.tx(useUp);
  if (deviceKey !== state.deviceKey) throw deviceNotFound();
  const device = await userDevice(app.store, pool, user.usernameKey, deviceKey);
  if (!device.srpVerifier || !device.srpSalt) throw deviceNotFound();
  checkUserCanSignIn(client, user);

  const { b, B } = serverKeys(app, BigInt(`0x${device.srpVerifier}`));
  const secretBlock = app.random.bytes(64).toString('base64');
  const session = await openSession(app, app.store, {
    pool,
    client,
    usernameKey: user.usernameKey,
    state: {
      challenge: 'DEVICE_PASSWORD_VERIFIER',
      deviceKey,
      skipsMfa: state.skipsMfa,
      ctx: state.ctx,
      b: b.toString(16),
      A: A.toString(16),
      B: B.toString(16),
      secretBlock,
    },
  });
  return {
    ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
    Session: session,
    ChallengeParameters: { SALT: device.srpSalt, SECRET_BLOCK: secretBlock, SRP_B: B.toString(16), USERNAME: user.username },
  };
}

/** HMAC-SHA256(K, DeviceGroupKey | DeviceKey | SECRET_BLOCK bytes | TIMESTAMP). */
function deviceClaimSignature(K: Buffer, groupKey: string, deviceKey: string, secretBlock: Buffer, timestamp: string): Buffer {
  return createHmac('sha256', K)
    .update(Buffer.from(groupKey, 'utf8'))
    .update(Buffer.from(deviceKey, 'utf8'))
    .update(secretBlock)
    .update(Buffer.from(timestamp, 'utf8'))
    .digest();
}

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/**
 * DEVICE_PASSWORD_VERIFIER answered (USERNAME, DEVICE_KEY, PASSWORD_CLAIM_SECRET_BLOCK,
 * TIMESTAMP, PASSWORD_CLAIM_SIGNATURE): the session is used up before the proof is checked; a
 * wrong proof is "Incorrect username or password.". A right one ends the sign-in with tokens that
 * carry the device (MFA was either passed already or is replaced by this proof).
 */
export async function respondDevicePasswordVerifier(
  app: App,
  pool: UserPool,
  client: AppClient,
  responses: Record<string, string>,
  token: string | undefined,
): Promise<AuthOutcome> {
  const deviceKey = requireParam(responses, 'DEVICE_KEY');
  const secretBlock = requireParam(responses, 'PASSWORD_CLAIM_SECRET_BLOCK');
  const signature = requireParam(responses, 'PASSWORD_CLAIM_SIGNATURE');
  const timestamp = requireParam(responses, 'TIMESTAMP');
  const record = await findSession(app, app.store, client, token, 'DEVICE_PASSWORD_VERIFIER');
  const state = record.data;
  if (state.challenge !== 'DEVICE_PASSWORD_VERIFIER') throw incorrectCredentials();
  const user = await sessionUser(app, pool, client, record.usernameKey, responses);
  await app.store.tx((s) => consumeSession(app, s, record));
  if (deviceKey !== state.deviceKey) throw deviceNotFound();
  const device = await userDevice(app.store, pool, user.usernameKey, deviceKey);
  if (!device.srpVerifier) throw deviceNotFound();

  const A = BigInt(`0x${state.A}`);
  const B = BigInt(`0x${state.B}`);
  const b = BigInt(`0x${state.b}`);
  const u = scramblingU(A, B);
  const when = parseSrpTimestamp(timestamp);
  const block = Buffer.from(state.secretBlock, 'base64');
  let ok = u !== 0n && when !== null && Math.abs(when - app.clock.now()) <= TIMESTAMP_SKEW_MS;
  ok = sameBytes(Buffer.from(secretBlock, 'base64'), block) && ok;
  // The proof is computed whatever the checks above said, so that a failure takes as long.
  const K = sessionKey(u === 0n ? serverSecretS(A, modPowN(g, b), 1n, b) : serverSecretS(A, BigInt(`0x${device.srpVerifier}`), u, b), u);
  const expected = deviceClaimSignature(K, device.groupKey, device.deviceKey, block, timestamp);
  ok = sameBytes(Buffer.from(signature, 'base64'), expected) && ok;
  if (!ok) throw incorrectCredentials();
  checkUserCanSignIn(client, user);
  await app.store.devices.touchAuthenticated(pool.id, deviceKey, app.clock.now());
  return tokensOutcome(app, pool, client, user, { ...state.ctx, deviceKey, deviceVerified: true });
}
