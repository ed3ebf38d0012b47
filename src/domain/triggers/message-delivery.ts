import type { App } from '../../app.ts';
import type { OutgoingMessage } from '../messages/messenger.ts';
import type { User, UserPool } from '../types.ts';
import { CODE_PARAMETER, customMessage, type MessageEvent, USERNAME_PARAMETER } from './custom-message.ts';
import { sendThroughCustomSender } from './custom-sender.ts';

/**
 * Every message with a code or temporary password goes out here, so the message triggers apply
 * alike to all of them: a custom sender for the channel takes the message over (the pool sends
 * nothing itself); otherwise a CustomMessage function may rewrite the text; otherwise the
 * pool's own text goes out as rendered.
 */
export interface TriggeredMessage {
  event: MessageEvent;
  user: User;
  /** The message as the pool's templates render it, code filled in. */
  message: OutgoingMessage & { code: string };
  /** The username an invitation names (`{username}`). */
  displayName?: string;
  /** A link email's confirmation URL (`{##text##}`). */
  link?: string;
  clientId?: string;
  clientMetadata?: Record<string, string>;
}

export async function deliverMessage(app: App, pool: UserPool, m: TriggeredMessage): Promise<void> {
  const { channel, code } = m.message;
  const who = { event: m.event, channel, user: m.user, clientId: m.clientId, clientMetadata: m.clientMetadata };
  if (sendThroughCustomSender(app, pool, { ...who, code, codeIsPassword: m.message.codeIsPassword })) return;
  const custom = await customMessage(app, pool, who);
  if (!custom) return app.messenger.send(m.message);
  let body = custom.body
    ? custom.body.replaceAll(CODE_PARAMETER, code).replaceAll(USERNAME_PARAMETER, m.displayName ?? m.user.username)
    : m.message.body;
  if (custom.body && m.link) body = body.replace(/\{##(.*?)##\}/gs, (_all, text: string) => `<a href="${m.link!.replaceAll('"', '&quot;')}">${text}</a>`);
  await app.messenger.send({ ...m.message, body, ...(custom.subject !== undefined ? { subject: custom.subject } : {}) });
}
