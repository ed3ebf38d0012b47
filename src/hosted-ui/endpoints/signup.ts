import { signUp } from '../../domain/self-service/sign-up.ts';
import { type Field, formEndpoints, secretHashFor, withQuery } from '../forms.ts';
import { html } from '../html.ts';

export const parameters = new Set(['username', 'email', 'phone_number', 'password', '_csrf']);

/**
 * /signup: the same SignUp as the API (self-service/sign-up.ts: password policy, schema,
 * PreSignUp, the code through the messenger), then /confirm for the code, or /login when the
 * user needs no confirmation.
 */
export const signup = formEndpoints({
  title: 'Sign up',
  path: '/signup',
  submit: 'Sign up',
  fields: (ctx) => {
    const usernameAttrs = ctx.hd.pool.config.UsernameAttributes ?? [];
    const fields: Field[] = [];
    if (!usernameAttrs.length) fields.push({ name: 'username', label: 'Username', autocomplete: 'username' });
    const required = new Set((ctx.hd.pool.config.SchemaAttributes ?? []).filter((a) => a.Required).map((a) => a.Name));
    if (usernameAttrs.includes('email') || required.has('email') || !usernameAttrs.length) fields.push({ name: 'email', label: 'Email', type: 'email', autocomplete: 'email' });
    if (usernameAttrs.includes('phone_number') || required.has('phone_number')) fields.push({ name: 'phone_number', label: 'Phone number', type: 'tel', autocomplete: 'tel' });
    fields.push({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password' });
    return fields;
  },
  // CreateTerms' links for this client (terms of use, privacy policy), as Cognito shows them.
  outro: (ctx) => {
    const t = ctx.look?.terms ?? {};
    // Links were checked when stored (https, or http on loopback); checked again, never a script URL.
    const web = (u: string | undefined) => (u && /^https?:\/\//i.test(u) ? u : undefined);
    const terms = web(t['terms-of-use']);
    const privacy = web(t['privacy-policy']);
    if (!terms && !privacy) return '';
    return html`<p class="legalText-customizable">By signing up, you agree to the ${terms ? html`<a href="${terms}">Terms of use</a>` : ''}${terms && privacy ? ' and the ' : ''}${
      privacy ? html`<a href="${privacy}">Privacy policy</a>` : ''
    }.</p>`;
  },
  links: (base, q) => html`<nav><a href="${base}/login${q}">Already have an account? Sign in</a></nav>`,
  act: async (ctx, ar, v) => {
    const username = v.username ?? v.email ?? v.phone_number ?? '';
    const attributes = ['email', 'phone_number'].filter((n) => v[n] !== undefined).map((Name) => ({ Name, Value: v[Name] }));
    // No origin: the hosted UI's sign-up is recorded without the address or device
    // (domain/threat/README.md), as it always was, and SkippedIPRangeList does not spare its
    // compromised-password check.
    const r = await signUp(
      ctx.app,
      {
        ClientId: ar.client.clientId,
        Username: username,
        Password: v.password,
        UserAttributes: attributes,
        SecretHash: secretHashFor(ar.client, username),
      },
      undefined,
    );
    return withQuery(ctx, r.UserConfirmed ? '/login' : '/confirm', { username });
  },
});
