import { randomUUID } from 'node:crypto';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { assumedRoleArn, principalId, sessionTokenMatches } from '../domain/identity/credentials.ts';
import {
  assumeRoleWithWebIdentity,
  MAX_DURATION_SECONDS,
  MIN_DURATION_SECONDS,
  StsError,
  validationError,
} from '../domain/identity/web-identity.ts';
import type { WireRequest, WireResponse } from './aws-json.ts';
import { parseSignedRequest, verifySignature, type SignedRequest } from './sigv4.ts';
import { AdminCredentials } from './admin-credentials.ts';

/**
 * An STS-compatible endpoint on Tobira's own port: STS's Query protocol (POST / with a
 * form-encoded body `Action=...&Version=2011-06-15`, XML answers in STS's shapes and namespace),
 * for the credentials Tobira mints (domain/identity/credentials.ts). Two actions:
 * GetCallerIdentity, signed (SigV4, service `sts`) with Tobira's temporary credentials or the
 * configured admin keys; AssumeRoleWithWebIdentity, unsigned as on AWS, taking the OpenID tokens
 * of Tobira's identity pools (the classic flow).
 */

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const VERSION = '2011-06-15';

/** True for a request meant for this endpoint: a form-encoded body with an Action. */
export function isStsRequest(contentType: string | string[] | undefined, body: unknown): boolean {
  const type = (Array.isArray(contentType) ? contentType[0] : contentType) ?? '';
  return /^application\/x-www-form-urlencoded\b/i.test(type) && typeof body === 'string' && new URLSearchParams(body).has('Action');
}

export async function handleSts(app: App, req: WireRequest): Promise<WireResponse> {
  const requestId = randomUUID();
  const started = performance.now();
  const params = new URLSearchParams(req.body);
  const action = params.get('Action') ?? '';
  try {
    if (params.get('Version') !== VERSION || !Object.hasOwn(ACTIONS, action)) {
      // guessed: the Query front end's words for an unknown action or version.
      throw new StsError('InvalidAction', `Could not find operation ${action} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    }
    const result = await ACTIONS[action](app, req, params);
    app.log.info({ requestId, operation: `sts:${action}`, status: 200, ms: Math.round(performance.now() - started) }, 'request');
    return xml(200, requestId, `<${action}Response xmlns="${NS}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`);
  } catch (err) {
    const error = asStsError(err);
    if (!error) app.log.error({ requestId, operation: `sts:${action}`, err }, 'unexpected error');
    const e = error ?? new StsError('InternalFailure', `An internal error occurred. Request id: ${requestId}`, 500);
    app.log.info({ requestId, operation: `sts:${action}`, status: e.status, error: e.code, ms: Math.round(performance.now() - started) }, 'request');
    return xml(
      e.status,
      requestId,
      `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${e.type}</Type>\n    <Code>${e.code}</Code>\n    <Message>${esc(e.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    );
  }
}

type Action = (app: App, req: WireRequest, params: URLSearchParams) => Promise<string>;

const ACTIONS: Record<string, Action> = {
  async GetCallerIdentity(app, req) {
    const caller = await authenticateCaller(app, req);
    return field('Arn', caller.arn) + field('UserId', caller.userId) + field('Account', caller.account);
  },

  async AssumeRoleWithWebIdentity(app, _req, params) {
    const roleArn = required(params, 'RoleArn', 'roleArn');
    const roleSessionName = required(params, 'RoleSessionName', 'roleSessionName');
    const webIdentityToken = required(params, 'WebIdentityToken', 'webIdentityToken');
    // "Request ARN is invalid" is STS's answer to an ARN it cannot parse (guessed from memory of AssumeRole).
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn)) throw new StsError('ValidationError', 'Request ARN is invalid');
    checkSessionName(roleSessionName);
    const durationSeconds = duration(params.get('DurationSeconds'));
    const r = await assumeRoleWithWebIdentity(app, { roleArn, roleSessionName, webIdentityToken, durationSeconds });
    const c = r.credentials;
    return (
      `    <Credentials>\n${field('AccessKeyId', c.accessKeyId, 6)}${field('SecretAccessKey', c.secretAccessKey, 6)}${field('SessionToken', c.sessionToken, 6)}${field('Expiration', isoSeconds(c.expiresAt), 6)}    </Credentials>\n` +
      field('SubjectFromWebIdentityToken', r.subject) +
      `    <AssumedRoleUser>\n${field('Arn', r.assumedRoleArn, 6)}${field('AssumedRoleId', r.assumedRoleId, 6)}    </AssumedRoleUser>\n` +
      field('Provider', r.provider) +
      field('Audience', r.audience)
    );
  },
};

interface Caller {
  arn: string;
  userId: string;
  account: string;
}

/**
 * Who signed a request: Tobira's temporary credentials (the X-Amz-Security-Token must be theirs,
 * and they must not have expired), or a configured admin key (its IAM user: the name or ARN the
 * admin credentials file gives it, else the access key id). Without configured admin keys, any other key is accepted unchecked,
 * as admin calls are in development. STS's own codes: InvalidClientTokenId, ExpiredToken,
 * SignatureDoesNotMatch ...
 */
async function authenticateCaller(app: App, req: WireRequest): Promise<Caller> {
  const signed: SignedRequest = { operationAuth: 'sigv4', service: 'sts', method: req.method, url: req.url, headers: req.headers, body: req.body };
  const parsed = parseSignedRequest(signed);
  const keyId = parsed.scope.accessKeyId;
  const token = single(req.headers['x-amz-security-token']);
  const now = app.clock.now();
  const temporary = await app.store.temporaryCredentials.get(keyId);
  if (temporary) {
    if (token === undefined || !sessionTokenMatches(token, temporary.sessionTokenHash)) throw invalidToken();
    if (temporary.expiresAt <= now) throw new StsError('ExpiredToken', 'The security token included in the request is expired', 403);
    verifySignature(signed, parsed, temporary.secretAccessKey, now);
    return {
      arn: assumedRoleArn(temporary.roleArn, temporary.sessionName),
      userId: `${principalId('AROA', temporary.roleArn)}:${temporary.sessionName}`,
      account: temporary.roleArn.split(':')[4],
    };
  }
  // A session token with a key Tobira did not mint (or swept a day after its expiry).
  if (token !== undefined || keyId.startsWith('ASIA')) throw invalidToken();
  const admin = app.config.adminCredentials;
  if (admin) {
    const secret = admin.get(keyId);
    if (secret === undefined) throw invalidToken();
    verifySignature(signed, parsed, secret, now);
  }
  // The key's principal as its policy refusals name it (http/admin-credentials.ts); GetCallerIdentity
  // needs no permission, on AWS as here.
  const principal = admin instanceof AdminCredentials ? admin.principals.get(keyId) : undefined;
  const arn = principal?.arn ?? `arn:aws:iam::${app.config.accountId}:user/${principal?.name ?? keyId}`;
  return { arn, userId: principalId('AIDA', arn), account: arn.split(':')[4] || app.config.accountId };
}

const invalidToken = () => new StsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);

/** sigv4.ts throws the JSON services' names; STS's Query front end uses its own codes (same words but one). */
function asStsError(err: unknown): StsError | undefined {
  if (err instanceof StsError) return err;
  if (!(err instanceof CognitoError)) return undefined;
  switch (err.type) {
    case 'MissingAuthenticationTokenException':
      return new StsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    case 'IncompleteSignatureException':
      return new StsError('IncompleteSignature', err.message, 400);
    case 'InvalidSignatureException':
      return new StsError('SignatureDoesNotMatch', err.message, 403);
    default:
      return undefined;
  }
}

function required(params: URLSearchParams, name: string, member: string): string {
  const v = params.get(name);
  if (v === null || v === '') throw validationError(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  return v;
}

/** RoleSessionName: 2 to 64 of `[\w+=,.@-]` (the API reference). */
function checkSessionName(v: string): void {
  const at = `Value '${v}' at 'roleSessionName' failed to satisfy constraint:`;
  if (v.length < 2) throw validationError(`${at} Member must have length greater than or equal to 2`);
  if (v.length > 64) throw validationError(`${at} Member must have length less than or equal to 64`);
  if (!/^[\w+=,.@-]*$/.test(v)) throw validationError(`${at} Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
}

function duration(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  const at = `Value '${raw}' at 'durationSeconds' failed to satisfy constraint:`;
  // guessed: STS's words for a value that is not an integer.
  if (!Number.isInteger(n)) throw validationError(`${at} Member must be an integer`);
  if (n < MIN_DURATION_SECONDS) throw validationError(`${at} Member must have value greater than or equal to ${MIN_DURATION_SECONDS}`);
  if (n > MAX_DURATION_SECONDS) throw validationError(`${at} Member must have value less than or equal to ${MAX_DURATION_SECONDS}`);
  return n;
}

/** `2026-01-01T01:00:00Z`, as STS writes times. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const field = (name: string, value: string, indent = 4) => `${' '.repeat(indent)}<${name}>${esc(value)}</${name}>\n`;

/** Element text: quotes stay as they are, as in STS's own answers. */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function xml(status: number, requestId: string, body: string): WireResponse {
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
