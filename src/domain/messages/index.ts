import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import { CognitoError } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import type { Messenger, OutgoingMessage } from './messenger.ts';
import { SmsWebhookTarget } from './sms-webhook.ts';
import { SmtpTarget } from './smtp.ts';
import { logNotification } from '../logs/notifications.ts';

export type { Messenger, OutgoingMessage } from './messenger.ts';
export { renderAuthentication, renderInvitation, renderVerification } from './templates.ts';

// Cognito's text for a failed email (observed: amazon-archives/amazon-cognito-identity-js#307).
// The SMS text is ours: no real one was found.
const EMAIL_FAILURE = 'Invalid email provided/Unable to send the email';
const SMS_FAILURE = 'Invalid phone number provided/Unable to send the SMS';

/** How many of the newest messages the outbox keeps. */
export const OUTBOX_KEEP = 10_000;

/**
 * Builds the Messenger the configuration asks for. Every message is kept in the outbox when in
 * development mode, or when no real target exists for its channel (so nothing vanishes); emails
 * go through SMTP when configured, SMS through the webhook when configured. One log line per
 * message; its code only in development mode.
 */
export function createMessenger(config: Config, store: Store, log: Logger, clock: Clock = systemClock): Messenger {
  const smtp = config.smtp ? new SmtpTarget(config.smtp) : null;
  const sms = config.smsWebhookUrl ? new SmsWebhookTarget(config.smsWebhookUrl) : null;
  let appended = 0;

  return {
    async send(m: OutgoingMessage) {
      const target = m.channel === 'EMAIL' ? smtp : sms;
      const id = randomUUID();
      if (config.devMode || !target) {
        await store.outbox.append({
          id,
          poolId: m.poolId,
          channel: m.channel,
          destination: m.destination,
          subject: m.subject ?? null,
          body: m.body,
          data: {
            kind: m.kind,
            ...(m.username !== undefined ? { username: m.username } : {}),
            ...(m.code !== undefined ? { code: m.code } : {}),
            delivery: target ? 'pending' : 'outbox',
          },
          createdAt: clock.now(),
        });
        // Keep the outbox bounded: every 500 messages this process keeps, drop all but the newest OUTBOX_KEEP.
        if (++appended % 500 === 0) await store.outbox.keepNewest(OUTBOX_KEEP);
      }
      const line = { messageId: id, channel: m.channel, to: m.destination, kind: m.kind, poolId: m.poolId, username: m.username };
      // Never a code or a temporary password in the log, even in development mode: logs get
      // shipped and kept. The outbox (operator-only: `tobira outbox`, the console) is where a
      // developer reads them.
      if (config.devMode) log.info({ ...line, subject: m.subject }, `message to ${m.destination}${m.code ? ' (its code: tobira outbox)' : ''}`);
      else log.info(line, 'message');
      if (!target) return logNotification({ store, config, log, clock }, m);
      try {
        const receipt = await target.send(m);
        logNotification({ store, config, log, clock }, m);
        if (config.devMode) await store.outbox.annotate(id, { delivery: 'sent', ...(receipt ? { smtpMessageId: receipt } : {}) });
      } catch (err) {
        const reason = (err as Error).message;
        log.warn({ messageId: id, channel: m.channel, kind: m.kind, poolId: m.poolId, err: reason }, 'message delivery failed');
        logNotification({ store, config, log, clock }, m, reason);
        if (config.devMode) await store.outbox.annotate(id, { delivery: 'failed', error: reason }).catch(() => undefined);
        throw new CognitoError('CodeDeliveryFailureException', m.channel === 'EMAIL' ? EMAIL_FAILURE : SMS_FAILURE);
      }
    },
  };
}
