import type { App } from '../../app.ts';
import type { RiskLevelType } from '../../generated/cognito-idp.ts';
import type { User } from '../types.ts';

/**
 * Tobira's account-takeover signals. Cognito scores sign-ins with a model of its own that it
 * does not publish; Tobira counts three signals it can explain, each against the user's own
 * history of sign-ins:
 *
 * - a new address: no passed sign-in of this user came from this IP address;
 * - a new device: no passed sign-in came from this device (the DeviceId of the context-data
 *   fingerprint when the app sends one, else the User-Agent);
 * - a burst of failures: BURST_FAILURES or more failed sign-ins in the last BURST_WINDOW_MS.
 *
 * One signal is Low risk, two Medium, three High. A user without any passed sign-in yet has no
 * history to compare, so only the burst counts for them. Sign-ins marked Invalid by feedback do
 * not make their address or device known.
 */
export const BURST_FAILURES = 3;
export const BURST_WINDOW_MS = 15 * 60 * 1000;

export interface Signals {
  newIp: boolean;
  newDevice: boolean;
  failureBurst: boolean;
}

export async function signalsFor(app: App, user: User, ip: string, deviceKey: string): Promise<Signals> {
  const events = app.store.authEvents;
  const history = await events.anyPassedSignIn(user.poolId, user.usernameKey);
  const recent = await events.since(user.poolId, user.usernameKey, app.clock.now() - BURST_WINDOW_MS, 100);
  const failures = recent.filter((e) => e.eventType === 'SignIn' && e.response === 'Fail').length;
  return {
    newIp: history && !(await events.seen(user.poolId, user.usernameKey, 'ip', ip)),
    newDevice: history && !!deviceKey && !(await events.seen(user.poolId, user.usernameKey, 'device', deviceKey)),
    failureBurst: failures >= BURST_FAILURES,
  };
}

export function levelOf(s: Signals): RiskLevelType | undefined {
  const n = Number(s.newIp) + Number(s.newDevice) + Number(s.failureBurst);
  return n === 0 ? undefined : n === 1 ? 'Low' : n === 2 ? 'Medium' : 'High';
}
