import type { App } from '../app.ts';
import { html, type SafeHtml } from '../hosted-ui/html.ts';
import { parseJwt, verifySignature } from '../domain/tokens/jwt.ts';
import { poolJwks, verificationKey } from '../domain/tokens/keys.ts';
import { isRevoked } from '../domain/tokens/revocation.ts';
import { issuerFor } from '../domain/tokens/tokens.ts';
import { dl, form, href, section } from './layout.ts';
import type { ConsolePage } from './page.ts';

const check = (ok: boolean, text: string) => html`<li>${ok ? 'Pass' : 'Fail'}: ${text}</li>`;
const dateOf = (s: unknown) => (typeof s === 'number' ? new Date(s * 1000).toISOString() : undefined);

/**
 * Decodes a pasted JWT and checks it as verifyPoolToken (domain/tokens/access-tokens.ts) would:
 * the kid in a pool's JWKS, the RS256 signature, iss, token_use, expiry; then revocation. Every
 * failure is listed, not just the first, since the operator wants to know what is wrong.
 */
async function inspect(app: App, token: string): Promise<SafeHtml> {
  const jwt = parseJwt(token.trim());
  if (!jwt) return html`<p class="error" role="alert">Not a JWT: expected three base64url parts, the first two JSON objects.</p>`;
  const { header, payload: claims } = jwt;
  const now = app.clock.now();
  const checks: SafeHtml[] = [];
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const key = kid ? await verificationKey(app.store, kid, now) : undefined;
  checks.push(check(!!key, kid ? `kid ${kid} ${key ? `is a key of pool ${key.poolId} (${key.tokenUse} tokens)` : 'is in no pool\'s JWKS (unknown, or retired after its tokens expired)'}` : 'the header has a kid'));
  const pool = key ? await app.store.pools.get(key.poolId) : undefined;
  let signed = false;
  if (key) {
    signed = verifySignature(jwt, key.key);
    checks.push(check(signed, `RS256 signature ${signed ? 'verifies' : 'does not verify'} with that key (alg ${String(header.alg)})`));
  }
  if (pool) {
    const iss = issuerFor(app, pool);
    checks.push(check(claims.iss === iss, `iss is ${iss}`));
    checks.push(check(claims.token_use === key!.tokenUse, `token_use is ${key!.tokenUse}`));
  }
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  checks.push(check(exp !== undefined && now / 1000 < exp, exp === undefined ? 'the token has an exp' : `not expired (exp ${dateOf(exp)}, now ${new Date(now).toISOString()})`));
  if (signed) {
    const revoked = await isRevoked(app.store, claims);
    checks.push(check(!revoked, revoked ? 'revoked (sign-out, RevokeToken, a disabled or deleted user)' : 'not revoked'));
  }
  const jwks = pool ? await poolJwks(app, pool.id) : undefined;
  return html`${section('Checks', html`<ul id="checks">${checks}</ul>`)}
${section(
  'Summary',
  dl([
    ['User pool', pool ? html`<a href="${href('pools', pool.id)}">${pool.id}</a>` : undefined],
    ['Pool JWKS kids', jwks?.keys.map((k) => k.kid)],
    ['Issued', dateOf(claims.iat)],
    ['Expires', dateOf(claims.exp)],
    ['Authenticated', dateOf(claims.auth_time)],
  ]),
)}
${section('Header', html`<pre>${JSON.stringify(header, null, 2)}</pre>`)}
${section('Claims', html`<pre id="claims">${JSON.stringify(claims, null, 2)}</pre>`)}`;
}

/** The token inspector: paste an ID or access token. A POST, so tokens stay out of URLs and logs. */
export const tokenPages: ConsolePage[] = [
  {
    path: '/tokens',
    unrestricted: true,
    async view(cx) {
      const token = cx.form?.get('token');
      return {
        title: 'Token inspector',
        body: html`${section(
          'Token',
          form(cx, 'inspect', html`<label for="token">JWT (ID or access token)</label><textarea id="token" name="token" rows="6" spellcheck="false" required>${token ?? ''}</textarea>`, 'Inspect'),
        )}
${token ? await inspect(cx.app, token) : ''}`,
      };
    },
    actions: {
      // The view reads the posted token; nothing changes.
      async inspect() {},
    },
  },
];
