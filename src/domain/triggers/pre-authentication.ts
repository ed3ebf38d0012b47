import type { App } from '../../app.ts';
import type { User, UserPool } from '../types.ts';
import { clientMetadataOf, eventUserAttributes, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * PreAuthentication_Authentication: when a sign-in starts (InitiateAuth / AdminInitiateAuth with
 * a password or SRP), before the password is checked. InitiateAuth's ClientMetadata arrives as
 * `validationData` (developer guide, "Pre authentication Lambda trigger"). It does not run for
 * an unknown user unless the client has PreventUserExistenceErrors ENABLED (then
 * `userNotFound: true`), nor when tokens are refreshed.
 */
export async function preAuthentication(
  app: App,
  pool: UserPool,
  a: { user: User | null; userName: string; clientId: string; clientMetadata?: Record<string, string> },
): Promise<void> {
  const fn = triggerFunction(pool, 'PreAuthentication');
  if (!fn) return;
  const request: Record<string, unknown> = {
    userAttributes: a.user ? eventUserAttributes(a.user) : {},
    validationData: clientMetadataOf(a.clientMetadata) ?? null,
  };
  if (!a.user) request.userNotFound = true;
  const event = triggerEvent(pool, {
    triggerSource: 'PreAuthentication_Authentication',
    userName: a.user?.username ?? a.userName,
    clientId: a.clientId,
    request,
    response: {},
  });
  await invokeTrigger(app, 'PreAuthentication', fn, event);
}
