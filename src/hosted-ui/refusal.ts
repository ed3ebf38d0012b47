import { type AuthorizeRefusal, errorRedirect } from './authorize-request.ts';
import type { HostedContext } from './context.ts';
import { html, page } from './html.ts';
import { sendPage } from './request.ts';

/** Cognito's text on its error page (cognito-protocols.md 3.1). */
export const ERROR_PAGE_TEXT = 'An error was encountered with the requested page.';

/**
 * Answers a refused authorization where Cognito does: unknown client on a page, an unregistered
 * redirect_uri by way of /error?error=redirect_mismatch, anything else at the redirect_uri.
 */
export function answerRefusal({ hd, reply }: HostedContext, r: AuthorizeRefusal) {
  switch (r.kind) {
    case 'page':
      return sendPage(reply, 400, page('Error', html`<p role="alert">${r.message}</p>`));
    case 'redirect_mismatch':
      return reply.redirect(`${hd.base}/error?${new URLSearchParams({ error: 'redirect_mismatch', client_id: r.clientId })}`, 302);
    case 'redirect':
      return reply.redirect(errorRedirect(r), 302);
  }
}
