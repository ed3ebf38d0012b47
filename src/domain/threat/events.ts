import { createHash, timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized } from '../../errors.ts';
import type { AuthEventType, EventType, FeedbackValueType, RiskDecisionType, RiskLevelType } from '../../generated/cognito-idp.ts';
import type { StoredAuthEvent } from '../../store/repos/auth-events.ts';
import { uuid } from '../../util/ids.ts';
import { deliverLog } from '../logs/delivery.ts';
import { getPool } from '../pools/user-pools.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { requireUser } from '../users/users.ts';
import { requireAddOn, securityMode } from './config.ts';
import { deviceOf, effectiveIp, type RequestOrigin } from './origin.ts';

/** What threat protection concluded about one event (EventRiskType). */
export interface RiskAssessment {
  decision: RiskDecisionType;
  level?: RiskLevelType;
  compromised: boolean;
}

export const NO_RISK: RiskAssessment = { decision: 'NoRisk', compromised: false };

export const riskOf = (r: RiskAssessment) => ({
  RiskDecision: r.decision,
  ...(r.level ? { RiskLevel: r.level } : {}),
  CompromisedCredentialsDetected: r.compromised,
});

/**
 * A new event of this user, with the request's address and device (origin.ts). Without an origin
 * (the hosted UI's sign-up and password-reset pages give none) the event has neither.
 */
export function newEvent(
  app: App,
  pool: UserPool,
  user: User,
  o: { type: EventType; client?: AppClient; risk?: RiskAssessment; origin: RequestOrigin | undefined },
): StoredAuthEvent {
  const { origin } = o;
  const now = app.clock.now();
  const ip = origin ? effectiveIp(origin, o.client) : null;
  const device = origin ? deviceOf(origin) : undefined;
  return {
    poolId: pool.id,
    eventId: uuid(app.random),
    usernameKey: user.usernameKey,
    clientId: o.client?.clientId ?? null,
    eventType: o.type,
    response: 'InProgress',
    risk: riskOf(o.risk ?? NO_RISK),
    challenges: [],
    context: {
      ...(ip ? { IpAddress: ip } : {}),
      ...(device ? { DeviceName: device.deviceName } : {}),
      ...(device?.timezone ? { Timezone: device.timezone } : {}),
      ...(origin?.requestId ? { requestId: origin.requestId } : {}),
      ...(origin?.encodedData ? { hasContextData: 'true' } : {}),
    },
    ip,
    device: device?.key || null,
    feedback: null,
    feedbackTokenHash: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Stores the event (new or updated) and exports it as a userAuthEvents record (domain/logs/).
 * Recording must never fail what it records: errors are logged and swallowed.
 */
export async function saveEvent(app: App, pool: UserPool, user: User, e: StoredAuthEvent): Promise<void> {
  try {
    e.updatedAt = app.clock.now();
    await app.store.authEvents.put(e);
    if (e.response !== 'InProgress') app.metrics.authEvent(e.eventType, e.response, e.risk.RiskDecision);
    // Not awaited: a slow webhook must not slow the sign-in (deliverLog never throws).
    void deliverLog(app, pool.id, 'userAuthEvents', 'INFO', activityRecord(pool, user, { ...e }));
  } catch (err) {
    app.log.warn({ poolId: pool.id, eventType: e.eventType, err: (err as Error).message }, 'could not record the authentication event');
  }
}

/**
 * A non-sign-in event (SignUp, ForgotPassword, PasswordChange, ResendCode) of a pool with threat
 * protection on, recorded as passed once the operation has done its work.
 */
export async function recordUserEvent(
  app: App,
  pool: UserPool,
  user: User,
  o: { type: EventType; client?: AppClient; compromised?: boolean; origin: RequestOrigin | undefined },
): Promise<void> {
  if (securityMode(pool) === 'OFF') return;
  const e = newEvent(app, pool, user, { type: o.type, client: o.client, risk: { ...NO_RISK, compromised: !!o.compromised }, origin: o.origin });
  e.response = 'Pass';
  await saveEvent(app, pool, user, e);
}

/** The wire shape of AdminListUserAuthEvents. */
export function toAuthEventType(e: StoredAuthEvent): AuthEventType {
  const { IpAddress, DeviceName, Timezone, City, Country } = e.context;
  const context = Object.fromEntries(Object.entries({ IpAddress, DeviceName, Timezone, City, Country }).filter(([, v]) => v !== undefined));
  return {
    EventId: e.eventId,
    EventType: e.eventType as EventType,
    CreationDate: e.createdAt / 1000,
    EventResponse: e.response as AuthEventType['EventResponse'],
    EventRisk: e.risk as AuthEventType['EventRisk'],
    ChallengeResponses: e.challenges as AuthEventType['ChallengeResponses'],
    EventContextData: context,
    ...(e.feedback ? { EventFeedback: { ...e.feedback, FeedbackDate: e.feedback.FeedbackDate / 1000 } as AuthEventType['EventFeedback'] } : {}),
  };
}

/** The USER_ACTIVITY record of Cognito's log export example (every value a string, as there). */
function activityRecord(pool: UserPool, user: User, e: StoredAuthEvent): Record<string, unknown> {
  const decision = (e.risk.RiskDecision as string | undefined) ?? 'NoRisk';
  return {
    version: '1',
    eventId: e.eventId,
    eventType: e.eventType,
    userSub: user.sub,
    userName: user.username,
    userPoolId: pool.id,
    clientId: e.clientId ?? '',
    creationDate: new Date(e.createdAt).toUTCString(),
    eventResponse: e.response,
    riskLevel: (e.risk.RiskLevel as string | undefined) ?? '',
    // The example shows "PASS" for an event without risk; the other values are guessed.
    riskDecision: decision === 'NoRisk' ? 'PASS' : decision === 'AccountTakeover' ? 'ACCOUNT_TAKEOVER' : 'BLOCK',
    challenges: e.challenges,
    deviceName: e.context.DeviceName ?? '',
    ipAddress: e.context.IpAddress ?? '',
    requestId: e.context.requestId ?? '',
    idpName: '',
    compromisedCredentialDetected: String(e.risk.CompromisedCredentialsDetected === true),
    city: e.context.City ?? '',
    country: e.context.Country ?? '',
    eventFeedbackValue: e.feedback?.FeedbackValue ?? '',
    eventFeedbackDate: e.feedback ? new Date(e.feedback.FeedbackDate).toUTCString() : '',
    eventFeedbackProvider: e.feedback?.Provider ?? '',
    hasContextData: e.context.hasContextData ?? 'false',
  };
}

/** The NextToken of AdminListUserAuthEvents: `<eventId>#<ISO date>`, as Cognito's look. */
const pageToken = (e: StoredAuthEvent) => `${e.eventId}#${new Date(e.createdAt).toISOString()}`;

function readPageToken(token: string): { createdAt: number; eventId: string } {
  const hash = token.lastIndexOf('#');
  const createdAt = hash > 0 ? Date.parse(token.slice(hash + 1)) : NaN;
  // guessed: the text for a bad pagination token of this operation has not been seen.
  if (!Number.isFinite(createdAt)) throw invalidParameter('Invalid pagination token.');
  return { createdAt, eventId: token.slice(0, hash) };
}

/** AdminListUserAuthEvents: newest first, 60 a page by default (0 means the default, as documented). */
export async function listUserAuthEvents(
  app: App,
  poolId: string,
  username: string,
  maxResults?: number,
  nextToken?: string,
): Promise<{ AuthEvents: AuthEventType[]; NextToken?: string }> {
  const pool = await getPool(app.store, poolId);
  requireAddOn(pool);
  const user = await requireUser(app.store, pool, username);
  const limit = !maxResults ? 60 : maxResults;
  const rows = await app.store.authEvents.page(pool.id, user.usernameKey, limit + 1, nextToken ? readPageToken(nextToken) : undefined);
  const page = rows.slice(0, limit);
  return { AuthEvents: page.map(toAuthEventType), ...(rows.length > limit ? { NextToken: pageToken(page[page.length - 1]) } : {}) };
}

export const feedbackTokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * AdminUpdateAuthEventFeedback (provider "Admin") and UpdateAuthEventFeedback (provider "User",
 * with the FeedbackToken of the notification email; both provider names guessed). An event
 * marked Invalid no longer makes its address or device known to the risk signals (risk.ts).
 */
export async function updateAuthEventFeedback(
  app: App,
  input: { UserPoolId: string; Username: string; EventId: string; FeedbackValue: FeedbackValueType; FeedbackToken?: string },
): Promise<void> {
  const pool = await getPool(app.store, input.UserPoolId);
  requireAddOn(pool);
  const user = await requireUser(app.store, pool, input.Username);
  const event = await app.store.authEvents.get(pool.id, input.EventId);
  // guessed: Cognito's text for an unknown event id has not been seen.
  if (!event || event.usernameKey !== user.usernameKey) throw new CognitoError('ResourceNotFoundException', 'Auth event not found.');
  if (input.FeedbackToken !== undefined) {
    const given = Buffer.from(feedbackTokenHash(input.FeedbackToken), 'hex');
    const stored = event.feedbackTokenHash ? Buffer.from(event.feedbackTokenHash, 'hex') : Buffer.alloc(given.length);
    // guessed: the text for a wrong feedback token has not been seen.
    if (!event.feedbackTokenHash || stored.length !== given.length || !timingSafeEqual(stored, given)) throw notAuthorized('Invalid feedback token.');
  }
  event.feedback = { FeedbackValue: input.FeedbackValue, Provider: input.FeedbackToken !== undefined ? 'User' : 'Admin', FeedbackDate: app.clock.now() };
  await app.store.tx((s) => s.authEvents.put({ ...event, updatedAt: app.clock.now() }));
  void deliverLog(app, pool.id, 'userAuthEvents', 'INFO', activityRecord(pool, user, event));
}
