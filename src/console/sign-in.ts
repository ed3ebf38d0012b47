import type { App } from '../app.ts';
import { CSRF_FIELD } from '../hosted-ui/csrf.ts';
import { errorBox, html, page } from '../hosted-ui/html.ts';
import { CONSOLE_BASE } from './access.ts';

/**
 * The sign-in page for a console reached from another machine: the operator token
 * (--admin-token) or an admin key (--admin-credentials). The hosted UI's plain page frame.
 */
export function signInView(app: App, csrf: string, failed: boolean): string {
  const hidden = html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}">`;
  const tokenForm = app.config.adminToken
    ? html`<form method="post" action="${CONSOLE_BASE}/sign-in">${hidden}
<label for="token">Operator token</label><input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in with the token</button></form>`
    : '';
  const keyForm = app.config.adminCredentials?.size
    ? html`<form method="post" action="${CONSOLE_BASE}/sign-in">${hidden}
<label for="akid">Access key id</label><input id="akid" name="accessKeyId" autocomplete="username" required>
<label for="secret">Secret access key</label><input id="secret" name="secretAccessKey" type="password" autocomplete="current-password" required>
<button type="submit">Sign in with the admin key</button></form>`
    : '';
  return page('Sign in to the Tobira console', html`${errorBox(failed ? 'That did not match. Try again.' : undefined)}${tokenForm}${keyForm}`);
}
