import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { GatewayRoute } from './config.ts';
import type { PoolKeys } from './jwks.ts';
import type { TokenStatusClient } from './token-status.ts';

export type Claims = Record<string, unknown>;

export type AuthResult =
  | { ok: true; claims: Claims; scopes: string[] | null }
  | { ok: false; status: 401 | 403; reason: string };

const JWT_SHAPE = /^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}$/;
const MAX_TOKEN = 16 * 1024;

/**
 * API Gateway's user-pool authorizers. `cognito` is a REST API's COGNITO_USER_POOLS authorizer:
 * without scopes on the route it wants an ID token; with scopes, an access token holding one of
 * them (re:Post "need access token as header in cognito"; knowledge center
 * "api-gateway-cognito-401-unauthorized"), and every refusal, a missing scope included, is 401.
 * `jwt` is an HTTP API's JWT authorizer: any token type, audience = `aud`, or `client_id` when
 * there is no `aud`; a valid token without a route scope is 403 (API Gateway guide,
 * "http-api-troubleshooting-jwt" and "rest-api-jwt-authorizer-methods").
 * Both check the RS256 signature against the pool's JWKS, the issuer and the expiry; Tobira's
 * gateway also refuses revoked tokens.
 */
export class Authorizer {
  /** Payloads of tokens whose signature was checked, by pool and token, until they expire. */
  private readonly verified = new Map<string, { claims: Claims; exp: number }>();

  constructor(
    private readonly keys: PoolKeys,
    private readonly status: TokenStatusClient | null,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly maxCached = 10_000,
  ) {}

  async authorize(route: GatewayRoute, header: string | string[] | undefined): Promise<AuthResult> {
    // Two token headers: which one the integration reads (the Lambda event keeps the last, an
    // upstream gets both) need not be the one checked here, so neither is trusted.
    if (Array.isArray(header) && header.length > 1) return deny(401, 'several token headers');
    let token = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
    // Clients send the bare token or `Bearer <token>`; API Gateway takes both.
    if (/^bearer\s/i.test(token)) token = token.slice(7).trim();
    if (token === '') return deny(401, 'no token');
    if (token.length > MAX_TOKEN || !JWT_SHAPE.test(token)) return deny(401, 'malformed token');

    const claims = await this.verifySignature(route, token);
    if (!claims) return deny(401, 'invalid signature');

    const now = Math.floor(this.clock.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) return deny(401, 'the token has expired');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now)) return deny(401, 'the token is not valid yet');
    const issuers = route.issuer ? [route.issuer] : await this.keys.issuers(route.endpoint, route.userPoolId);
    if (typeof claims.iss !== 'string' || !issuers.includes(claims.iss)) return deny(401, 'the token has an invalid issuer');

    const tokenScopes = scopesOf(claims);
    if (route.authorizer === 'cognito') {
      const wanted = route.scopes.length === 0 ? 'id' : 'access';
      if (claims.token_use !== wanted) return deny(401, `the route wants an ${wanted === 'id' ? 'ID' : 'access'} token`);
      const client = wanted === 'id' ? claims.aud : claims.client_id;
      if (route.clientIds && (typeof client !== 'string' || !route.clientIds.includes(client))) return deny(401, 'the token is for another app client');
      if (wanted === 'access' && !route.scopes.some((s) => tokenScopes.includes(s))) return deny(401, 'the token lacks the route scopes');
    } else {
      const aud = claims.aud !== undefined ? claims.aud : claims.client_id;
      const auds = Array.isArray(aud) ? aud : [aud];
      if (route.clientIds && !auds.some((a) => typeof a === 'string' && route.clientIds!.includes(a))) {
        return deny(401, 'the token does not have a valid audience');
      }
      if (route.scopes.length > 0 && !route.scopes.some((s) => tokenScopes.includes(s))) return deny(403, 'insufficient_scope');
    }

    if (this.status && !(await this.status.active(route.endpoint, token))) return deny(401, 'the token has been revoked');
    return { ok: true, claims, scopes: claims.scope !== undefined || claims.scp !== undefined ? tokenScopes : null };
  }

  private async verifySignature(route: GatewayRoute, token: string): Promise<Claims | null> {
  // jose is loaded on first use, not at start.
    const { compactVerify, decodeProtectedHeader } = await import('jose');
    const cacheKey = `${route.endpoint}/${route.userPoolId} ${token}`;
    const hit = this.verified.get(cacheKey);
    if (hit) return hit.claims;
    let kid: unknown;
    try {
      const h = decodeProtectedHeader(token);
      // Cognito signs with RS256 only: anything else (none, HS256 with the public key ...) is refused.
      if (h.alg !== 'RS256') return null;
      kid = h.kid;
    } catch {
      return null;
    }
    if (typeof kid !== 'string' || kid === '') return null;
    const key = await this.keys.key(route.endpoint, route.userPoolId, kid);
    if (!key) return null;
    let claims: Claims;
    try {
      const { payload } = await compactVerify(token, key, { algorithms: ['RS256'] });
      claims = safeJsonObject(new TextDecoder().decode(payload));
    } catch {
      return null;
    }
    if (typeof claims.exp === 'number') {
      if (this.verified.size >= this.maxCached) this.dropExpired();
      if (this.verified.size < this.maxCached) this.verified.set(cacheKey, { claims, exp: claims.exp });
    }
    return claims;
  }

  private dropExpired(): void {
    const now = this.clock.now() / 1000;
    for (const [k, v] of this.verified) if (v.exp <= now) this.verified.delete(k);
    // Still full of live tokens: start over rather than grow without bound.
    if (this.verified.size >= this.maxCached) this.verified.clear();
  }
}

function deny(status: 401 | 403, reason: string): AuthResult {
  return { ok: false, status, reason };
}

/** Scopes from `scope` (space-separated, as Cognito writes it) or `scp` (a list, other issuers). */
function scopesOf(claims: Claims): string[] {
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter((s) => s !== '');
  if (Array.isArray(claims.scp)) return claims.scp.filter((s): s is string => typeof s === 'string');
  if (typeof claims.scp === 'string') return claims.scp.split(' ').filter((s) => s !== '');
  return [];
}

/** A JSON object with no prototype-polluting keys, or an error. */
function safeJsonObject(text: string): Claims {
  const v = JSON.parse(text, (k, val) => (k === '__proto__' || k === 'constructor' || k === 'prototype' ? undefined : val));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('payload is not an object');
  return v as Claims;
}
