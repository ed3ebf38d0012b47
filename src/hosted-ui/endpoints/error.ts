import type { HostedContext } from '../context.ts';
import { html, page } from '../html.ts';
import { ERROR_PAGE_TEXT } from '../refusal.ts';
import { sendPage } from '../request.ts';

/** GET /error: where Cognito sends what it will not redirect; always 400, nothing reflected. */
export const parameters = new Set(['error', 'client_id']);

export async function errorPage({ reply }: HostedContext) {
  return sendPage(reply, 400, page('Error', html`<p role="alert">${ERROR_PAGE_TEXT}</p>`));
}
