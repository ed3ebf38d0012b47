import { isIP } from 'node:net';
import type { AppClient } from '../types.ts';

/**
 * Where a request comes from, as threat protection sees it: the connection's address and
 * User-Agent, and what the caller says of its user's device (UserContextData on the public
 * operations, ContextData on AdminInitiateAuth / AdminRespondToAuthChallenge). The HTTP layer
 * builds it once per call (http/aws-json.ts: RequestContext.origin) and the handlers pass it down
 * to the sign-in, sign-up, recovery and password code as an argument. It is not kept in an
 * AsyncLocalStorage: while one is on, Node runs hooks at every promise of the process, which cost
 * about 3.5% of a REFRESH_TOKEN_AUTH's CPU. The hosted UI's sign-up and password-reset pages pass
 * none (README.md: recorded without the address).
 */
export interface RequestOrigin {
  sourceIp: string;
  /** The API request's id, which exported records carry. */
  requestId?: string;
  userAgent?: string;
  /** UserContextData.IpAddress: used only where the client allows it (effectiveIp). */
  claimedIp?: string;
  /** ContextData.IpAddress of an Admin call, which IAM authenticates: always used. */
  adminIp?: string;
  /** ContextData.HttpHeaders' User-Agent of an Admin call. */
  adminUserAgent?: string;
  /** UserContextData / ContextData EncodedData: the device fingerprint of Cognito's context-data library. */
  encodedData?: string;
}

type Headers = Record<string, string | string[] | undefined>;

/** The connection's address and User-Agent header (a repeated header is not taken). */
const connectionOf = (sourceIp: string, headers: Headers): RequestOrigin => ({
  sourceIp,
  userAgent: typeof headers['user-agent'] === 'string' ? headers['user-agent'] : undefined,
});

/** The origin of one API call: the connection, and the body's UserContextData or ContextData. */
export function originOfCall(call: { sourceIp: string; headers: Headers; requestId: string }, body: Record<string, unknown>): RequestOrigin {
  const origin: RequestOrigin = { ...connectionOf(call.sourceIp, call.headers), requestId: call.requestId };
  const ucd = body.UserContextData as { IpAddress?: unknown; EncodedData?: unknown } | undefined;
  if (ucd && typeof ucd === 'object') {
    if (typeof ucd.IpAddress === 'string' && isIP(ucd.IpAddress)) origin.claimedIp = ucd.IpAddress;
    if (typeof ucd.EncodedData === 'string') origin.encodedData = ucd.EncodedData;
  }
  const cd = body.ContextData as { IpAddress?: unknown; EncodedData?: unknown; HttpHeaders?: unknown } | undefined;
  if (cd && typeof cd === 'object') {
    if (typeof cd.IpAddress === 'string' && isIP(cd.IpAddress)) origin.adminIp = cd.IpAddress;
    if (typeof cd.EncodedData === 'string') origin.encodedData = cd.EncodedData;
    if (Array.isArray(cd.HttpHeaders)) {
      const ua = cd.HttpHeaders.find((h) => typeof h?.headerName === 'string' && h.headerName.toLowerCase() === 'user-agent');
      if (typeof ua?.headerValue === 'string') origin.adminUserAgent = ua.headerValue;
    }
  }
  return origin;
}

/** The origin of a hosted UI page's request (its form carries no context data). */
export const hostedOrigin = (req: { ip: string; headers: Headers }): RequestOrigin => connectionOf(req.ip, req.headers);

/**
 * The address risk is judged on. Cognito takes UserContextData.IpAddress only from a client with
 * EnablePropagateAdditionalUserContextData (developer guide, "Adding user device and session
 * data to API requests"); an Admin call's ContextData.IpAddress always.
 */
export function effectiveIp(origin: RequestOrigin, client: AppClient | undefined): string {
  if (origin.adminIp) return origin.adminIp;
  if (origin.claimedIp && client?.config.EnablePropagateAdditionalUserContextData) return origin.claimedIp;
  return origin.sourceIp;
}

/** What the device looks like: EventContextData's DeviceName and Timezone, and the key the signals compare. */
export interface DeviceView {
  deviceName: string;
  timezone?: string;
  /** The fingerprint's DeviceId when the caller sent one, else the user agent. */
  key: string;
}

export function deviceOf(origin: RequestOrigin): DeviceView {
  const fingerprint = decodeFingerprint(origin.encodedData);
  const ua = fingerprint?.UserAgent ?? origin.adminUserAgent ?? origin.userAgent ?? '';
  return {
    deviceName: deviceName(ua),
    ...(fingerprint?.ClientTimezone ? { timezone: fingerprint.ClientTimezone } : {}),
    key: (fingerprint?.DeviceId ?? ua).slice(0, 512),
  };
}

/**
 * The EncodedData of amazon-cognito-advanced-security-data.js, read best effort: base64 of
 * `{"payload": "<JSON>", "signature": ..., "version": ...}` whose payload holds `contextData`
 * (UserAgent, DeviceId, ClientTimezone ...). Anything else is ignored.
 */
function decodeFingerprint(encoded: string | undefined): Record<string, string> | undefined {
  if (!encoded || encoded.length > 16_384) return undefined;
  try {
    const outer = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    const payload = typeof outer?.payload === 'string' ? JSON.parse(outer.payload) : outer?.payload;
    const data = payload?.contextData;
    if (!data || typeof data !== 'object') return undefined;
    const out: Record<string, string> = {};
    for (const k of ['UserAgent', 'DeviceId', 'ClientTimezone']) if (typeof data[k] === 'string') out[k] = data[k].slice(0, 512);
    return out;
  } catch {
    return undefined;
  }
}

/** Browsers (or SDKs) and systems by the marks their User-Agent carries, first match wins. */
const BROWSERS: [RegExp, string][] = [
  [/Edg\/(\d+)/, 'Edge'],
  [/Firefox\/(\d+)/, 'Firefox'],
  [/Chrome\/(\d+)/, 'Chrome'],
  [/Version\/(\d+).*Safari/, 'Safari'],
  [/aws-sdk-js\/(\d+)/, 'aws-sdk-js'],
  [/aws-cli\/(\d+)/, 'aws-cli'],
  [/Boto3\/(\d+)/, 'Boto3'],
];
const SYSTEMS: [RegExp, string][] = [
  [/Windows NT 10/, 'Windows 10'],
  [/Windows/, 'Windows'],
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Mac OS X/, 'Mac OS X'],
  [/Linux|linux/, 'Linux'],
];

/** "Chrome 126, Windows 10" from a user agent, as Cognito's EventContextData names devices; "Other, Other" when unknown. */
export function deviceName(ua: string): string {
  let browser = 'Other';
  for (const [re, name] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1] ?? 'Other';
  return `${browser}, ${os}`;
}
