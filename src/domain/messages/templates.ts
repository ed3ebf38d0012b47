import type { UserPool } from '../types.ts';

/**
 * A pool's message texts with Cognito's defaults, and the placeholders filled in: `{####}` for
 * the code or temporary password, `{username}` in invitations, `{##link text##}` in LINK-style
 * verification emails.
 */
export interface RenderedMessage {
  subject?: string;
  body: string;
}

// Cognito's defaults (the console and the CDK document them): a verification email "Your
// verification code is {####}. " under "Your verification code"; a link email under "Your
// verification link"; the invitation "Your username is {username} and temporary password is
// {####}." under "Your temporary password".
export const DEFAULTS = {
  emailSubject: 'Your verification code',
  emailMessage: 'Your verification code is {####}. ',
  emailSubjectByLink: 'Your verification link',
  emailMessageByLink: 'Please click the link below to verify your email address. {##Verify Email##} ',
  smsMessage: 'Your verification code is {####}. ',
  inviteSubject: 'Your temporary password',
  inviteEmail: 'Your username is {username} and temporary password is {####}.',
  inviteSms: 'Your username is {username} and temporary password is {####}.',
  smsAuthentication: 'Your authentication code is {####}. ',
} as const;

const fill = (template: string, code: string, username?: string) =>
  template.replaceAll('{####}', code).replaceAll('{username}', username ?? '');

export interface VerificationArgs {
  channel: 'EMAIL' | 'SMS';
  code: string;
  username?: string;
  /**
   * The confirmation URL for LINK-style sign-up emails. Cognito sends links only for sign-up
   * and resent confirmation codes; attribute updates and password resets use the code template
   * (developer guide, "Configuring verification and invitation messages").
   */
  link?: string;
}

/** The verification message (sign-up, resend, forgot password, attribute verification). */
export function renderVerification(pool: UserPool, a: VerificationArgs): RenderedMessage {
  const c = pool.config;
  const t = c.VerificationMessageTemplate ?? {};
  if (a.channel === 'SMS') {
    return { body: fill(t.SmsMessage ?? c.SmsVerificationMessage ?? DEFAULTS.smsMessage, a.code, a.username) };
  }
  if (a.link && t.DefaultEmailOption === 'CONFIRM_WITH_LINK') {
    const body = (t.EmailMessageByLink ?? DEFAULTS.emailMessageByLink).replace(
      /\{##(.*?)##\}/gs,
      (_m, text: string) => `<a href="${escapeAttr(a.link!)}">${text}</a>`,
    );
    return { subject: t.EmailSubjectByLink ?? DEFAULTS.emailSubjectByLink, body };
  }
  return {
    subject: t.EmailSubject ?? c.EmailVerificationSubject ?? DEFAULTS.emailSubject,
    body: fill(t.EmailMessage ?? c.EmailVerificationMessage ?? DEFAULTS.emailMessage, a.code, a.username),
  };
}

/** The AdminCreateUser invitation with its temporary password. */
export function renderInvitation(
  pool: UserPool,
  a: { channel: 'EMAIL' | 'SMS'; username: string; tempPassword: string },
): RenderedMessage {
  const t = pool.config.AdminCreateUserConfig?.InviteMessageTemplate ?? {};
  if (a.channel === 'SMS') return { body: fill(t.SMSMessage ?? DEFAULTS.inviteSms, a.tempPassword, a.username) };
  return {
    subject: t.EmailSubject ?? DEFAULTS.inviteSubject,
    body: fill(t.EmailMessage ?? DEFAULTS.inviteEmail, a.tempPassword, a.username),
  };
}

/** The SMS MFA sign-in code (SmsAuthenticationMessage), for the MFA feature. */
export function renderAuthentication(pool: UserPool, code: string): RenderedMessage {
  return { body: fill(pool.config.SmsAuthenticationMessage ?? DEFAULTS.smsAuthentication, code) };
}

function escapeAttr(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
