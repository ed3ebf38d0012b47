import { createHash } from 'node:crypto';
import type { App } from '../../app.ts';
import type { IdentityProvider, UserPool } from '../types.ts';
import type { UpstreamIdentity } from './federated-users.ts';
import { refreshSamlIdp, samlIdpOf, SamlMetadataError, type SamlIdp } from './saml-metadata.ts';
import { CLOCK_SKEW_MS, samlSp } from './saml-sp.ts';
import { samlEncryptionMaterial } from './saml-certificate.ts';

/**
 * A SAML response refused. `description` is what Cognito puts after "Invalid SAML response
 * received: " in the error_description it redirects with; the cause is for the log only.
 */
export class SamlRefused extends Error {
  constructor(
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
  }
}

// Cognito's words, in the error_description of a callback (aws/aws-sdk-js-v3#6201), trailing space and all.
const BAD_SIGNATURE = 'SAML Assertion signature is invalid. ';
// The others were not found in Cognito's documentation or issues.
const EXPIRED = 'SAML Assertion is expired or not yet valid.'; // guessed
const AUDIENCE = 'Audience restriction is invalid.'; // guessed
const IN_RESPONSE_TO = 'InResponseTo does not match the request.'; // guessed
const RECIPIENT = 'Recipient or Destination is invalid.'; // guessed
const ISSUER = 'Issuer is invalid.'; // guessed
const REPLAYED = 'SAML Assertion has already been used.'; // guessed
const MALFORMED = 'SAML response could not be parsed.'; // guessed
const NOT_ENCRYPTED = 'SAML Assertion is not encrypted.'; // guessed

/** node-saml's error messages, by what Cognito would say of them. */
function describe(err: Error): string {
  const m = err.message;
  if (/signature|signed data/i.test(m)) return BAD_SIGNATURE;
  if (/expired|not yet valid|subject confirmation/i.test(m)) return EXPIRED;
  if (/audience/i.test(m)) return AUDIENCE;
  if (/InResponseTo/i.test(m)) return IN_RESPONSE_TO;
  if (/^SAML provider returned/.test(m)) return m; // the IdP's own status, e.g. "... Responder error: ..."
  return MALFORMED;
}

/** The most the endpoint accepts (Cognito: "assertions of up to 100,000 characters", saml2-idpresponse-endpoint). */
export const MAX_SAML_RESPONSE_CHARS = 100_000;

const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;

export interface SamlExpectation {
  /** The ID of the AuthnRequest Tobira sent (SP-initiated), or null (IdP-initiated). */
  requestId: string | null;
  /** The URLs this ACS is known by: a Destination or Recipient must be one of them. */
  acsUrls: string[];
}

/**
 * Verifies a SAMLResponse (HTTP-POST binding) from the provider with node-saml: XML signature of
 * the response or assertion by a certificate of the IdP's metadata, the audience (the pool's SP
 * entity id), NotBefore/NotOnOrAfter with a minute of skew, InResponseTo (on the Response and
 * in the SubjectConfirmationData) against the request sent, the issuer, Destination and
 * Recipient; then takes the assertion's ID for good, so it is accepted once. Returns the NameID
 * and the attributes by name (several values as `[a, b]`).
 */
export async function verifySamlResponse(
  app: App,
  pool: UserPool,
  provider: IdentityProvider,
  samlResponse: string,
  expect: SamlExpectation,
): Promise<UpstreamIdentity> {
  // A form body whose '+' was sent unencoded reads as a space, which base64 never holds.
  samlResponse = samlResponse.replace(/ /g, '+');
  // Cognito's words for a body that is not base64 (blog.dan.drown.org, "Invalid base64 SAMLResponse").
  if (samlResponse.length > MAX_SAML_RESPONSE_CHARS || !BASE64.test(samlResponse)) throw new SamlRefused('Invalid base64 SAMLResponse');
  let idp = await samlIdpOf(app, provider);
  // EncryptedResponses: every assertion must come encrypted to the provider's certificate.
  const encrypted = provider.providerDetails.EncryptedResponses === 'true';
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const root = await parseRoot(xml);
  if (!root) throw new SamlRefused(MALFORMED);
  if (encrypted && !childNamed(root, 'EncryptedAssertion')) throw new SamlRefused(NOT_ENCRYPTED);
  const decryptionKey = encrypted ? (await samlEncryptionMaterial(app, pool.id, provider.providerName)).privateKeyPem : undefined;
  const validate = async (idp: SamlIdp) => {
    const sp = await samlSp({ poolId: pool.id, acsUrl: expect.acsUrls[0]!, idp, requestId: expect.requestId, decryptionKey });
    try {
      return (await sp.validatePostResponseAsync({ SAMLResponse: samlResponse })).profile;
    } catch (err) {
      throw new SamlRefused(describe(err as Error), { cause: err });
    }
  };
  let profile;
  try {
    profile = await validate(idp);
  } catch (err) {
    // A signature no cached certificate knows: the IdP may have rolled its key since the
    // MetadataURL was read, so read it again (at most once a minute) and try once more.
    const fresh = err instanceof SamlRefused && err.description === BAD_SIGNATURE ? await refreshSamlIdp(app, provider) : undefined;
    if (!fresh) throw err;
    idp = fresh;
    profile = await validate(idp);
  }
  if (!profile) throw new SamlRefused(MALFORMED);
  if (profile.issuer !== idp.entityId) throw new SamlRefused(ISSUER);
  const assertion = (profile.getAssertion?.() as { Assertion?: XmlNode } | undefined)?.Assertion;
  if (!assertion) throw new SamlRefused(MALFORMED);

  // Destination (on the Response, when given) and Recipient (required) name this endpoint; the
  // SubjectConfirmationData answers the request sent (Cognito enforces both since 2024:
  // c6fc/npk#87 quotes its notice).
  const destination = root.hasAttribute('Destination') ? root.getAttribute('Destination')! : undefined;
  if (destination !== undefined && !expect.acsUrls.includes(destination)) throw new SamlRefused(RECIPIENT);
  const confirmations = (first(assertion.Subject)?.SubjectConfirmation ?? []).map((c) => first(c.SubjectConfirmationData)?.$ ?? {});
  if (!confirmations.some((c) => c.Recipient !== undefined && expect.acsUrls.includes(c.Recipient))) throw new SamlRefused(RECIPIENT);
  if (expect.requestId !== null && !confirmations.some((c) => c.InResponseTo === expect.requestId)) throw new SamlRefused(IN_RESPONSE_TO);
  // IdP-initiated: an answer to some SP's request is not an unsolicited response (it could be one
  // taken from another sign-in and given a RelayState of the taker's choosing).
  if (expect.requestId === null && (profile.inResponseTo || confirmations.some((c) => c.InResponseTo))) throw new SamlRefused(IN_RESPONSE_TO);

  const nameId = profile.nameID;
  if (!nameId) throw new SamlRefused(MALFORMED);
  const id = assertion.$?.ID;
  if (!id) throw new SamlRefused(MALFORMED);
  const now = app.clock.now();
  const ends = [first(assertion.Conditions)?.$?.NotOnOrAfter, ...confirmations.map((c) => c.NotOnOrAfter)]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter((t) => !Number.isNaN(t));
  // Kept until the assertion could no longer be accepted anyway (a day when it never says).
  const keepUntil = (ends.length ? Math.max(...ends) : now + 24 * 60 * 60 * 1000) + CLOCK_SKEW_MS;
  const key = createHash('sha256').update(`${idp.entityId}\n${id}`).digest('base64url');
  if (!(await app.store.samlAssertions.use(pool.id, key, keepUntil, now))) throw new SamlRefused(REPLAYED);

  return { userId: nameId, attributes: flatten(profile.attributes), issuer: idp.entityId };
}

/** SamlMetadataError is refused as the provider's fault, not the user's. */
export const isMetadataError = (err: unknown): err is SamlMetadataError => err instanceof SamlMetadataError;

type XmlNode = { $?: Record<string, string>; [child: string]: unknown } & {
  Subject?: XmlNode[];
  SubjectConfirmation?: XmlNode[];
  SubjectConfirmationData?: XmlNode[];
  Conditions?: XmlNode[];
};
const first = (v: XmlNode[] | undefined) => (Array.isArray(v) ? v[0] : undefined);

/** The document element of the response, or undefined when it is not XML. */
async function parseRoot(xml: string): Promise<Element | undefined> {
  const { DOMParser } = await import('@xmldom/xmldom');
  let failed = false;
  const fail = () => void (failed = true);
  const doc = new DOMParser({ errorHandler: { warning: () => {}, error: fail, fatalError: fail } }).parseFromString(xml, 'text/xml');
  return failed ? undefined : (doc?.documentElement ?? undefined);
}

const childNamed = (el: Element, localName: string) => Array.from(el.childNodes).some((n) => (n as Element).localName === localName);

/**
 * SAML attribute values as strings: one value as it is, several as Cognito writes them, `[a, b]`
 * (e.g. `"custom:groups": "[RIDY-RUMESH, RIDY-JOSE, RUMESH]"` from ADFS, in trigger events that
 * Cognito users publish).
 */
function flatten(attributes: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!attributes || typeof attributes !== 'object') return out;
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { _?: unknown })._ === 'string' ? (v as { _: string })._ : undefined);
  for (const [name, value] of Object.entries(attributes as Record<string, unknown>)) {
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
    const values = (Array.isArray(value) ? value : [value]).map(text).filter((v): v is string => v !== undefined);
    if (values.length) out[name] = values.length === 1 ? values[0]! : `[${values.join(', ')}]`;
  }
  return out;
}

/**
 * Checks an IdP's LogoutResponse (HTTP-POST) to the LogoutRequest `requestId`: signed by a
 * certificate of the metadata (node-saml), answering that request, status Success. Throws
 * SamlRefused otherwise.
 */
export async function verifySamlLogoutResponse(app: App, pool: UserPool, provider: IdentityProvider, samlResponse: string, requestId: string, acsUrl: string): Promise<void> {
  samlResponse = samlResponse.replace(/ /g, '+');
  if (samlResponse.length > MAX_SAML_RESPONSE_CHARS || !BASE64.test(samlResponse)) throw new SamlRefused('Invalid base64 SAMLResponse');
  const root = await parseRoot(Buffer.from(samlResponse, 'base64').toString('utf8'));
  if (!root || root.localName !== 'LogoutResponse') throw new SamlRefused(MALFORMED);
  // node-saml looks for InResponseTo on a Response only; the LogoutResponse's is checked below.
  const sp = await samlSp({ poolId: pool.id, acsUrl, idp: await samlIdpOf(app, provider), requestId: null });
  let result;
  try {
    result = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });
  } catch (err) {
    throw new SamlRefused(describe(err as Error), { cause: err });
  }
  if (!result.loggedOut) throw new SamlRefused(MALFORMED);
  if (root.getAttribute('InResponseTo') !== requestId) throw new SamlRefused(IN_RESPONSE_TO);
  const status = Array.from(root.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'StatusCode'))[0];
  if (status?.getAttribute('Value') !== 'urn:oasis:names:tc:SAML:2.0:status:Success') throw new SamlRefused(`SAML provider returned ${status?.getAttribute('Value') ?? 'no'} status.`); // guessed
}
