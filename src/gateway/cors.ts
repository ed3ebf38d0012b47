import type { IncomingHttpHeaders } from 'node:http';
import type { CorsConfig } from './config.ts';
import type { GatewayResponse } from './responses.ts';

function allowedOrigin(cors: CorsConfig, origin: string | undefined): string | null {
  if (!origin) return null;
  if (cors.allowOrigins.includes(origin)) return origin;
  // With credentials, browsers refuse `*`: echo the origin instead.
  if (cors.allowOrigins.includes('*')) return cors.allowCredentials ? origin : '*';
  return null;
}

/** A browser's pre-flight (OPTIONS with Origin and Access-Control-Request-Method), or null. */
export function isPreflight(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && !!headers.origin && !!headers['access-control-request-method'];
}

/**
 * Answers a pre-flight without authorization, as HTTP APIs with CORS configured do (a REST API
 * does the same with its OPTIONS mock integration). An origin that is not allowed gets no
 * CORS headers, so the browser blocks the call.
 */
export function preflight(cors: CorsConfig, headers: IncomingHttpHeaders): GatewayResponse {
  const origin = allowedOrigin(cors, headers.origin);
  const out: Record<string, string> = {};
  if (origin) {
    const requested = String(headers['access-control-request-headers'] ?? '');
    out['access-control-allow-origin'] = origin;
    out['access-control-allow-methods'] = cors.allowMethods.includes('*')
      ? String(headers['access-control-request-method'])
      : cors.allowMethods.join(',');
    out['access-control-allow-headers'] = cors.allowHeaders.includes('*') ? requested : cors.allowHeaders.join(',');
    if (cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
    if (cors.maxAge !== null) out['access-control-max-age'] = String(cors.maxAge);
    if (origin !== '*') out.vary = 'Origin';
  }
  return { status: 204, headers: out, body: '' };
}

/** CORS headers for an actual (non-pre-flight) response, 401s included. */
export function corsHeaders(cors: CorsConfig, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = allowedOrigin(cors, headers.origin);
  if (!origin) return {};
  const out: Record<string, string> = { 'access-control-allow-origin': origin };
  if (cors.exposeHeaders.length) out['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  if (cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
  if (origin !== '*') out.vary = 'Origin';
  return out;
}
