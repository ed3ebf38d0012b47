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
/** When a URL was last fetched out of turn (refreshSamlIdp), so forged responses cannot make Tobira fetch it at will. */
const forced = new Map<string, number>();
const FORCE_EVERY_MS = 60_000;

/**
 * The IdP's metadata from the provider's MetadataFile, or fetched from its MetadataURL (with a
 * timeout and a size limit; kept an hour, and up to a day while the URL does not answer).
 */
export async function samlIdpOf(app: App, provider: IdentityProvider): Promise<SamlIdp> {
  const d = provider.providerDetails;
  if (d.MetadataFile) return await parse(d.MetadataFile, provider.providerName);
  const url = d.MetadataURL;
  if (!url) throw new SamlMetadataError(`Identity provider ${provider.providerName} has no metadata.`);
  const now = app.clock.now();
  const hit = fetched.get(url);
  if (hit && now - hit.at < FRESH_MS) return hit.idp;
  try {
    const idp = await parse(await download(url), provider.providerName);
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

/**
 * Fetches a MetadataURL again out of turn, when a response's signature matched none of the
 * cached certificates (the IdP may have rolled its key): at most once a minute per URL. Undefined
 * when the provider has a MetadataFile, the URL was refreshed within the minute, or it fails.
 */
export async function refreshSamlIdp(app: App, provider: IdentityProvider): Promise<SamlIdp | undefined> {
  const url = provider.providerDetails.MetadataURL;
  if (provider.providerDetails.MetadataFile || !url) return undefined;
  const now = app.clock.now();
  if (now - (forced.get(url) ?? -Infinity) < FORCE_EVERY_MS) return undefined;
  forced.set(url, now);
  try {
    const idp = await parse(await download(url), provider.providerName);
    fetched.set(url, { idp, at: now });
    return idp;
  } catch (err) {
    app.log.warn({ err, provider: provider.providerName }, 'SAML metadata URL failed on refresh');
    return undefined;
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

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:';

const children = (el: Element, localName: string): Element[] =>
  Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === MD && (n as Element).localName === localName);

/**
 * Reads the IdP's EntityDescriptor (the first with an IDPSSODescriptor, also inside an
 * EntitiesDescriptor): its entityID, the certificates of its KeyDescriptors for signing (use
 * "signing" or none, as Cognito takes them) and its SSO and SLO locations by binding. (samlify's
 * metadata reader files a KeyDescriptor without `use` under encryption when another says
 * encryption, so the DOM is read here.)
 */
async function parse(xml: string, name: string): Promise<SamlIdp> {
  // Loaded on first use: a server without SAML providers never needs the XML parser.
  const { DOMParser } = await import('@xmldom/xmldom');
  const invalid = (cause?: unknown) => new SamlMetadataError(`The metadata of identity provider ${name} is not valid SAML metadata.`, { cause });
  let failed = false;
  const fail = () => void (failed = true);
  const doc = new DOMParser({ errorHandler: { warning: () => {}, error: fail, fatalError: fail } }).parseFromString(xml, 'text/xml');
  if (failed || !doc?.documentElement) throw invalid();
  const entity = Array.from(doc.getElementsByTagNameNS(MD, 'EntityDescriptor')).find((e) => children(e, 'IDPSSODescriptor').length);
  const sso = entity && children(entity, 'IDPSSODescriptor')[0];
  if (!entity || !sso) throw invalid();
  const certificates = children(sso, 'KeyDescriptor')
    .filter((k) => !k.getAttribute('use') || k.getAttribute('use') === 'signing')
    .flatMap((k) => Array.from(k.getElementsByTagNameNS(DS, 'X509Certificate')))
    .map((c) => (c.textContent ?? '').replace(/\s+/g, ''))
    .filter(Boolean);
  const location = (element: string, binding: string) =>
    children(sso, element).find((e) => e.getAttribute('Binding') === BINDING + binding)?.getAttribute('Location') || undefined;
  const idp: SamlIdp = {
    entityId: entity.getAttribute('entityID') ?? '',
    signingCertificates: [...new Set(certificates)],
    ssoRedirect: location('SingleSignOnService', 'HTTP-Redirect'),
    ssoPost: location('SingleSignOnService', 'HTTP-POST'),
    sloRedirect: location('SingleLogoutService', 'HTTP-Redirect'),
  };
  if (!idp.entityId || !idp.signingCertificates.length || (!idp.ssoRedirect && !idp.ssoPost)) {
    throw new SamlMetadataError(`The metadata of identity provider ${name} lacks an entityID, a signing certificate or a SingleSignOnService.`);
  }
  return idp;
}
