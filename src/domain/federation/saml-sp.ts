// Types only at start: node-saml itself is loaded by the first SAML sign-in (it costs ~0.2 s to load).
import type { CacheProvider, SAML, SamlConfig } from '@node-saml/node-saml';
import type { SamlIdp } from './saml-metadata.ts';
import { certificatePem, type SamlSigningMaterial } from './saml-certificate.ts';

/** Cognito's SP entity id, which IdPs are configured with as the audience. */
export const spEntityId = (poolId: string) => `urn:amazon:cognito:sp:${poolId}`;

/** How far apart Tobira's and the IdP's clocks may be. */
export const CLOCK_SKEW_MS = 60_000;

/**
 * The request ids node-saml may accept an InResponseTo for: only the one Tobira sent, which
 * arrives with the parked authorization request (hosted-ui/federation/pending.ts), so no
 * process-local cache is involved and any node can take the response.
 */
function onlyRequest(requestId: string | null): CacheProvider {
  return {
    saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
    getAsync: async (key) => (requestId !== null && key === requestId ? new Date().toISOString() : null),
    removeAsync: async () => null,
  };
}

export interface SpOptions {
  poolId: string;
  /** The pool domain's /saml2/idpresponse, where the IdP posts. */
  acsUrl: string;
  idp: SamlIdp;
  /** The AuthnRequest's ID: given when starting, and when checking the answer to it (null: IdP-initiated). */
  requestId: string | null;
  /** Given when AuthnRequests are signed (RequestSigningAlgorithm). */
  signing?: SamlSigningMaterial;
  /** The private key that opens encrypted assertions (EncryptedResponses). */
  decryptionKey?: string;
  /** The IdP's SingleLogoutService (HTTP-Redirect), for LogoutRequests. */
  logoutUrl?: string;
}

/**
 * A node-saml service provider for one pool and IdP. Either the response or the assertion must
 * be signed by a certificate in the IdP's metadata (Cognito accepts any of them,
 * cognito-user-pools-saml-idp-things-to-know); the audience is the pool's SP entity id.
 */
export async function samlSp(o: SpOptions): Promise<SAML> {
  const { SAML, ValidateInResponseTo } = await import('@node-saml/node-saml');
  const config: SamlConfig = {
    issuer: spEntityId(o.poolId),
    audience: spEntityId(o.poolId),
    callbackUrl: o.acsUrl,
    entryPoint: o.idp.ssoRedirect ?? o.idp.ssoPost,
    ...(o.logoutUrl ? { logoutUrl: o.logoutUrl } : {}),
    idpCert: o.idp.signingCertificates.map(certificatePem),
    idpIssuer: o.idp.entityId,
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: o.requestId === null ? ValidateInResponseTo.never : ValidateInResponseTo.always,
    cacheProvider: onlyRequest(o.requestId),
    generateUniqueId: () => o.requestId ?? '',
    // No NameID format nor authentication context asked: the IdP sends what it is configured to.
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    // The HTTP-POST binding carries the AuthnRequest as plain base64 (SAML bindings 3.5.4), not deflated.
    skipRequestCompression: !o.idp.ssoRedirect,
    ...(o.signing
      ? { privateKey: o.signing.privateKeyPem, signatureAlgorithm: 'sha256' as const, digestAlgorithm: 'sha256' }
      : {}),
    ...(o.decryptionKey ? { decryptionPvk: o.decryptionKey } : {}),
  };
  return new SAML(config);
}
