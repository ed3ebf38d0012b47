import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type { User, UserPool } from '../types.ts';
import { clientMetadataOf, eventUserAttributes, invalidLambdaResponse, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * CustomMessage: before every email and SMS with a code (or a temporary password), the function
 * may rewrite the text. It gets placeholders, never the code: `codeParameter` `{####}`,
 * `usernameParameter` `{username}` (invitations only, else null) and `linkParameter` for link
 * emails; Tobira puts the code in after the answer. Developer guide, "Custom message Lambda
 * trigger".
 */
export type MessageEvent = 'SignUp' | 'AdminCreateUser' | 'ResendCode' | 'ForgotPassword' | 'UpdateUserAttribute' | 'VerifyUserAttribute' | 'Authentication';

export const CODE_PARAMETER = '{####}';
export const USERNAME_PARAMETER = '{username}';
const LINK_PARAMETER = '{##Click Here##}';

export interface CustomText {
  subject?: string;
  body: string;
}

/**
 * The function's text for one message, placeholders still in, or undefined to keep the pool's
 * own (no trigger, or an answer that leaves the field for this channel null).
 */
export async function customMessage(
  app: App,
  pool: UserPool,
  a: { event: MessageEvent; channel: 'EMAIL' | 'SMS'; user: User; clientId?: string; clientMetadata?: Record<string, string> },
): Promise<CustomText | undefined> {
  const fn = triggerFunction(pool, 'CustomMessage');
  if (!fn) return undefined;
  const invitation = a.event === 'AdminCreateUser';
  const event = triggerEvent(pool, {
    triggerSource: `CustomMessage_${a.event}`,
    userName: a.user.username,
    clientId: a.clientId,
    request: {
      userAttributes: eventUserAttributes(a.user),
      codeParameter: CODE_PARAMETER,
      linkParameter: LINK_PARAMETER,
      usernameParameter: invitation ? USERNAME_PARAMETER : null,
      ...(clientMetadataOf(a.clientMetadata) ? { clientMetadata: a.clientMetadata } : {}),
    },
    response: { smsMessage: null, emailMessage: null, emailSubject: null },
  });
  const answer = await invokeTrigger(app, 'CustomMessage', fn, event);
  const r = (answer.response ?? {}) as Record<string, unknown>;
  const text = (name: string): string | undefined => {
    const v = r[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw invalidLambdaResponse();
    return v;
  };
  const body = a.channel === 'EMAIL' ? text('emailMessage') : text('smsMessage');
  const subject = a.channel === 'EMAIL' ? text('emailSubject') : undefined;
  if (body === undefined) return subject === undefined ? undefined : { subject, body: '' };
  checkPlaceholders(body, a.channel, invitation);
  return { subject, body };
}

/**
 * Cognito's rule for the answer: the text must carry the code placeholder (and, for an
 * invitation, the username placeholder too), checked as its message templates are, with the
 * same words (observed: amazon-archives/amazon-cognito-identity-js#99, "1 validation error
 * detected: Value '...' at 'emailBody' failed to satisfy constraint: Member must satisfy regular
 * expression pattern: ...\{####\}..."); an empty text is "The message is empty." (#521 there).
 */
function checkPlaceholders(body: string, channel: 'EMAIL' | 'SMS', invitation: boolean): void {
  if (!body.trim()) throw invalidParameter('The message is empty.');
  const field = channel === 'EMAIL' ? 'emailBody' : 'smsMessage';
  const fail = (placeholder: string) =>
    invalidParameter(
      `1 validation error detected: Value '${body}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ` +
        `[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*${placeholder.replace(/[{}]/g, (c) => `\\${c}`)}[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*`,
    );
  if (!body.includes(CODE_PARAMETER) && !(channel === 'EMAIL' && body.includes(LINK_PARAMETER) && !invitation)) throw fail(CODE_PARAMETER);
  if (invitation && !body.includes(USERNAME_PARAMETER)) throw fail(USERNAME_PARAMETER);
}
