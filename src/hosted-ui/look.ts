import type { App } from '../app.ts';
import { effectiveUICustomization } from '../domain/pools/ui-customization.ts';
import { termsLinksForClient } from '../domain/pools/terms.ts';
import type { HostedDomain } from './domain.ts';

/** How a client's pages look: the UI customization (CSS, logo) and its terms links. */
export interface PageLook {
  css?: string;
  logoUrl?: string;
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
  const c = await effectiveUICustomization(app.store, hd.pool.id, clientId);
  return {
    // The CSS was checked when it was set (no `<`, allowed classes only); a `<` is dropped again
    // here so that nothing can ever end the <style> element.
    ...(c?.css ? { css: c.css.replace(/</g, '') } : {}),
    ...(c?.logoPath ? { logoUrl: c.logoPath } : {}),
    terms: await termsLinksForClient(app.store, clientId),
  };
}
