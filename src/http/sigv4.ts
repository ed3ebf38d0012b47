import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CognitoError } from '../errors.ts';

/**
 * AWS Signature Version 4 on the admin (IAM) operations. The CLI and SDKs sign those; end-user
 * operations (the model's `auth: none`: InitiateAuth, SignUp, GetUser ...) arrive unsigned and
 * are never checked. Without configured credentials every admin call is accepted, as in
 * development; with them (TOBIRA_ADMIN_CREDENTIALS or --admin-credentials-file), an admin call
 * must be signed by one of them (and allowed by its IAM policy, if it has one:
 * http/admin-credentials.ts), and is refused with the errors AWS's front end gives:
 * MissingAuthenticationTokenException, IncompleteSignatureException, UnrecognizedClientException,
 * InvalidSignatureException.
 */
export interface SigV4Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** The credential scope of an `AWS4-HMAC-SHA256 Credential=AKID/20260101/region/service/aws4_request, ...` header. */
export function parseCredentialScope(authorization: string | undefined): SigV4Scope | undefined {
  const m = authorization?.match(/^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/);
  if (!m) return undefined;
  return { accessKeyId: m[1], date: m[2], region: m[3], service: m[4] };
}

/** What signature checking needs of a request, as it arrived. */
export interface SignedRequest {
  operationAuth: 'none' | 'sigv4';
  /** The service's signing name, which the credential scope must name: cognito-idp or cognito-identity. */
  service: string;
  method: string;
  /** The request target as sent: path and query, still percent-encoded. */
  url: string;
  /** Header names in lower case (Node's form); repeated ones joined with ", ". */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Access key id -> secret access key. */
export type Credentials = ReadonlyMap<string, string>;

/** AWS's allowed clock skew. */
const MAX_SKEW_MS = 5 * 60 * 1000;

const missingToken = () => new CognitoError('MissingAuthenticationTokenException', 'Missing Authentication Token');
const incomplete = (msg: string) => new CognitoError('IncompleteSignatureException', msg);
const invalidSignature = (msg: string) => new CognitoError('InvalidSignatureException', msg);
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Authenticates a call: returns its credential scope (whose region is the request's region), or
 * throws as AWS does. Checks signatures only for admin operations and only when credentials are
 * configured.
 */
export function authenticate(req: SignedRequest, credentials: Credentials | null, now: number): SigV4Scope | undefined {
  const authorization = single(req.headers.authorization);
  if (!credentials || req.operationAuth === 'none') return parseCredentialScope(authorization);
  const parsed = parseSignedRequest(req);
  const secret = credentials.get(parsed.scope.accessKeyId);
  if (secret === undefined) throw unrecognizedClient();
  return verifySignature(req, parsed, secret, now);
}

/** AWS's answer to an access key (or session token) it does not know. */
export const unrecognizedClient = () => new CognitoError('UnrecognizedClientException', 'The security token included in the request is invalid.');

/**
 * The first half of a signature check: the Authorization header, parsed, or AWS's error for a
 * missing or malformed one. Its scope names the access key to look up (synchronously from the
 * configured admin keys, or asynchronously from the store for temporary credentials) before
 * `verifySignature`.
 */
export function parseSignedRequest(req: SignedRequest): ParsedAuthorization {
  const authorization = single(req.headers.authorization);
  if (!authorization) throw missingToken();
  return parseAuthorization(authorization);
}

/** The second half: the signature, date and scope checked against the key's secret; returns the scope. */
export function verifySignature(req: SignedRequest, parsed: ParsedAuthorization, secret: string, now: number): SigV4Scope {
  const authorization = single(req.headers.authorization)!;
  const { scope, signedHeaders, signature: given } = parsed;
  if (scope.service !== req.service) throw invalidSignature(`Credential should be scoped to correct service: '${req.service}'. `);

  const amzDate = requestDate(req.headers);
  if (!amzDate) {
    throw incomplete(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`);
  }
  const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (signedAt < now - MAX_SKEW_MS) {
    throw invalidSignature(`Signature expired: ${amzDate} is now earlier than ${basic(now - MAX_SKEW_MS)} (${basic(now)} - 5 min.)`);
  }
  if (signedAt > now + MAX_SKEW_MS) {
    throw invalidSignature(`Signature not yet current: ${amzDate} is still later than ${basic(now + MAX_SKEW_MS)} (${basic(now)} + 5 min.)`);
  }
  if (scope.date !== amzDate.slice(0, 8)) throw invalidSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  if (!signedHeaders.includes('host')) throw invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

  const expected = signature(secret, scope, amzDate, canonicalRequest(req, signedHeaders));
  if (!timingSafeEqual(given, expected)) throw invalidSignature(MISMATCH);
  return scope;
}

export interface ParsedAuthorization {
  scope: SigV4Scope;
  signedHeaders: string[];
  /** 32 bytes: the header's 64 hex digits. */
  signature: Buffer;
}

function parseAuthorization(header: string): ParsedAuthorization {
  if (!header.startsWith('AWS4-HMAC-SHA256 ')) throw incomplete(`Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${header}`);
  const params = new Map<string, string>();
  for (const part of header.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((p) => !params.get(p));
  const scope = parseCredentialScope(header);
  if (missing.length || !scope) {
    const names = missing.length ? missing : ['Credential'];
    throw incomplete(`${names.map((p) => `Authorization header requires '${p}' parameter.`).join(' ')} Authorization=${header}`);
  }
  const signature = params.get('Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature)) throw invalidSignature(MISMATCH);
  return { scope, signedHeaders: params.get('SignedHeaders')!.toLowerCase().split(';'), signature: Buffer.from(signature, 'hex') };
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/** The canonical request of SigV4 (non-S3 rules: each path segment encoded twice). */
export function canonicalRequest(req: Pick<SignedRequest, 'method' | 'url' | 'headers' | 'body'>, signedHeaders: string[]): string {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const canonicalUri = path.split('/').map((seg) => rfc3986(rfc3986(decode(seg)))).join('/') || '/';
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = eq < 0 ? pair : pair.slice(0, eq);
      const v = eq < 0 ? '' : pair.slice(eq + 1);
      return [rfc3986(decode(k)), rfc3986(decode(v))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerLines = signedHeaders.map((name) => {
    const raw = req.headers[name];
    const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    return `${name}:${values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`;
  });
  const payloadHash = createHash('sha256').update(req.body, 'utf8').digest('hex');
  return [req.method.toUpperCase(), canonicalUri, canonicalQuery, headerLines.join(''), signedHeaders.join(';'), payloadHash].join('\n');
}

/** The signature over a canonical request, as bytes. */
export function signature(secret: string, scope: Omit<SigV4Scope, 'accessKeyId'>, amzDate: string, canonical: string): Buffer {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
  return hmac(signingKey(secret, scope, hmac), stringToSign);
}

/**
 * Derived signing keys by secret and scope: the key changes only with the day, so every call of
 * a day would otherwise repeat the same four HMACs. Few keys sign at once; the map is cleared
 * when it grows past that, and held in memory only (as the secrets are).
 */
const signingKeys = new Map<string, Buffer>();
function signingKey(secret: string, scope: Omit<SigV4Scope, 'accessKeyId'>, hmac: (key: string | Buffer, data: string) => Buffer): Buffer {
  const id = `${scope.date}/${scope.region}/${scope.service}/${secret}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, scope.date), scope.region), scope.service), 'aws4_request');
    if (signingKeys.size >= 256) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/**
 * The request's time in ISO 8601 basic form (20260101T000000Z), which the string to sign
 * carries: X-Amz-Date, or else the HTTP Date header (IMF-fixdate, `Sun, 06 Dec 2026 22:00:00
 * GMT`), which AWS accepts in its place (its IncompleteSignature text names both). Undefined when
 * neither is there in a form AWS reads.
 */
function requestDate(headers: SignedRequest['headers']): string | undefined {
  const amz = single(headers['x-amz-date']);
  if (amz !== undefined) return /^\d{8}T\d{6}Z$/.test(amz) ? amz : undefined;
  const http = single(headers.date);
  const m = http?.match(/^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/);
  if (!m) return undefined;
  const month = 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(m[2]) / 3 + 1;
  const ms = Date.UTC(+m[3], month - 1, +m[1], +m[4], +m[5], +m[6]);
  if (Number.isNaN(ms)) return undefined;
  return basic(ms);
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** 20260101T000000Z */
function basic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
