import { webcrypto, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';
import { loadX509 } from '../util/x509.ts';
import type { Sealer } from '../store/sealing.ts';

/**
 * Tobira's local certificate authority, for `tobira start --https`: made once, kept on disk and
 * trusted once by the user, it signs a fresh server certificate at every start (so a new
 * --region or --hosted-ui-base-domain is covered without trusting anything again). ECDSA P-256:
 * fast to make, and every client here (Node, OpenSSL under Python and the AWS CLI, browsers) takes it.
 */

const crypto = webcrypto as unknown as Crypto;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** The key file's row name for the sealer: a sealed key copied elsewhere does not open. */
const SEAL_ROW = 'tobira-local-ca-key';
const DAY = 86_400_000;

export interface LocalCa {
  /** The directory holding ca.crt and ca.key. */
  dir: string;
  /** ca.crt, the file users trust. */
  certPath: string;
  cert: X509.X509Certificate;
  key: CryptoKey;
  /** Made by this start (else loaded). */
  created: boolean;
}

/**
 * Where the CA lives: `<data dir>/ca`; with no data directory (--in-memory, PostgreSQL) in the
 * user's config directory, `$XDG_CONFIG_HOME/tobira/ca` or `~/.config/tobira/ca`, so that a
 * throwaway server does not ask to be trusted anew at every start.
 */
export function caDirFor(dataDir: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (dataDir) return join(dataDir, 'ca');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'tobira', 'ca');
}

/** The CA in `dir`, made there first if absent. Its key is sealed when `sealer` seals (a master key). */
export async function loadOrCreateCa(dir: string, sealer: Sealer): Promise<LocalCa> {
  const x509 = await loadX509();
  const loaded = await loadCa(dir, sealer);
  if (loaded) return loaded;
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Tobira local CA (${new Date(now).toISOString().slice(0, 10)})`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 10 * 365 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  // Written into a fresh directory renamed into place: two processes starting on one data
  // directory at once cannot mix one's certificate with the other's key; the loser loads the winner's.
  await mkdir(dirname(dir), { recursive: true });
  const staging = `${dir}.new-${randomBytes(6).toString('hex')}`;
  await mkdir(staging, { mode: 0o700 });
  try {
    await writeFile(join(staging, 'ca.key'), `${sealer.seal(keyPem, SEAL_ROW)}\n`, { mode: 0o600 });
    await writeFile(join(staging, 'ca.crt'), cert.toString('pem') + '\n', { mode: 0o644 });
    try {
      await rename(staging, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      const theirs = await loadCa(dir, sealer);
      if (!theirs) throw new Error(`${dir} exists but holds no ca.crt and ca.key`);
      return theirs;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, certPath: join(dir, 'ca.crt'), cert, key: keys.privateKey, created: true };
}

async function loadCa(dir: string, sealer: Sealer): Promise<LocalCa | undefined> {
  const x509 = await loadX509();
  let certPem: string;
  let keyText: string;
  try {
    [certPem, keyText] = await Promise.all([readFile(join(dir, 'ca.crt'), 'utf8'), readFile(join(dir, 'ca.key'), 'utf8')]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const cert = new x509.X509Certificate(certPem);
  if (cert.notAfter.getTime() < Date.now() + 30 * DAY) {
    throw new Error(`the local certificate authority in ${dir} expires on ${cert.notAfter.toISOString()}: move that directory away and start again to make a new one (and trust the new one)`);
  }
  let keyPem: string;
  try {
    keyPem = sealer.open(keyText.trim(), SEAL_ROW);
  } catch (err) {
    throw new Error(`cannot open the local CA key ${join(dir, 'ca.key')}: ${(err as Error).message}`);
  }
  const key = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), ALG, false, ['sign']);
  return { dir, certPath: join(dir, 'ca.crt'), cert, key, created: false };
}

/** The names a server certificate covers: DNS names (wildcards of one label) and IP addresses. */
export interface ServerNames {
  dns: string[];
  ips: string[];
}

/** A server certificate for `names`, signed by the CA; its key exists only in memory. */
export async function issueServerCertificate(ca: LocalCa, names: ServerNames): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names.dns[0] ?? names.ips[0] ?? 'localhost'}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - DAY),
    // Apple's clients refuse server certificates valid for more than 398 days.
    notAfter: new Date(Math.min(now + 397 * DAY, ca.cert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      // Python 3.13's default (VERIFY_X509_STRICT) requires the authority key identifier.
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const key = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { cert: cert.toString('pem') + '\n', key };
}

/** Sorts names into DNS names and IP addresses, without duplicates (IPv6 without brackets). */
export function serverNames(candidates: (string | undefined | null)[]): ServerNames {
  const dns = new Set<string>();
  const ips = new Set<string>();
  for (const raw of candidates) {
    const name = raw?.replace(/^\[|\]$/g, '').toLowerCase();
    if (!name || name === '0.0.0.0' || name === '::') continue;
    if (isIP(name)) ips.add(name);
    else dns.add(name);
  }
  return { dns: [...dns], ips: [...ips] };
}

/** A positive random serial (the high bit clear, so DER does not read it as negative). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}
