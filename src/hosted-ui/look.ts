import type { App } from '../app.ts';
import { managedLoginBrandingForClient } from '../domain/pools/managed-login-branding.ts';
import { effectiveUICustomization } from '../domain/pools/ui-customization.ts';
import { termsLinksForClient } from '../domain/pools/terms.ts';
import type { HostedDomain } from './domain.ts';

/** How a client's pages look: the UI customization (CSS, logo) and its terms links. */
export interface PageLook {
  css?: string;
  logoUrl?: string;
  /** CSS custom properties from a managed login branding style (`--name:#rrggbbaa;` only). */
  vars?: string;
  terms: { 'terms-of-use'?: string; 'privacy-policy'?: string };
}

/**
 * The look of the pages shown for `clientId` (from the request's client_id), when it is a client
 * of this domain's pool: SetUICustomization's CSS and logo (the client's, else the pool's `ALL`),
 * and CreateTerms' links for sign-up. Nothing for an unknown client.
 */
export async function pageLook(app: App, hd: HostedDomain, clientId: string | null): Promise<PageLook> {
  if (!clientId || clientId.length > 128) return { terms: {} };
  const client = await app.store.clients.get(clientId);
  if (!client || client.poolId !== hd.pool.id) return { terms: {} };
  const terms = await termsLinksForClient(app.store, clientId);
  // Cognito picks the look by the domain's ManagedLoginVersion: 2 (managed login) shows the
  // client's branding style, 1 (classic hosted UI) the UI customization; the two never mix.
  // A version-2 domain whose client has no style falls back to the UI customization here
  // (Cognito shows an error page instead), so a page always has a look.
  if (hd.domain.managedLoginVersion === 2) {
    const b = await managedLoginBrandingForClient(app.store, clientId);
    if (b) {
      const names: Record<keyof typeof b.colours, string> = {
        primaryButton: '--button-bg', primaryButtonText: '--button-text', pageBackground: '--page-bg', formBackground: '--form-bg', link: '--link',
      };
      // Each colour was checked to be `#` and hex digits (cssColour), so nothing else reaches the CSS.
      const vars = Object.entries(b.colours)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${names[k as keyof typeof b.colours]}:${v};`)
        .join('');
      return {
        ...(vars ? { vars } : {}),
        ...(b.logo ? { logoUrl: `data:${b.logo.contentType};base64,${b.logo.bytes.toString('base64')}` } : {}),
        terms,
      };
    }
  }
  const c = await effectiveUICustomization(app.store, hd.pool.id, clientId);
  return {
    // The CSS was checked when it was set (no `<`, allowed classes only); a `<` is dropped again
    // here so that nothing can ever end the <style> element.
    ...(c?.css ? { css: c.css.replace(/</g, '') } : {}),
    ...(c?.logoPath ? { logoUrl: c.logoPath } : {}),
    terms,
  };
}
