import { createHash, createHmac } from 'node:crypto';
import type { App } from '../../app.ts';
import { notAuthorized } from '../../errors.ts';
import type { AuthSessionRecord } from '../../store/repos/sessions.ts';
import type { Store } from '../../store/store.ts';
import { authSessionValiditySeconds } from '../pools/app-clients.ts';
import type { AppClient, UserPool } from '../types.ts';
import type { SignInContext } from './sign-in.ts';

/**
 * The state of a sign-in between two steps. Kept in the store (auth_sessions) under the SHA-256
 * of the opaque string the client holds, so it survives a restart, is seen by every node, and a
 * copy of the database does not hand out live sessions.
 */
export type ChallengeState =
  | { challenge: 'NEW_PASSWORD_REQUIRED'; ctx?: SignInContext }
  | MfaChallengeState
  | UserAuthChallengeState
  | CustomChallengeState
  | {
      challenge: 'PASSWORD_VERIFIER';
      /** The internal username the proof is computed with (USER_ID_FOR_SRP). */
      userId: string;
      /** Hex of the server's ephemeral secret b and of the client's A and our B. */
      b: string;
      A: string;
      B: string;
      /** An unknown user answered with a simulated challenge (PreventUserExistenceErrors). */
      simulated?: boolean;
      /** Inside CUSTOM_AUTH (SRP_A first): the rounds so far, DefineAuthChallenge is asked again after the proof. */
      custom?: CustomAuthProgress;
    }
  | {
      challenge: 'DEVICE_SRP_AUTH';
      deviceKey: string;
      /** Whether passing the device check stands in for MFA (remembered device, pool allows it). */
      skipsMfa: boolean;
      ctx: SignInContext;
    }
  | {
      challenge: 'DEVICE_PASSWORD_VERIFIER';
      deviceKey: string;
      skipsMfa: boolean;
      ctx: SignInContext;
      /** Hex of the server's ephemeral secret b, of the client's A and our B; the SECRET_BLOCK sent. */
      b: string;
      A: string;
      B: string;
      secretBlock: string;
    };

/** The MFA challenges after the first factor (domain/mfa/challenges.ts). */
export type MfaChallengeState =
  | {
      challenge: 'SMS_MFA' | 'EMAIL_OTP';
      ctx?: SignInContext;
      /** Salted SHA-256 of the code sent (domain/mfa/challenges.ts); the code itself is never stored. */
      codeHash: string;
      salt: string;
      /** MFA_SETUP by email: the address given, which becomes the user's (verified) with email MFA on. */
      setupEmail?: string;
    }
  | { challenge: 'SOFTWARE_TOKEN_MFA'; ctx?: SignInContext }
  | { challenge: 'SELECT_MFA_TYPE'; ctx?: SignInContext; choices: string[] }
  /** `verified` once VerifySoftwareToken succeeded with this session's predecessor. */
  | { challenge: 'MFA_SETUP'; ctx?: SignInContext; verified?: boolean };

/**
 * USER_AUTH's first-factor steps (domain/mfa/user-auth.ts, webauthn.ts). `simulated`: an unknown
 * user answered as if it existed (PreventUserExistenceErrors), whose every answer fails.
 */
export type UserAuthChallengeState =
  | { challenge: 'SELECT_CHALLENGE'; ctx?: SignInContext; available: string[]; simulated?: boolean }
  /** A passwordless code was sent (EMAIL_OTP or SMS_OTP); the code lives in the code store. */
  | { challenge: 'USER_AUTH_OTP'; factor: 'EMAIL_OTP' | 'SMS_OTP'; ctx?: SignInContext; simulated?: boolean }
  /** CREDENTIAL_REQUEST_OPTIONS were sent with this base64url challenge, for this relying party. */
  | { challenge: 'WEB_AUTHN'; ctx?: SignInContext; expectedChallenge: string; rpId: string; simulated?: boolean }
  /** ConfirmSignUp's Session: the sign-up code stands for the first factor of one USER_AUTH sign-in. */
  | { challenge: 'SIGN_UP_CONFIRMED'; factor: 'EMAIL_OTP' | 'SMS_OTP' };

/** One element of DefineAuthChallenge's `request.session` (domain/triggers/custom-auth.ts). */
export interface ChallengeResult {
  challengeName: string;
  challengeResult: boolean;
  challengeMetadata: string | null;
}

/** A CUSTOM_AUTH sign-in between rounds (domain/sign-in/custom-auth.ts). */
export type CustomAuthProgress = {
  /** The userName the triggers see: the internal username, or what was typed for an unknown user. */
  userName: string;
  /** PreventUserExistenceErrors ENABLED and no such user: the triggers are told, tokens never issued. */
  userNotFound?: boolean;
  rounds: ChallengeResult[];
  ctx?: SignInContext;
};

/** A CUSTOM_CHALLENGE was sent; CreateAuthChallenge's private parameters wait for the answer. */
export type CustomChallengeState = {
  challenge: 'CUSTOM_CHALLENGE';
  privateChallengeParameters: Record<string, string>;
  challengeMetadata: string | null;
} & CustomAuthProgress;

export type StoredSession = AuthSessionRecord & { data: ChallengeState };

export const sessionId = (session: string) => createHash('sha256').update(session, 'utf8').digest('hex');

// Cognito's texts (cognito-protocols.md §6.1, observed).
export const invalidSession = () => notAuthorized('Invalid session for the user.');
const expiredSession = () => notAuthorized('Invalid session for the user, session is expired.');
const usedSession = () => notAuthorized('Invalid session for the user, session can only be used once.');

/**
 * Opens a challenge session for the client's AuthSessionValidity and returns the string the
 * client holds: `token` when given (the SRP flow uses its SECRET_BLOCK), else a new random one.
 */
export async function openSession(
  app: App,
  store: Store,
  args: { pool: UserPool; client: AppClient; usernameKey: string | null; state: ChallengeState; token?: string },
): Promise<string> {
  // Unguessable and within the model's 20..2048 characters. The fixed prefix (Cognito's sessions
  // start with "AYAB" too) keeps it from starting with "-", which the AWS CLI would read as an option.
  const token = args.token ?? `AYAB${app.random.bytes(96).toString('base64url')}`;
  const now = app.clock.now();
  // One insert: a transaction of its own would add nothing but its cost.
  await store.sessions.insert({
    id: sessionId(token),
    poolId: args.pool.id,
    clientId: args.client.clientId,
    usernameKey: args.usernameKey,
    data: args.state,
    expiresAt: now + authSessionValiditySeconds(args.client) * 1000,
    createdAt: now,
    consumedAt: null,
  });
  return token;
}

/**
 * The live session `token` of this client for the named challenge, without using it up; or
 * NotAuthorizedException with Cognito's text for a garbage, foreign, expired or used session.
 */
export async function findSession(app: App, store: Store, client: AppClient, token: string | undefined, challenge: string): Promise<StoredSession> {
  if (!token) throw invalidSession();
  const record = await store.sessions.get(sessionId(token));
  if (!record || record.clientId !== client.clientId || record.poolId !== client.poolId) throw invalidSession();
  if ((record.data as ChallengeState).challenge !== challenge) throw invalidSession();
  if (record.consumedAt !== null) throw usedSession();
  if (record.expiresAt <= app.clock.now()) throw expiredSession();
  return record as StoredSession;
}

/**
 * Uses the session up, inside the caller's transaction or alone (one conditional statement);
 * exactly one concurrent caller wins.
 */
export async function consumeSession(app: App, s: Store, record: AuthSessionRecord): Promise<void> {
  if (await s.sessions.consume(record.id, app.clock.now())) return;
  const now = await s.sessions.get(record.id);
  if (now && now.consumedAt === null) throw expiredSession();
  throw usedSession();
}

const simulationKeys = new Map<string, Buffer>();

/**
 * A pool's secret key for answering unknown users as if they existed (stable simulated SALT,
 * USER_ID_FOR_SRP), shared by every node through the store and cached: it never changes.
 */
export async function simulationKey(app: App, store: Store, poolId: string): Promise<Buffer> {
  let key = simulationKeys.get(poolId);
  if (!key) {
    const secret = await store.sessions.poolSecret(poolId, 'user-simulation', app.random.bytes(32).toString('hex'), app.clock.now());
    key = Buffer.from(secret, 'hex');
    simulationKeys.set(poolId, key);
  }
  return key;
}

/** A value derived from the simulation key, stable per (pool, purpose, name). */
export function simulatedValue(key: Buffer, purpose: string, name: string): Buffer {
  return createHmac('sha256', key).update(`${purpose}\0${name}`, 'utf8').digest();
}
