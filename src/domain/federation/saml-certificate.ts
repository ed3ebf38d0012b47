import { createHash, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { loadX509 } from '../../util/x509.ts';
import type { App } from '../../app.ts';

/**
 * The pool's SAML signing certificate (GetSigningCertificate) and its private key: a self-signed
 * RSA 2048 / SHA-256 certificate, valid ten years as Cognito's are
 * (cognito-user-pools-SAML-signing-encryption), made by whichever node asks first and kept in
 * pool_secrets, sealed under the master key like every per-pool secret. Cognito adds a new one
 * every year; Tobira keeps the first (it is valid for ten). Each SAML provider with
 * EncryptedResponses gets its own key pair and certificate the same way, as in Cognito ("a
 * public-private RSA key pair and a certificate to each external SAML provider").
 *
 * node:crypto has no certificate builder; @peculiar/x509 (pure JS over WebCrypto) makes one.
 */
export interface SamlSigningMaterial {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** The certificate as base64 DER, as GetSigningCertificate answers it. */
  certificate: string;
}

const PURPOSE = 'saml-signing';
const TEN_YEARS_MS = 3650 * 24 * 60 * 60 * 1000;
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };


// The stored material never changes once made, so each server reads it once per pool.
const caches = new WeakMap<App, Map<string, Promise<SamlSigningMaterial>>>();

/** The pool's signing key and certificate, made on first use. */
export const samlSigningMaterial = (app: App, poolId: string) => material(app, poolId, PURPOSE);

/** The key and certificate an IdP encrypts assertions to for this provider (EncryptedResponses), made on first use. */
export const samlEncryptionMaterial = (app: App, poolId: string, providerName: string) => material(app, poolId, `saml-encryption/${providerName}`);

function material(app: App, poolId: string, purpose: string): Promise<SamlSigningMaterial> {
  let cache = caches.get(app);
  if (!cache) caches.set(app, (cache = new Map()));
  const key = `${poolId}/${purpose}`;
  let m = cache.get(key);
  if (!m) {
    m = load(app, poolId, purpose);
    cache.set(key, m);
    m.catch(() => cache.delete(key));
  }
  return m;
}

async function load(app: App, poolId: string, purpose: string): Promise<SamlSigningMaterial> {
  const candidate = JSON.stringify(await make(poolId, app.clock.now()));
  return JSON.parse(await app.store.sessions.poolSecret(poolId, purpose, candidate, app.clock.now())) as SamlSigningMaterial;
}

async function make(poolId: string, now: number): Promise<SamlSigningMaterial> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // A positive serial from the pool id and the time: unique per certificate made.
    serialNumber: `01${createHash('sha256').update(`${poolId}/${now}`).digest('hex').slice(0, 30)}`,
    name: `CN=${poolId}`, // guessed: the subject Cognito gives its pool certificates was not found
    notBefore: new Date(now),
    notAfter: new Date(now + TEN_YEARS_MS),
    signingAlgorithm: ALGORITHM,
    keys,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`,
    certificate: cert.toString('base64'),
  };
}

/** A base64 DER certificate as PEM. */
export const certificatePem = (der: string) => `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
