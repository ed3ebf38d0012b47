import { confirmSignUp } from '../../domain/self-service/sign-up.ts';
import { formEndpoints, secretHashFor, withQuery } from '../forms.ts';
import { html } from '../html.ts';

export const parameters = new Set(['username', 'code', '_csrf']);

/** /confirm: ConfirmSignUp with the code that was sent; then /login to sign in. */
export const confirm = formEndpoints({
  title: 'Confirm your account',
  path: '/confirm',
  submit: 'Confirm account',
  intro: () => html`<p>We have sent a code. Enter it below to confirm your account.</p>`,
  fields: () => [
    { name: 'username', label: 'Username', autocomplete: 'username' },
    { name: 'code', label: 'Verification code', autocomplete: 'one-time-code' },
  ],
  act: async (ctx, ar, v) => {
    await confirmSignUp(ctx.app, { ClientId: ar.client.clientId, Username: v.username!, ConfirmationCode: v.code!, SecretHash: secretHashFor(ar.client, v.username!) });
    return withQuery(ctx, '/login', { username: v.username! });
  },
});
