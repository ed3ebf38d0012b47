import { confirmForgotPassword, forgotPassword } from '../../domain/self-service/recovery.ts';
import { formEndpoints, secretHashFor, withQuery } from '../forms.ts';
import { html } from '../html.ts';

export const parameters = new Set(['username', 'code', 'password', '_csrf']);

/** /forgotPassword: ForgotPassword (the code through the messenger); then /confirmForgotPassword. */
export const forgot = formEndpoints({
  title: 'Forgot your password?',
  path: '/forgotPassword',
  submit: 'Reset my password',
  intro: () => html`<p>Enter your username and we will send a code to reset your password.</p>`,
  fields: () => [{ name: 'username', label: 'Username', autocomplete: 'username' }],
  act: async (ctx, ar, v) => {
    // No origin: the hosted UI's password reset is recorded without the address or device
    // (domain/threat/README.md), as it always was.
    await forgotPassword(ctx.app, { ClientId: ar.client.clientId, Username: v.username!, SecretHash: secretHashFor(ar.client, v.username!) }, undefined);
    return withQuery(ctx, '/confirmForgotPassword', { username: v.username! });
  },
});

/** /confirmForgotPassword: ConfirmForgotPassword (code, new password by the policy); then /login. */
export const confirmForgot = formEndpoints({
  title: 'Reset your password',
  path: '/confirmForgotPassword',
  submit: 'Change password',
  fields: () => [
    { name: 'username', label: 'Username', autocomplete: 'username' },
    { name: 'code', label: 'Code', autocomplete: 'one-time-code' },
    { name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password' },
  ],
  act: async (ctx, ar, v) => {
    // No origin, as for /forgotPassword (so SkippedIPRangeList does not spare the compromised-password check).
    await confirmForgotPassword(
      ctx.app,
      {
        ClientId: ar.client.clientId,
        Username: v.username!,
        ConfirmationCode: v.code!,
        Password: v.password!,
        SecretHash: secretHashFor(ar.client, v.username!),
      },
      undefined,
    );
    return withQuery(ctx, '/login', { username: v.username! });
  },
});
