import type { App } from '../../app.ts';
import type { User, UserPool } from '../types.ts';
import { clientMetadataOf, eventUserAttributes, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * PostAuthentication_Authentication: after the last challenge is answered, before tokens are
 * issued; a function that throws means no tokens. ClientMetadata reaches it only from
 * (Admin)RespondToAuthChallenge. `newDeviceUsed` only on pools that track devices.
 */
export async function postAuthentication(
  app: App,
  pool: UserPool,
  a: { user: User; clientId: string; clientMetadata?: Record<string, string>; newDeviceUsed?: boolean },
): Promise<void> {
  const fn = triggerFunction(pool, 'PostAuthentication');
  if (!fn) return;
  const event = triggerEvent(pool, {
    triggerSource: 'PostAuthentication_Authentication',
    userName: a.user.username,
    clientId: a.clientId,
    request: {
      userAttributes: eventUserAttributes(a.user),
      ...(a.newDeviceUsed !== undefined ? { newDeviceUsed: a.newDeviceUsed } : {}),
      ...(clientMetadataOf(a.clientMetadata) ? { clientMetadata: a.clientMetadata } : {}),
    },
    response: {},
  });
  await invokeTrigger(app, 'PostAuthentication', fn, event);
}
