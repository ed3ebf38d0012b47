import type { AuthenticationResponseJSON, AuthenticatorTransportFuture, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized, resourceNotFound, userNotFound } from '../../errors.ts';
import type { ListWebAuthnCredentialsResponse, StartWebAuthnRegistrationResponse } from '../../generated/cognito-idp.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { WebAuthnCredential } from '../../store/repos/webauthn.ts';
import { attemptSucceeded, beginAttempt } from '../sign-in/lockout.ts';
import { type AuthOutcome, requireParam } from '../sign-in/result.ts';
import { checkSecretHash } from '../sign-in/secret-hash.ts';
import { consumeSession, findSession, invalidSession, openSession, type UserAuthChallengeState } from '../sign-in/sessions.ts';
import { finishSignIn, type SignInContext } from '../sign-in/sign-in.ts';
import { checkUserCanSignIn } from '../sign-in/user-state.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { parseJsonObject } from '../../util/json.ts';
import { findUser } from '../users/users.ts';
import { originAllowed, passkeysAllowed, relyingPartyId, userVerificationOf } from './webauthn-config.ts';

/**
 * Passkeys: registration by a signed-in user (StartWebAuthnRegistration, then
 * CompleteWebAuthnRegistration with the browser's attestation), the user's list, deletion, and
 * the WEB_AUTHN sign-in challenge. Attestations and assertions are verified by
 * @simplewebauthn/server: the challenge, the origin (https on the relying party or a subdomain,
 * webauthn-config.ts), the RP ID hash, the signature, user verification when the pool requires it,
 * and the signature counter, which must grow for authenticators that keep one.
 */

/** The WebAuthn library, loaded on first use: it is large, and most servers never see a passkey. */
let library: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (library ??= import('@simplewebauthn/server'));

/** How long a StartWebAuthnRegistration challenge may be answered (Cognito publishes no figure). */
const REGISTRATION_TTL_MS = 5 * 60 * 1000;
/** The browser's timeout in the options we send. */
const CEREMONY_TIMEOUT_MS = 3 * 60 * 1000;
/** Passkeys per user ("20 passkeys per user", cognito-quotas-and-errors.md). */
const MAX_PER_USER = 20;
const DEFAULT_PAGE = 20;

/** The pending registration, kept with the user until answered. */
interface PendingRegistration {
  challenge: string;
  clientId: string;
  rpId: string;
  expiresAt: number;
}
const PENDING = 'webAuthnRegistration';

const notEnabled = () => new CognitoError('WebAuthnNotEnabledException', 'Passkey sign-in is not enabled for this user pool.');

function requireEnabled(pool: UserPool): void {
  if (!passkeysAllowed(pool)) throw notEnabled();
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/**
 * StartWebAuthnRegistration: PublicKeyCredentialCreationOptions (JSON form, binary values in
 * base64url) for the pool's relying party and this user (user.id is the sub's bytes), excluding
 * the passkeys already registered; a discoverable credential is asked for, and user verification
 * as the pool says. The challenge is kept with the user for CompleteWebAuthnRegistration; a new
 * Start replaces it.
 */
export async function startWebAuthnRegistration(app: App, pool: UserPool, client: AppClient, user: User): Promise<StartWebAuthnRegistrationResponse> {
  requireEnabled(pool);
  const rpId = await relyingPartyId(app, pool);
  const existing = await app.store.webauthn.ofUser(pool.id, user.usernameKey, MAX_PER_USER);
  if (existing.length >= MAX_PER_USER) throw new CognitoError('LimitExceededException', 'The user has reached the maximum number of passkeys.');
  const userName = user.attributes.email ?? user.username;
  const { generateRegistrationOptions } = await webauthn();
  const options = await generateRegistrationOptions({
    rpName: pool.name,
    rpID: rpId,
    userName,
    userDisplayName: userName,
    userID: new Uint8Array(Buffer.from(user.sub, 'utf8')),
    challenge: new Uint8Array(app.random.bytes(32)),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports as AuthenticatorTransportFuture[] })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: userVerificationOf(pool) },
  });
  const pending: PendingRegistration = { challenge: options.challenge, clientId: client.clientId, rpId, expiresAt: app.clock.now() + REGISTRATION_TTL_MS };
  await app.store.tx(async (s) => {
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (!fresh) throw userNotFound();
    fresh.data = { ...fresh.data, [PENDING]: pending };
    await s.users.update(fresh);
  });
  return { CredentialCreationOptions: options as unknown as Record<string, unknown> };
}

const challengeNotFound = () =>
  new CognitoError('WebAuthnChallengeNotFoundException', 'The challenge of StartWebAuthnRegistration was not found or has expired.');

/** The client's JSON of a PublicKeyCredential, checked enough to read it. */
function credentialJson(value: unknown, kind: 'attestation' | 'assertion'): Record<string, any> {
  const c = value as Record<string, any> | null;
  const ok =
    c !== null &&
    typeof c === 'object' &&
    !Array.isArray(c) &&
    typeof c.id === 'string' &&
    typeof c.rawId === 'string' &&
    c.type === 'public-key' &&
    typeof c.response === 'object' &&
    c.response !== null &&
    typeof c.response.clientDataJSON === 'string' &&
    (kind === 'attestation' ? typeof c.response.attestationObject === 'string' : typeof c.response.authenticatorData === 'string' && typeof c.response.signature === 'string');
  if (!ok) throw invalidParameter(`Credential is not a valid ${kind === 'attestation' ? 'RegistrationResponseJSON' : 'AuthenticationResponseJSON'}.`);
  return c;
}

/** The client data the browser signed over, or null when it is not readable JSON. */
function clientData(c: Record<string, any>): { type?: string; challenge?: string; origin?: string } | null {
  try {
    const data = parseJsonObject(Buffer.from(c.response.clientDataJSON, 'base64url').toString('utf8'));
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { type: str(data.type), challenge: str(data.challenge), origin: str(data.origin) };
  } catch {
    return null;
  }
}

const verificationFailed = (what: string, err: unknown) =>
  new CognitoError('WebAuthnCredentialNotSupportedException', `The ${what} could not be verified: ${(err as Error)?.message ?? 'invalid'}`);

/**
 * CompleteWebAuthnRegistration: the attestation (RegistrationResponseJSON) answering the pending
 * challenge, from the client that started it (WebAuthnClientMismatchException), from an origin
 * of the relying party (WebAuthnOriginNotAllowedException), for the relying party's ID
 * (WebAuthnRelyingPartyMismatchException); verified, it is stored and the challenge spent, in one
 * transaction.
 */
export async function completeWebAuthnRegistration(app: App, pool: UserPool, client: AppClient, user: User, credential: unknown): Promise<void> {
  requireEnabled(pool);
  const pending = user.data[PENDING] as PendingRegistration | undefined;
  if (!pending || pending.expiresAt <= app.clock.now()) throw challengeNotFound();
  if (pending.clientId !== client.clientId) {
    throw new CognitoError('WebAuthnClientMismatchException', 'The access token is for a different client than the one that started the registration.');
  }
  const c = credentialJson(credential, 'attestation');
  const data = clientData(c);
  if (!data || data.type !== 'webauthn.create') throw invalidParameter('Credential is not a valid RegistrationResponseJSON.');
  if (data.challenge !== pending.challenge) throw challengeNotFound();
  if (!data.origin || !originAllowed(data.origin, pending.rpId)) {
    throw new CognitoError('WebAuthnOriginNotAllowedException', "The passkey credential's registration origin does not align with the user pool relying party id.");
  }
  const required = userVerificationOf(pool) === 'required';
  const { verifyRegistrationResponse } = await webauthn();
  let info;
  try {
    const verified = await verifyRegistrationResponse({
      response: c as RegistrationResponseJSON,
      expectedChallenge: pending.challenge,
      expectedOrigin: data.origin,
      expectedRPID: pending.rpId,
      requireUserVerification: required,
    });
    if (!verified.verified) throw new Error('attestation not verified');
    info = verified.registrationInfo;
  } catch (err) {
    if (/RP ID/i.test((err as Error)?.message ?? '')) {
      throw new CognitoError('WebAuthnRelyingPartyMismatchException', 'The passkey credential is associated with a different relying party ID than the user pool relying party ID.');
    }
    throw verificationFailed('passkey registration', err);
  }
  const now = app.clock.now();
  const stored: WebAuthnCredential = {
    poolId: pool.id,
    credentialId: info.credential.id,
    usernameKey: user.usernameKey,
    publicKey: b64url(info.credential.publicKey),
    signCount: info.credential.counter,
    relyingPartyId: pending.rpId,
    friendlyName: friendlyName(c),
    attachment: typeof c.authenticatorAttachment === 'string' ? c.authenticatorAttachment : null,
    transports: Array.isArray(c.response.transports) ? c.response.transports.filter((t: unknown) => typeof t === 'string') : [],
    createdAt: now,
    lastUsedAt: null,
  };
  try {
    await app.store.tx(async (s) => {
      const fresh = await s.users.get(pool.id, user.usernameKey);
      if (!fresh) throw userNotFound();
      const still = fresh.data[PENDING] as PendingRegistration | undefined;
      if (!still || still.challenge !== pending.challenge) throw challengeNotFound();
      if ((await s.webauthn.countOfUser(pool.id, user.usernameKey)) >= MAX_PER_USER) {
        throw new CognitoError('LimitExceededException', 'The user has reached the maximum number of passkeys.');
      }
      const { [PENDING]: _spent, ...rest } = fresh.data;
      fresh.data = rest;
      await s.users.update(fresh);
      await s.webauthn.insert(stored);
    });
  } catch (err) {
    if (err instanceof UniqueViolation) throw invalidParameter('This passkey credential is already registered.');
    throw err;
  }
}

/** Cognito names a passkey after its provider; Tobira knows none, so after the kind of authenticator. */
function friendlyName(c: Record<string, any>): string {
  return c.authenticatorAttachment === 'cross-platform' ? 'Security key' : 'Passkey';
}

/** ListWebAuthnCredentials: the user's passkeys in registration order, MaxResults (default 20) a page. */
export async function listWebAuthnCredentials(app: App, pool: UserPool, user: User, maxResults?: number, nextToken?: string): Promise<ListWebAuthnCredentialsResponse> {
  const limit = maxResults || DEFAULT_PAGE;
  let after: { createdAt: number; credentialId: string } | undefined;
  if (nextToken) {
    const m = /^(\d{1,16})\.([A-Za-z0-9_-]{1,1024})$/.exec(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!m) throw invalidParameter('Invalid NextToken.');
    after = { createdAt: Number(m[1]), credentialId: m[2] };
  }
  const rows = await app.store.webauthn.ofUser(pool.id, user.usernameKey, limit + 1, after);
  const page = rows.slice(0, limit);
  const out: ListWebAuthnCredentialsResponse = {
    Credentials: page.map((c) => ({
      CredentialId: c.credentialId,
      FriendlyCredentialName: c.friendlyName,
      RelyingPartyId: c.relyingPartyId,
      ...(c.attachment ? { AuthenticatorAttachment: c.attachment } : {}),
      AuthenticatorTransports: c.transports,
      CreatedAt: c.createdAt / 1000,
    })),
  };
  if (rows.length > limit) {
    const last = page[page.length - 1];
    out.NextToken = Buffer.from(`${last.createdAt}.${last.credentialId}`, 'utf8').toString('base64url');
  }
  return out;
}

/** DeleteWebAuthnCredential: one of the user's passkeys; another's, or none, is ResourceNotFoundException. */
export async function deleteWebAuthnCredential(app: App, pool: UserPool, user: User, credentialId: string): Promise<void> {
  const gone = await app.store.tx((s) => s.webauthn.delete(pool.id, user.usernameKey, credentialId));
  if (!gone) throw resourceNotFound('Credential not found.');
}

/**
 * The WEB_AUTHN challenge: CREDENTIAL_REQUEST_OPTIONS, a JSON string of
 * PublicKeyCredentialRequestOptions naming the user's passkeys, which Amplify passes to
 * navigator.credentials.get (handleWebAuthnSignInResult). The challenge is kept in the session.
 */
export async function webAuthnChallenge(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext): Promise<AuthOutcome> {
  const rpId = await relyingPartyId(app, pool);
  const creds = await app.store.webauthn.ofUser(pool.id, user.usernameKey, MAX_PER_USER);
  const { generateAuthenticationOptions } = await webauthn();
  const options = await generateAuthenticationOptions({
    rpID: rpId,
    allowCredentials: creds.map((c) => ({ id: c.credentialId, transports: c.transports as AuthenticatorTransportFuture[] })),
    challenge: new Uint8Array(app.random.bytes(32)),
    timeout: CEREMONY_TIMEOUT_MS,
    userVerification: userVerificationOf(pool),
  });
  const state: UserAuthChallengeState = { challenge: 'WEB_AUTHN', ctx, expectedChallenge: options.challenge, rpId };
  const session = await openSession(app, app.store, { pool, client, usernameKey: user.usernameKey, state });
  return { ChallengeName: 'WEB_AUTHN', Session: session, ChallengeParameters: { CREDENTIAL_REQUEST_OPTIONS: JSON.stringify(options) } };
}

/** A refused assertion. RespondToAuthChallenge lists no WebAuthn errors, so NotAuthorizedException. */
const assertionRefused = (why: string) => notAuthorized(`Passkey authentication failed: ${why}.`);

/**
 * RespondToAuthChallenge WEB_AUTHN: CREDENTIAL, the AuthenticationResponseJSON of
 * navigator.credentials.get. The credential must be one of this user's passkeys, the client data
 * must carry the session's challenge and an origin of the relying party, and the signature,
 * RP ID hash, user verification (when the pool requires it) and counter must check out. The
 * session is spent and the new counter stored in one transaction (a counter another sign-in
 * moved meanwhile fails this one). Failures count toward the user's lockout.
 */
export async function respondWebAuthn(
  app: App,
  pool: UserPool,
  client: AppClient,
  responses: Record<string, string>,
  token: string | undefined,
): Promise<AuthOutcome> {
  const record = await findSession(app, app.store, client, token, 'WEB_AUTHN');
  const state = record.data as Extract<UserAuthChallengeState, { challenge: 'WEB_AUTHN' }>;
  const username = requireParam(responses, 'USERNAME');
  const raw = requireParam(responses, 'CREDENTIAL');
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  checkSecretHash(client, [username, user?.username ?? username], responses.SECRET_HASH);
  if (!user || state.simulated) throw assertionRefused('unknown credential');
  if (username !== user.username && (await findUser(app.store, pool, username))?.usernameKey !== user.usernameKey) throw invalidSession();
  checkUserCanSignIn(client, user, { passwordless: true });
  let parsed: unknown;
  try {
    parsed = parseJsonObject(raw);
  } catch {
    throw invalidParameter('CREDENTIAL is not valid JSON.');
  }
  const c = credentialJson(parsed, 'assertion');
  await beginAttempt(app, app.store, user);
  const stored = await app.store.webauthn.get(pool.id, c.id);
  if (!stored || stored.usernameKey !== user.usernameKey) throw assertionRefused('the credential is not registered for this user');
  const data = clientData(c);
  if (!data || data.type !== 'webauthn.get' || data.challenge !== state.expectedChallenge) throw assertionRefused('the challenge does not match');
  if (!data.origin || !originAllowed(data.origin, state.rpId)) throw assertionRefused('the origin is not allowed for the relying party');
  const { verifyAuthenticationResponse } = await webauthn();
  let info;
  try {
    const verified = await verifyAuthenticationResponse({
      response: c as AuthenticationResponseJSON,
      expectedChallenge: state.expectedChallenge,
      expectedOrigin: data.origin,
      expectedRPID: state.rpId,
      credential: {
        id: stored.credentialId,
        publicKey: new Uint8Array(Buffer.from(stored.publicKey, 'base64url')),
        counter: stored.signCount,
        transports: stored.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: userVerificationOf(pool) === 'required',
    });
    if (!verified.verified) throw new Error('signature not verified');
    info = verified.authenticationInfo;
  } catch (err) {
    throw assertionRefused(((err as Error)?.message ?? 'invalid assertion').replace(/\.$/, ''));
  }
  await app.store.tx(async (s) => {
    await consumeSession(app, s, record);
    if (!(await s.webauthn.recordUse(pool.id, stored.credentialId, stored.signCount, info.newCounter, app.clock.now()))) {
      throw assertionRefused('the signature counter moved');
    }
  });
  await attemptSucceeded(app.store, user);
  return finishSignIn(app, pool, client, user, { ...state.ctx, firstFactor: 'WEB_AUTHN' });
}
