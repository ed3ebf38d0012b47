import type { GatewayResponse } from './responses.ts';

/**
 * The handler's answer is not one API Gateway can turn into a response. (How handlers run, and
 * their other failures, is src/functions/.)
 */
export class MalformedLambdaResponse extends Error {}

function headerMap(result: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const single = result.headers;
  const multi = result.multiValueHeaders;
  if (single !== undefined && single !== null) {
    if (typeof single !== 'object' || Array.isArray(single)) throw new MalformedLambdaResponse('headers must be an object');
    for (const [k, v] of Object.entries(single)) if (v !== null && v !== undefined) out[k.toLowerCase()] = String(v);
  }
  if (multi !== undefined && multi !== null) {
    if (typeof multi !== 'object' || Array.isArray(multi)) throw new MalformedLambdaResponse('multiValueHeaders must be an object');
    // multiValueHeaders and headers are merged; a name in both takes the lists' values.
    for (const [k, v] of Object.entries(multi)) {
      if (!Array.isArray(v)) throw new MalformedLambdaResponse('multiValueHeaders values must be lists');
      out[k.toLowerCase()] = v.map(String);
    }
  }
  return out;
}

function bodyOf(result: Record<string, unknown>, strict: boolean): Buffer {
  const body = result.body;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') {
    // REST (1.0) wants a string body: an object there is "Malformed Lambda proxy response".
    if (strict) throw new MalformedLambdaResponse('body must be a string');
    return Buffer.from(JSON.stringify(body));
  }
  return result.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function statusOf(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  // A 1xx is never a final answer (RFC 9110 15.2): sent as one, clients wait for the real answer.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 200 || n > 599) throw new MalformedLambdaResponse(`invalid statusCode ${String(v)}`);
  return n;
}

/**
 * Payload 1.0 answer: an object {statusCode, headers, multiValueHeaders, body, isBase64Encoded}.
 * Anything else (a string, an object without statusCode) is what REST APIs call a "Malformed
 * Lambda proxy response" and answer with 502.
 */
export function restResult(result: unknown): GatewayResponse {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw new MalformedLambdaResponse('the answer is not an object');
  const r = result as Record<string, unknown>;
  if (r.statusCode === undefined) throw new MalformedLambdaResponse('statusCode is missing');
  const headers = headerMap(r);
  headers['content-type'] ??= 'application/json';
  return { status: statusOf(r.statusCode), headers, body: bodyOf(r, true) };
}

/**
 * Payload 2.0 answer: the same object (plus `cookies`), or, without statusCode, any JSON value,
 * which HTTP APIs send as a 200 application/json body (a string as it is).
 */
export function httpApiResult(result: unknown): GatewayResponse {
  const isObj = typeof result === 'object' && result !== null && !Array.isArray(result);
  if (!isObj || (result as Record<string, unknown>).statusCode === undefined) {
    if (result === undefined) return { status: 200, headers: { 'content-type': 'application/json' }, body: '' };
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return { status: 200, headers: { 'content-type': 'application/json' }, body };
  }
  const r = result as Record<string, unknown>;
  const headers = headerMap(r);
  headers['content-type'] ??= 'application/json';
  if (r.cookies !== undefined) {
    if (!Array.isArray(r.cookies)) throw new MalformedLambdaResponse('cookies must be a list');
    const existing = headers['set-cookie'];
    headers['set-cookie'] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), ...r.cookies.map(String)];
  }
  return { status: statusOf(r.statusCode), headers, body: bodyOf(r, false) };
}
