import http from 'node:http';
import https from 'node:https';
import type { Claims } from './authorizer.ts';
import type { GatewayRequest } from './request.ts';
import type { GatewayResponse } from './responses.ts';

// Headers of one hop that a proxy never forwards (RFC 9110 7.6.1), plus Host, which names the upstream.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

export class UpstreamTimeout extends Error {}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** The request path would climb out of the upstream's path (a `..` segment): no such resource. */
export class BadUpstreamPath extends Error {}

// What the WHATWG URL parser treats as `.` and `..` segments.
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;

/**
 * The target URL: `{name}` / `{name+}` in the upstream URL take the route's path parameters
 * (HTTP proxy integrations do this); otherwise the request's resource path is appended to the
 * upstream's path. The query string is passed on as received. A path that would resolve a
 * dot segment is refused, so `/files/..%2Fadmin` cannot leave the upstream's base path.
 */
export function upstreamUrl(
  base: string,
  req: GatewayRequest,
  pathParameters: Record<string, string> | null,
  greedyName: string | null,
): URL {
  let target: string;
  if (/\{[^}]+\}/.test(base)) {
    // A greedy parameter keeps its slashes; any other is one segment (a `/` in it stays %2F).
    target = base.replace(/\{([^}+]+)\+?\}/g, (_m, name: string) => {
      const v = pathParameters?.[name] ?? '';
      return name === greedyName ? v.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(v);
    });
  } else {
    const u = new URL(base);
    target = `${u.origin}${u.pathname.replace(/\/+$/, '')}${req.path}`;
  }
  const path = target.replace(/^[a-z]+:\/\/[^/]*/i, '').replace(/[?#].*$/, '');
  if (path.split('/').some((seg) => DOT_SEGMENT.test(seg))) throw new BadUpstreamPath(path);
  const url = new URL(target);
  if (req.rawQuery) url.search = url.search ? `${url.search}&${req.rawQuery}` : `?${req.rawQuery}`;
  return url;
}

/**
 * Forwards the request (method, path, query, headers, body) and returns the upstream's answer.
 * The verified claims travel in `claimsHeader` as JSON; a client-sent header of that name is
 * dropped first, so the upstream can trust it.
 */
export function forward(
  url: URL,
  req: GatewayRequest,
  claims: Claims | null,
  claimsHeader: string | null,
  timeoutMs: number,
): Promise<GatewayResponse> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (HOP.has(name) || name === claimsHeader) continue;
    const prev = headers[name];
    const value = req.rawHeaders[i + 1];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const xff = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${req.sourceIp}` : req.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-host'] ??= req.host;
  headers['x-amzn-requestid'] = req.requestId;
  if (claims && claimsHeader) headers[claimsHeader] = asciiJson(claims);
  if (req.body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(req.method)) headers['content-length'] = String(req.body.length);

  const isHttps = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const out = (isHttps ? https : http).request(
      url,
      { method: req.method, headers, agent: isHttps ? agents.https : agents.http },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          const h: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP.has(k)) h[k] = v;
          resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
        });
      },
    );
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    // The integration timeout bounds the whole exchange, as API Gateway's does (504 past it,
    // knowledge center "api-gateway-504-errors"), so an upstream trickling its body cannot hold
    // the request open; a socket idle timeout alone would be reset by every byte.
    const timer = setTimeout(() => out.destroy(new UpstreamTimeout('upstream timed out')), timeoutMs);
    out.on('error', fail);
    out.end(req.body);
  });
}

/**
 * JSON with every non-ASCII character escaped (`\u5c71`): a header value must be Latin-1, and
 * Node refuses anything beyond it, so a user named 山田 would otherwise fail every upstream call.
 * JSON.parse gives back the same claims.
 */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
