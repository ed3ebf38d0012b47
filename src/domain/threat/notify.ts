import type { App } from '../../app.ts';
import type { AccountTakeoverEventActionType, NotifyConfigurationType, NotifyEmailType } from '../../generated/cognito-idp.ts';
import type { StoredAuthEvent } from '../../store/repos/auth-events.ts';
import type { User, UserPool } from '../types.ts';

/**
 * The adaptive-authentication notification email (AccountTakeoverRiskConfiguration's
 * NotifyConfiguration): BlockEmail when the sign-in was blocked, MfaEmail when it was asked for
 * MFA, NoActionEmail otherwise, with Cognito's placeholders ({username}, {ip-address}, {city},
 * {country}, {login-time}, {device-name}, {event-id}, {feedback-token}, {one-click-link-valid},
 * {one-click-link-invalid}). The one-click links go to Tobira's own feedback page
 * (http/auth-event-feedback.ts), which calls UpdateAuthEventFeedback with the token.
 */

// The BlockEmail default is the console's text as CloudFormation examples reproduce it; the
// other two follow it (guessed).
const DEFAULTS: Record<'block' | 'mfa' | 'noAction', NotifyEmailType> = {
  block: {
    Subject: 'Blocked sign-in attempt',
    TextBody:
      'We blocked an unrecognized sign-in to your account with this information:\nTime: {login-time}\nDevice: {device-name}\nLocation: {city}, {country}\n' +
      'If this sign-in was not by you, you should change your password and notify us by clicking on {one-click-link-invalid}\n' +
      'If this sign-in was by you, you can follow {one-click-link-valid} to let us know',
  },
  mfa: {
    Subject: 'New sign-in attempt',
    TextBody:
      'We required you to use multi-factor authentication for the following sign-in attempt:\nTime: {login-time}\nDevice: {device-name}\nLocation: {city}, {country}\n' +
      'If this sign-in was not by you, you should change your password and notify us by clicking on {one-click-link-invalid}\n' +
      'If this sign-in was by you, you can follow {one-click-link-valid} to let us know',
  },
  noAction: {
    Subject: 'New sign-in attempt',
    TextBody:
      'We observed an unrecognized sign-in to your account with this information:\nTime: {login-time}\nDevice: {device-name}\nLocation: {city}, {country}\n' +
      'If this sign-in was not by you, you should change your password and notify us by clicking on {one-click-link-invalid}\n' +
      'If this sign-in was by you, you can follow {one-click-link-valid} to let us know',
  },
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function feedbackLink(app: App, pool: UserPool, user: User, event: StoredAuthEvent, token: string, value: 'Valid' | 'Invalid'): string {
  const url = new URL('/_tobira/auth-event-feedback', app.publicUrl());
  url.searchParams.set('user_pool_id', pool.id);
  url.searchParams.set('username', user.username);
  url.searchParams.set('event_id', event.eventId);
  url.searchParams.set('feedback_token', token);
  url.searchParams.set('feedback_value', value);
  return url.toString();
}

/** Sends the notification through the Messenger; a failure is logged, never answered (the sign-in goes on). */
export async function sendRiskNotification(
  app: App,
  pool: UserPool,
  user: User,
  event: StoredAuthEvent,
  o: { action: AccountTakeoverEventActionType; config: NotifyConfigurationType; token: string },
): Promise<void> {
  const to = user.attributes.email;
  if (!to) return;
  const kind = o.action === 'BLOCK' ? 'block' : o.action === 'NO_ACTION' ? 'noAction' : 'mfa';
  const template = (kind === 'block' ? o.config.BlockEmail : kind === 'mfa' ? o.config.MfaEmail : o.config.NoActionEmail) ?? DEFAULTS[kind];
  const values: Record<string, string> = {
    '{username}': user.username,
    '{ip-address}': event.context.IpAddress ?? '',
    '{city}': event.context.City ?? 'Unknown',
    '{country}': event.context.Country ?? 'Unknown',
    '{login-time}': new Date(event.createdAt).toUTCString(),
    '{device-name}': event.context.DeviceName ?? 'Other, Other',
    '{event-id}': event.eventId,
    '{feedback-token}': o.token,
    '{one-click-link-valid}': feedbackLink(app, pool, user, event, o.token, 'Valid'),
    '{one-click-link-invalid}': feedbackLink(app, pool, user, event, o.token, 'Invalid'),
  };
  const fill = (text: string, html: boolean) =>
    Object.entries(values).reduce((t, [k, v]) => t.replaceAll(k, html ? escapeHtml(v) : v), text);
  const body = template.HtmlBody ? fill(template.HtmlBody, true) : fill(template.TextBody ?? DEFAULTS[kind].TextBody!, false);
  try {
    await app.messenger.send({
      poolId: pool.id,
      channel: 'EMAIL',
      destination: to,
      subject: fill(template.Subject, false),
      body,
      kind: 'risk-notification',
      username: user.username,
    });
  } catch (err) {
    app.log.warn({ poolId: pool.id, err: (err as Error).message }, 'could not send the risk notification');
  }
}
