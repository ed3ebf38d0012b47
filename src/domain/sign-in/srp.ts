import { timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import { invalidParameter, userNotFound } from '../../errors.ts';
import { preventUserExistenceErrors } from '../pools/app-clients.ts';
import type { AppClient, UserPool } from '../types.ts';
import { findUser } from '../users/users.ts';
import { uuid } from '../../util/ids.ts';
import { refuseWhileLocked, settleCheckedAttempt } from './lockout.ts';
import { type AuthOutcome, incorrectCredentials, requireParam } from './result.ts';
import { checkSecretHash } from './secret-hash.ts';
import { consumeSession, type CustomAuthProgress, findSession, openSession, simulatedValue, simulationKey } from './sessions.ts';
import { afterCustomPassword } from './custom-auth.ts';
import { finishSignIn } from './sign-in.ts';
import { checkSignInDevice } from '../mfa/devices.ts';
import { EPHEMERAL_SECRET_BYTES, N, g, modPowN, passwordClaimSignature, scramblingU, serverPublicB, serverSecretS, sessionKey } from './srp-math.ts';
import { checkTemporaryPassword, checkUserCanSignIn } from './user-state.ts';

const HEX = /^[0-9a-fA-F]{1,2048}$/;

/** The client's SRP_A: hexadecimal, and not 0 modulo N. */
export function parseSrpA(srpA: string): bigint {
  if (!HEX.test(srpA)) throw invalidParameter('SRP_A is not a valid hexadecimal number.');
  const A = BigInt(`0x${srpA}`);
  if (A % N === 0n) throw invalidParameter('SRP_A must not be 0 modulo N.');
  return A;
}

/** A fresh server secret b and its public B for verifier v (B never 0 modulo N). */
export function serverKeys(app: App, v: bigint): { b: bigint; B: bigint } {
  let b: bigint;
  let B: bigint;
  do {
    b = BigInt(`0x${app.random.bytes(EPHEMERAL_SECRET_BYTES).toString('hex')}`);
    B = serverPublicB(v, b);
  } while (B % N === 0n);
  return { b, B };
}

/** A simulated user's values must look like a real one's: the pool's username form included. */
function simulatedUserId(pool: UserPool, key: Buffer, username: string): string {
  if (!pool.config.UsernameAttributes?.length) return username;
  const bytes = simulatedValue(key, 'user-id', username.toLowerCase()).subarray(0, 16);
  return uuid({ bytes: () => Buffer.from(bytes) });
}

/**
 * USER_SRP_AUTH, step one (cognito-protocols.md §4.4): answers SRP_A with the PASSWORD_VERIFIER
 * challenge: SALT, SRP_B, SECRET_BLOCK, USERNAME and USER_ID_FOR_SRP (both the internal
 * username). Like Cognito, no Session: the SECRET_BLOCK is the handle of the stored state (b, A,
 * B), under its hash, for the client's AuthSessionValidity. An unknown user gets a simulated
 * challenge (stable SALT per name) when the client hides user existence, else UserNotFound.
 */
export async function startSrp(
  app: App,
  pool: UserPool,
  client: AppClient,
  params: Record<string, string>,
  /** Inside CUSTOM_AUTH (sign-in/custom-auth.ts): the rounds so far, to go on with after the proof. */
  custom?: CustomAuthProgress,
): Promise<AuthOutcome> {
  const username = requireParam(params, 'USERNAME');
  const srpA = requireParam(params, 'SRP_A');
  checkSecretHash(client, [username], params.SECRET_HASH);
  const A = parseSrpA(srpA);

  const user = await findUser(app.store, pool, username);
  if (!user && preventUserExistenceErrors(client) !== 'ENABLED') throw userNotFound();
  let userId: string;
  let salt: string;
  let v: bigint;
  const simulated = !user || !user.srpSalt || !user.srpVerifier;
  if (simulated) {
    const key = await simulationKey(app, app.store, pool.id);
    userId = user?.username ?? simulatedUserId(pool, key, username);
    salt = simulatedValue(key, 'salt', userId.toLowerCase()).subarray(0, 16).toString('hex');
    v = BigInt(`0x${simulatedValue(key, 'verifier', userId).toString('hex')}`);
  } else {
    userId = user.username;
    salt = user.srpSalt!;
    v = BigInt(`0x${user.srpVerifier}`);
  }
  const { b, B } = serverKeys(app, v);
  const hexB = B.toString(16);
  // Standard base64, as Cognito's; clients decode it to bytes for the signature.
  const secretBlock = app.random.bytes(64).toString('base64');
  await openSession(app, app.store, {
    pool,
    client,
    usernameKey: user?.usernameKey ?? null,
    token: secretBlock,
    state: {
      challenge: 'PASSWORD_VERIFIER',
      userId,
      b: b.toString(16),
      A: A.toString(16),
      B: hexB,
      ...(simulated ? { simulated } : {}),
      ...(custom ? { custom } : {}),
    },
  });
  return {
    ChallengeName: 'PASSWORD_VERIFIER',
    // Inside CUSTOM_AUTH clients send a Session back with the proof (cognito-protocols.md §4.7):
    // the SECRET_BLOCK is the handle of this step either way, so it serves as the Session too.
    ...(custom ? { Session: secretBlock } : {}),
    ChallengeParameters: { SALT: salt, SECRET_BLOCK: secretBlock, SRP_B: hexB, USERNAME: userId, USER_ID_FOR_SRP: userId },
  };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TIMESTAMP = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([1-9]\d?) (\d\d):(\d\d):(\d\d) UTC (\d{4})$/;
/** How far a TIMESTAMP may be from our clock: AWS publishes no figure; the reference suggests 5 minutes. */
export const TIMESTAMP_SKEW_MS = 5 * 60 * 1000;

/** Formats epoch ms as the clients' TIMESTAMP (what amazon-cognito-identity-js's DateHelper writes). */
export function formatSrpTimestamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${time} UTC ${d.getUTCFullYear()}`;
}

/**
 * Parses the signed TIMESTAMP, `EEE MMM d HH:mm:ss 'UTC' yyyy` (day without zero padding; AWS
 * refuses `Sep 05` and a wrong weekday: ministack#1758). Returns epoch ms, or null when malformed.
 */
export function parseSrpTimestamp(text: string): number | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [, day, month, date, hh, mm, ss, year] = m;
  const ms = Date.UTC(Number(year), MONTHS.indexOf(month), Number(date), Number(hh), Number(mm), Number(ss));
  const d = new Date(ms);
  if (d.getUTCDate() !== Number(date) || d.getUTCHours() !== Number(hh) || d.getUTCMinutes() !== Number(mm) || d.getUTCSeconds() !== Number(ss)) {
    return null;
  }
  if (DAYS[d.getUTCDay()] !== day) return null;
  return ms;
}

/**
 * USER_SRP_AUTH, step two: the PASSWORD_VERIFIER answer (USERNAME, PASSWORD_CLAIM_SECRET_BLOCK,
 * TIMESTAMP, PASSWORD_CLAIM_SIGNATURE). The SECRET_BLOCK is single use: taken by one conditional
 * statement before the proof is checked. A wrong proof counts toward lockout; a right one goes on like a
 * password sign-in (NEW_PASSWORD_REQUIRED for FORCE_CHANGE_PASSWORD users, else tokens).
 */
export async function respondPasswordVerifier(
  app: App,
  pool: UserPool,
  client: AppClient,
  responses: Record<string, string>,
): Promise<AuthOutcome> {
  const username = requireParam(responses, 'USERNAME');
  const secretBlock = requireParam(responses, 'PASSWORD_CLAIM_SECRET_BLOCK');
  const signature = requireParam(responses, 'PASSWORD_CLAIM_SIGNATURE');
  const timestamp = requireParam(responses, 'TIMESTAMP');
  const record = await findSession(app, app.store, client, secretBlock, 'PASSWORD_VERIFIER');
  const state = record.data;
  if (state.challenge !== 'PASSWORD_VERIFIER') throw incorrectCredentials();
  checkSecretHash(client, [username, state.userId], responses.SECRET_HASH);
  // An unknown DEVICE_KEY is refused before the SECRET_BLOCK is used up: clients resend the same answer without it.
  await checkSignInDevice(app, pool, record.usernameKey, responses.DEVICE_KEY || undefined);
  // One conditional statement: exactly one concurrent answer uses the SECRET_BLOCK up.
  await consumeSession(app, app.store, record);

  const A = BigInt(`0x${state.A}`);
  const B = BigInt(`0x${state.B}`);
  const b = BigInt(`0x${state.b}`);
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  if (state.simulated || !user || !user.srpVerifier) {
    // Spend the time a real proof takes, then fail as a wrong password does.
    serverSecretS(A, modPowN(g, b), scramblingU(A, B), b);
    throw incorrectCredentials();
  }
  if (username !== user.username && (await findUser(app.store, pool, username))?.usernameKey !== user.usernameKey) {
    throw incorrectCredentials();
  }
  checkUserCanSignIn(client, user);
  // Checked first, then counted (lockout.ts settleCheckedAttempt): the answer waits for the count,
  // so one statement does what beginAttempt and attemptSucceeded do around a password hash.
  refuseWhileLocked(app, user);

  const u = scramblingU(A, B);
  const when = parseSrpTimestamp(timestamp);
  let ok = u !== 0n && when !== null && Math.abs(when - app.clock.now()) <= TIMESTAMP_SKEW_MS;
  if (ok) {
    const K = sessionKey(serverSecretS(A, BigInt(`0x${user.srpVerifier}`), u, b), u);
    const expected = passwordClaimSignature(K, pool.id, state.userId, Buffer.from(secretBlock, 'base64'), timestamp);
    const given = Buffer.from(signature, 'base64');
    ok = given.length === expected.length && timingSafeEqual(given, expected);
  }
  if (!(await settleCheckedAttempt(app, app.store, user, ok))) throw incorrectCredentials();
  checkTemporaryPassword(app, user);
  const ctx = { deviceKey: responses.DEVICE_KEY || undefined, firstFactor: 'SRP' };
  if (state.custom) return afterCustomPassword(app, pool, client, user, state.custom, ctx);
  return finishSignIn(app, pool, client, user, ctx);
}
