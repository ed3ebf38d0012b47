import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest, OAuthError } from './errors.ts';

/**
 * Parameters of a hosted-UI request, from the query or a form body. A parameter given twice is
 * refused (RFC 6749 3.1, 3.2), so two parties can never read different values of one request.
 */
export class Params {
  constructor(readonly raw: URLSearchParams) {}

  get(name: string): string | undefined {
    const all = this.raw.getAll(name);
    if (all.length > 1) throw invalidRequest(`${name} given more than once`);
    return all[0] === '' ? undefined : all[0];
  }

  static query(req: FastifyRequest): Params {
    const url = req.raw.url ?? '';
    const q = url.indexOf('?');
    return new Params(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
  }

  /** A form body (application/x-www-form-urlencoded); anything else is refused. */
  static form(req: FastifyRequest): Params {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') throw invalidRequest('the body must be application/x-www-form-urlencoded');
    return new Params(new URLSearchParams(typeof req.body === 'string' ? req.body : ''));
  }
}

/** The query string of the request as received ('' or '?...'), to carry it from page to page. */
export function queryString(req: FastifyRequest): string {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q);
}

/** The JSON answer of the token, userInfo and revocation endpoints. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json;charset=UTF-8')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send(Buffer.from(JSON.stringify(body)));
}

export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  return sendJson(reply, err.status, err.body());
}

export function sendPage(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'")
    .send(Buffer.from(text));
}
