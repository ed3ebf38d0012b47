import { createHmac } from 'node:crypto';
import type { App } from '../../app.ts';
import type { CodeDeliveryDetailsType } from '../../generated/cognito-idp.ts';
import { renderVerification } from '../messages/templates.ts';
import type { User, UserPool } from '../types.ts';
import type { MessageEvent } from '../triggers/custom-message.ts';
import { deliverMessage } from '../triggers/message-delivery.ts';

export type VerifiableAttribute = 'email' | 'phone_number';
export const mediumOf = (attr: VerifiableAttribute) => (attr === 'email' ? 'EMAIL' : 'SMS') as 'EMAIL' | 'SMS';

/**
 * How Cognito shows a destination in CodeDeliveryDetails and the MFA challenges' parameters:
 * `t***@e***` for `test@example.com`, the top-level domain hidden too (today's raw answer quoted
 * in aws-amplify/aws-sdk-ios#4837; cognito-protocols.md §6.3: `j***@g***`), and `+*******1234`
 * for a phone number (aws-amplify/amplify-js#2341, #6461): everything but the last four digits.
 */
export function maskDestination(attr: VerifiableAttribute, value: string): string {
  if (attr === 'phone_number') {
    const digits = value.replace(/^\+/, '');
    return `+${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
  }
  const at = value.lastIndexOf('@');
  if (at < 0) return `${value.slice(0, 1)}***`;
  return `${value.slice(0, 1)}***@${value.slice(at + 1, at + 2)}***`;
}

export function deliveryDetails(attr: VerifiableAttribute, value: string): CodeDeliveryDetailsType {
  return { Destination: maskDestination(attr, value), DeliveryMedium: mediumOf(attr), AttributeName: attr };
}

/**
 * The answer for a user that does not exist when the client has PreventUserExistenceErrors
 * ENABLED: a plausible destination, the same each time for the same name, so that the answer
 * reveals nothing (documented on cognito-user-pool-managing-errors).
 */
export function simulatedDetails(pool: UserPool, username: string, prefer: VerifiableAttribute = 'email'): CodeDeliveryDetailsType {
  if (/^\+\d{5,15}$/.test(username)) return deliveryDetails('phone_number', username);
  if (username.includes('@')) return deliveryDetails('email', username);
  const h = createHmac('sha256', pool.id).update(username).digest();
  const letter = (i: number) => String.fromCharCode(97 + (h[i] % 26));
  if (prefer === 'phone_number') return deliveryDetails('phone_number', `+1${(h.readUInt32BE(0) % 10000).toString().padStart(4, '0')}`);
  return deliveryDetails('email', `${letter(0)}x@${letter(1)}x.com`);
}

export const isVerified = (user: User, attr: VerifiableAttribute) => user.attributes[`${attr}_verified`] === 'true';

/**
 * The attribute a sign-up code goes to, from AutoVerifiedAttributes. With both, Cognito sends the
 * code by SMS (its developer guide on verifying contact information at sign-up).
 */
export function signUpDeliveryAttribute(pool: UserPool, attributes: Record<string, string>): VerifiableAttribute | null {
  const auto = pool.config.AutoVerifiedAttributes ?? [];
  if (auto.includes('phone_number') && attributes.phone_number) return 'phone_number';
  if (auto.includes('email') && attributes.email) return 'email';
  return null;
}

/** The CustomMessage / custom sender event of each kind of code, unless the caller names another. */
const MESSAGE_EVENTS: Record<string, MessageEvent> = { 'sign-up': 'SignUp', 'forgot-password': 'ForgotPassword', 'verify-attribute': 'VerifyUserAttribute' };

/**
 * Renders and sends a code with the pool's verification template, through the message triggers
 * (triggers/message-delivery.ts: CustomMessage, CustomEmailSender, CustomSMSSender).
 */
export async function sendCode(
  app: App,
  pool: UserPool,
  a: {
    user: User;
    attr: VerifiableAttribute;
    destination: string;
    code: string;
    kind: string;
    link?: string;
    /** For the triggers: which event (ResendCode, UpdateUserAttribute ...), the client and ClientMetadata. */
    trigger?: { event?: MessageEvent; clientId?: string; clientMetadata?: Record<string, string> };
  },
): Promise<CodeDeliveryDetailsType> {
  const channel = mediumOf(a.attr);
  const msg = renderVerification(pool, { channel, code: a.code, username: a.user.username, link: a.link });
  await deliverMessage(app, pool, {
    event: a.trigger?.event ?? MESSAGE_EVENTS[a.kind] ?? 'VerifyUserAttribute',
    user: a.user,
    link: a.link,
    clientId: a.trigger?.clientId,
    clientMetadata: a.trigger?.clientMetadata,
    message: {
      poolId: pool.id,
      channel,
      destination: a.destination,
      subject: msg.subject,
      body: msg.body,
      kind: a.kind,
      username: a.user.username,
      code: a.code,
    },
  });
  return deliveryDetails(a.attr, a.destination);
}
