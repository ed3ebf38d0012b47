/**
 * Every email and SMS Tobira sends goes through one Messenger: confirmation codes, invitations,
 * password resets, attribute verification, MFA codes. Implementations deliver to the outbox,
 * SMTP or an SMS webhook (see the self-service issue).
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
}

export interface Messenger {
  send(message: OutgoingMessage): Promise<void>;
}
