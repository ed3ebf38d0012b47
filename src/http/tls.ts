import { readFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { sealerFor } from '../store/sealing.ts';
import { caDirFor, issueServerCertificate, loadOrCreateCa, serverNames } from './local-ca.ts';

/** What the HTTPS listener is built with (PEM). */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** The local CA's certificate, when Tobira made the server certificate (absent with --tls-cert). */
  ca?: { certPath: string; created: boolean };
}

/**
 * The certificate and key of `tobira start --https`: the operator's own (--tls-cert, --tls-key),
 * else one the local CA (local-ca.ts) signs for every name this server may be reached by.
 * Undefined when the server speaks plain HTTP.
 */
export async function tlsMaterial(config: Config): Promise<TlsMaterial | undefined> {
  if (config.tlsCert || config.tlsKey) {
    if (!config.tlsCert || !config.tlsKey) throw new Error('--tls-cert and --tls-key go together: give both, or neither for a certificate of the local CA');
    const [cert, key] = await Promise.all([readPem(config.tlsCert, 'certificate'), readPem(config.tlsKey, 'key')]);
    return { cert, key };
  }
  if (!config.https) return undefined;
  const ca = await loadOrCreateCa(caDirFor(config.dataDir && !config.databaseUrl ? config.dataDir : null), sealerFor(config.masterKey));
  const { cert, key } = await issueServerCertificate(ca, serverNames(namesOf(config)));
  return { cert, key, ca: { certPath: ca.certPath, created: ca.created } };
}

/**
 * Loopback by every name, the listen address, the public URL's host, and the hosted UI's hosts.
 * A wildcard covers one label only, so `*.localhost` does not cover
 * `<prefix>.auth.<region>.localhost` (and Node refuses `*.<tld>` wildcards anyway): the configured
 * region's `*.auth.<region>.localhost` is named, and the base domain's `*.<domain>`.
 */
function namesOf(config: Config): (string | null | undefined)[] {
  let publicHost: string | undefined;
  try {
    publicHost = config.publicUrl ? new URL(config.publicUrl).hostname : undefined;
  } catch {
    publicHost = undefined;
  }
  const base = config.hostedUiBaseDomain;
  return [
    'localhost',
    '*.localhost',
    `*.auth.${config.region}.localhost`,
    ...(base ? [base, `*.${base}`] : []),
    publicHost,
    config.host,
    '127.0.0.1',
    '::1',
  ];
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** How to make clients trust the local CA, printed at start. */
export function trustInstructions(certPath: string): string {
  return [
    `HTTPS with a certificate of Tobira's local certificate authority, ${certPath}. Trust it once:`,
    `  Node (Amplify, the JS SDK, aws-jwt-verify, jose): NODE_EXTRA_CA_CERTS=${certPath}`,
    `  the AWS CLI and boto3: AWS_CA_BUNDLE=${certPath}; Python requests: REQUESTS_CA_BUNDLE=${certPath}`,
    `  Debian, Ubuntu: sudo cp ${certPath} /usr/local/share/ca-certificates/tobira-local-ca.crt && sudo update-ca-certificates`,
    `  macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${certPath}`,
  ].join('\n');
}
