import type { OutgoingMessage } from '../messages/messenger.ts';
import { deliverLog, type LogEnv } from './delivery.ts';

/**
 * userNotification records: one per email or SMS the Messenger hands on (INFO), and one per
 * refused delivery (ERROR, the level Cognito exports). Cognito's example message is only
 * `{"details": "..."}`; the other fields are Tobira's. Never the body, the code or the full
 * destination: the records leave the server.
 */
export function logNotification(env: LogEnv, m: OutgoingMessage, error?: string): void {
  const medium = m.channel === 'EMAIL' ? 'email' : 'SMS';
  const details = error ? `The ${medium} message could not be delivered: ${error}` : `The ${medium} message was handed over for delivery.`;
  void deliverLog(env, m.poolId, 'userNotification', error ? 'ERROR' : 'INFO', {
    details,
    deliveryMedium: m.channel,
    destination: mask(m.destination),
    messageKind: m.kind,
    ...(m.username !== undefined ? { userName: m.username } : {}),
  });
}

/** `a***@e***.com`, `+*******1234`: enough to tell messages apart, not to read the address. */
function mask(destination: string): string {
  const at = destination.indexOf('@');
  if (at > 0) {
    const domain = destination.slice(at + 1);
    const dot = domain.lastIndexOf('.');
    return `${destination[0]}***@${domain[0] ?? ''}***${dot >= 0 ? domain.slice(dot) : ''}`;
  }
  return `${'*'.repeat(Math.max(0, destination.length - 4))}${destination.slice(-4)}`;
}
