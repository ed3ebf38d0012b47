import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

/**
 * @peculiar/x509 (certificates for SAML and --https), loaded on first use rather than at start
 * (loading it costs a fifth of a second), with Node's WebCrypto as its provider.
 */
let loading: Promise<typeof X509> | undefined;
export function loadX509(): Promise<typeof X509> {
  loading ??= import('@peculiar/x509').then((m) => {
    m.cryptoProvider.set(webcrypto as unknown as Crypto);
    return m;
  });
  return loading;
}
