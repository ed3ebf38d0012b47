/**
 * Every email and SMS Tobira sends goes through one Messenger: confirmation codes, invitations,
 * password resets, attribute verification, MFA codes. Implementations deliver to the outbox,
 * SMTP or an SMS webhook (see index.ts); templates.ts renders a pool's texts.
 */
export interface OutgoingMessage {
  poolId: string | null;
  channel: 'EMAIL' | 'SMS';
  destination: string;
  subject?: string;
  body: string;
  /** What the message is for: 'invitation', 'sign-up', 'forgot-password', 'verify-attribute', 'mfa' ... */
  kind: string;
  /** The username it concerns, for inspection. */
  username?: string;
  /**
   * The secret the body carries (code or temporary password). Kept beside the message in the
   * outbox and printed in the log only in development mode, so tests and developers can read it.
   */
  code?: string;
  /** The secret is a temporary password (invitations): kept in the outbox, never logged. */
  codeIsPassword?: boolean;
}

export interface Messenger {
  /**
   * Delivers one message. Throws CognitoError CodeDeliveryFailureException when a configured
   * target (SMTP, SMS webhook) refuses it; the outbox copy is kept either way.
   */
  send(message: OutgoingMessage): Promise<void>;
}
