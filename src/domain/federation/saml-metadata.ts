import samlify from 'samlify';
import type { App } from '../../app.ts';
import type { IdentityProvider } from '../types.ts';

/** What Tobira uses of a SAML IdP's metadata. */
export interface SamlIdp {
  entityId: string;
  /** Every certificate the metadata offers for signing (use="signing" or no use), base64 DER. */
  signingCertificates: string[];
  /** The SingleSignOnService locations by binding. */
  ssoRedirect?: string;
  ssoPost?: string;
  sloRedirect?: string;
}

/** Why a provider's metadata cannot be used; the message names the provider, never a secret. */
export class SamlMetadataError extends Error {}

const FETCH_TIMEOUT_MS = 5_000;
const MAX_METADATA_BYTES = 1024 * 1024;
/** How long fetched metadata is used before it is fetched again (a stale copy still serves while the IdP is unreachable). */
const FRESH_MS = 60 * 60 * 1000;
const STALE_MS = 24 * 60 * 60 * 1000;

const fetched = new Map<string, { idp: SamlIdp; at: number }>();

/**
 * The IdP's metadata from the provider's MetadataFile, or fetched from its MetadataURL (with a
 * timeout and a size limit; kept an hour, and up to a day while the URL does not answer).
 */
export async function samlIdpOf(app: App, provider: IdentityProvider): Promise<SamlIdp> {
  const d = provider.providerDetails;
  if (d.MetadataFile) return parse(d.MetadataFile, provider.providerName);
  const url = d.MetadataURL;
  if (!url) throw new SamlMetadataError(`Identity provider ${provider.providerName} has no metadata.`);
  const now = app.clock.now();
  const hit = fetched.get(url);
  if (hit && now - hit.at < FRESH_MS) return hit.idp;
  try {
    const idp = parse(await download(url), provider.providerName);
    fetched.set(url, { idp, at: now });
    return idp;
  } catch (err) {
    if (hit && now - hit.at < STALE_MS) {
      app.log.warn({ err, provider: provider.providerName }, 'SAML metadata URL failed; using the copy fetched before');
      return hit.idp;
    }
    throw err instanceof SamlMetadataError ? err : new SamlMetadataError(`The metadata of identity provider ${provider.providerName} could not be fetched.`, { cause: err });
  }
}

async function download(url: string): Promise<string> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new SamlMetadataError(`MetadataURL must be http(s): ${u.protocol}`);
  const res = await fetch(u, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
  if (!res.ok) throw new SamlMetadataError(`MetadataURL answered ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_METADATA_BYTES) throw new SamlMetadataError('MetadataURL answered more than 1 MB');
  return body.toString('utf8');
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v ? [v] : []).map((c) => String(c).replace(/\s+/g, '')).filter(Boolean);

function parse(xml: string, name: string): SamlIdp {
  let meta;
  try {
    meta = samlify.IdPMetadata(xml);
  } catch (err) {
    throw new SamlMetadataError(`The metadata of identity provider ${name} is not valid SAML metadata.`, { cause: err });
  }
  const entityId = meta.getEntityID();
  const certs = meta.meta.certificate as Record<string, unknown> | undefined;
  const signingCertificates = [...new Set([...list(certs?.signing), ...list(meta.meta.sharedCertificate)])];
  const location = (s: unknown) => (typeof s === 'string' && s ? s : undefined);
  const idp: SamlIdp = {
    entityId,
    signingCertificates,
    ssoRedirect: location(meta.getSingleSignOnService('redirect')),
    ssoPost: location(meta.getSingleSignOnService('post')),
    sloRedirect: location(meta.getSingleLogoutService('redirect')),
  };
  if (!entityId || !signingCertificates.length || (!idp.ssoRedirect && !idp.ssoPost)) {
    throw new SamlMetadataError(`The metadata of identity provider ${name} lacks an entityID, a signing certificate or a SingleSignOnService.`);
  }
  return idp;
}
