import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  CreateIdentityProviderCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolDomainCommand,
  UpdateUserPoolClientCommand,
  type CreateIdentityProviderCommandInput,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient } from './tobira.ts';
import { poolWithClient, userWithPassword } from './sign-in.ts';
import { Browser, CALLBACK, csrfOf, PASSWORD } from './hosted-ui.ts';

/**
 * Federation fixtures: a Tobira pool with a domain acting as the upstream OIDC provider (Tobira's
 * hosted UI is one), a downstream pool whose client offers it, and tiny stubs for what a Tobira
 * pool cannot play (Facebook's token and graph endpoints, an OIDC provider that misbehaves).
 */

const rand = () => Math.random().toString(36).slice(2, 10);

export interface Upstream {
  poolId: string;
  prefix: string;
  /** The pool's issuer (discovery is under it). */
  issuer: string;
  /** By-path base of its domain. */
  base: string;
  clientId: string;
  clientSecret: string;
}

/** A Tobira pool with a domain, a confidential client whose callbacks are the downstream's idpresponse URLs. */
export async function upstreamPool(url: string, callbacks: string[]): Promise<Upstream> {
  const sdk = idpClient(url);
  const prefix = `up${rand()}`;
  const { poolId, clientId, clientSecret } = await poolWithClient(
    url,
    { PoolName: 'upstream' },
    {
      ClientName: 'Tobira as a relying party',
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: callbacks,
      SupportedIdentityProviders: ['COGNITO'],
    },
  );
  await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
  return { poolId, prefix, issuer: `${url}/${poolId}`, base: `${url}/_domain/${prefix}`, clientId, clientSecret: clientSecret! };
}

export interface Downstream {
  poolId: string;
  prefix: string;
  base: string;
  /** A confidential client with the code flow offering `providers`. */
  clientId: string;
  clientSecret: string;
  idpResponse: string;
}

/**
 * A pool with a prefix domain whose client offers COGNITO (and, once they exist, the providers
 * `offer` adds); the domain's idpresponse URL by path.
 */
export async function downstreamPool(url: string, extraCallbacks: string[] = [], pool: Partial<CreateUserPoolCommandInput> = {}): Promise<Downstream> {
  const sdk = idpClient(url);
  const prefix = `dn${rand()}`;
  const { poolId } = await poolWithClient(url, { PoolName: 'downstream', ...pool });
  await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
  const c = await sdk.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'Photo app',
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code', 'implicit'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [CALLBACK, ...extraCallbacks],
      SupportedIdentityProviders: ['COGNITO'],
    }),
  );
  return {
    poolId,
    prefix,
    base: `${url}/_domain/${prefix}`,
    clientId: c.UserPoolClient!.ClientId!,
    clientSecret: c.UserPoolClient!.ClientSecret!,
    idpResponse: `${url}/_domain/${prefix}/oauth2/idpresponse`,
  };
}

/** The client offers COGNITO and these providers (which must exist: Cognito checks). */
export async function offer(url: string, down: Downstream, providers: string[], callbacks: string[] = [CALLBACK]) {
  await idpClient(url).send(
    new UpdateUserPoolClientCommand({
      UserPoolId: down.poolId,
      ClientId: down.clientId,
      ClientName: 'Photo app',
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code', 'implicit'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: callbacks,
      SupportedIdentityProviders: ['COGNITO', ...providers],
    }),
  );
}

export async function createProvider(url: string, input: CreateIdentityProviderCommandInput) {
  await idpClient(url).send(new CreateIdentityProviderCommand(input));
}

/** A user of the upstream pool; returns its sub (the id the downstream sees). */
export async function upstreamUser(url: string, up: Upstream, username: string, attributes: Record<string, string>): Promise<string> {
  await userWithPassword(url, up.poolId, username, PASSWORD, { attributes });
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminGetUser' },
    body: JSON.stringify({ UserPoolId: up.poolId, Username: username }),
  });
  const user = (await r.json()) as { UserAttributes: { Name: string; Value: string }[] };
  return user.UserAttributes.find((a) => a.Name === 'sub')!.Value;
}

/** The downstream authorization URL that names a provider. */
export function authorizeUrl(down: Downstream, provider: string | undefined, extra: Record<string, string> = {}) {
  const q = new URLSearchParams({ client_id: down.clientId, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid email profile', state: `st-${rand()}`, ...extra });
  if (provider) q.set('identity_provider', provider);
  return `${down.base}/oauth2/authorize?${q}`;
}

/**
 * A federated sign-in followed as a browser would: the downstream's /oauth2/authorize sends the
 * browser upstream, where it signs in on /login (or, with an upstream session, goes straight
 * back); the answer at /oauth2/idpresponse ends at the app. `upstreamBrowser` keeps the upstream's
 * cookies apart from the downstream's. Returns the idpresponse URL and the final redirect.
 */
export async function federatedSignIn(
  start: string,
  login: { username: string; password?: string },
  browsers = { down: new Browser(), up: new Browser() },
  opts: { stopAtIdpResponse?: boolean } = {},
): Promise<{ idpResponse: URL; landed?: URL; status?: number; body?: string }> {
  const a = await browsers.down.get(start);
  assert.equal(a.status, 302, await a.text());
  let next = new URL(a.headers.get('location')!, start);
  // Upstream: authorize, then /login with the form, until it redirects back off the upstream.
  for (let hops = 0; hops < 5 && !next.pathname.endsWith('/oauth2/idpresponse'); hops++) {
    if (next.pathname.endsWith('/login')) {
      const page = await browsers.up.get(next.href);
      assert.equal(page.status, 200);
      const csrf = csrfOf(await page.text());
      const done = await browsers.up.post(next.href, { _csrf: csrf!, username: login.username, password: login.password ?? PASSWORD });
      assert.equal(done.status, 302, await done.text());
      next = new URL(done.headers.get('location')!, next);
    } else {
      const r = await browsers.up.get(next.href);
      assert.equal(r.status, 302, `${next.href}: ${r.status} ${await r.text()}`);
      next = new URL(r.headers.get('location')!, next);
    }
  }
  assert.ok(next.pathname.endsWith('/oauth2/idpresponse'), `back at idpresponse: ${next.href}`);
  if (opts.stopAtIdpResponse) return { idpResponse: next };
  const back = await browsers.down.get(next.href);
  if (back.status !== 302) return { idpResponse: next, status: back.status, body: await back.text() };
  return { idpResponse: next, landed: new URL(back.headers.get('location')!, next), status: 302 };
}

/** Redeems the app's code at the downstream's token endpoint (confidential client, Basic). */
export async function redeem(down: Downstream, landed: URL, redirectUri = CALLBACK): Promise<{ id_token: string; access_token: string; refresh_token: string }> {
  const code = landed.searchParams.get('code');
  assert.ok(code, `a code: ${landed.href}`);
  const r = await fetch(`${down.base}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${down.clientId}:${down.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }).toString(),
  });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  return body as { id_token: string; access_token: string; refresh_token: string };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/**
 * Facebook's OAuth 2.0 endpoints as Cognito uses them (no ID token): the dialog redirects at once
 * with a code, the token endpoint is a GET that uses the code up, the graph's /me answers the
 * fields asked for with the access token.
 */
export class FacebookStub {
  server!: Server;
  url!: string;
  codes = new Map<string, string>();
  tokens = new Map<string, string>();
  people = new Map<string, Record<string, string>>();
  /** Who the dialog signs in next. */
  next = '';
  lastFields = '';

  async start() {
    this.server = createServer((req, res) => this.handle(req, res));
    this.url = await listen(this.server);
    return this;
  }

  close() {
    return new Promise((resolve) => this.server?.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url!, this.url);
    const q = u.searchParams;
    if (u.pathname === '/dialog/oauth') {
      const code = randomUUID();
      this.codes.set(code, this.next);
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state')!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (u.pathname === '/oauth/access_token' && req.method === 'GET') {
      const who = this.codes.get(q.get('code') ?? '');
      this.codes.delete(q.get('code') ?? '');
      if (!who || q.get('client_secret') !== 'fb-secret') {
        return json(res, 400, { error: { message: 'This authorization code has been used.', type: 'OAuthException', code: 100 } });
      }
      const token = randomUUID();
      this.tokens.set(token, who);
      return json(res, 200, { access_token: token, token_type: 'bearer', expires_in: 5183944 });
    }
    if (u.pathname === '/me') {
      const who = this.tokens.get(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!who) return json(res, 401, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
      this.lastFields = q.get('fields') ?? '';
      const person = this.people.get(who)!;
      return json(res, 200, Object.fromEntries(this.lastFields.split(',').filter((f) => f in person).map((f) => [f, person[f]])));
    }
    res.writeHead(404).end();
  }
}

/**
 * A small OIDC provider signing with its own key, for the ID tokens a real one must never be
 * accepted with: `mode` makes the next ID token carry another audience, a wrong nonce, another
 * issuer, or a signature by a key the JWKS does not have.
 */
export class OidcStub {
  server!: Server;
  url!: string;
  mode: 'ok' | 'aud' | 'nonce' | 'issuer' | 'signature' = 'ok';
  private key!: CryptoKey;
  private rogue!: CryptoKey;
  private jwk!: JWK;
  private codes = new Map<string, { nonce: string; sub: string }>();
  sub = 'stub-user-1';
  /** The last token request's form (Sign in with Apple's client secret is a JWT to look at). */
  lastTokenRequest?: URLSearchParams;

  async start() {
    const pair = await generateKeyPair('RS256');
    this.key = pair.privateKey;
    this.jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    this.rogue = (await generateKeyPair('RS256')).privateKey;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.url = await listen(this.server);
    return this;
  }

  close() {
    return new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url!, this.url);
    if (u.pathname === '/.well-known/openid-configuration') {
      // No jwks_uri here: the provider's ProviderDetails must name it (the override path).
      return json(res, 200, { issuer: this.url, authorization_endpoint: `${this.url}/authorize`, token_endpoint: `${this.url}/token` });
    }
    if (u.pathname === '/jwks') return json(res, 200, { keys: [this.jwk] });
    if (u.pathname === '/authorize') {
      const code = randomUUID();
      this.codes.set(code, { nonce: u.searchParams.get('nonce') ?? '', sub: this.sub });
      const back = new URL(u.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state')!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (u.pathname === '/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      this.lastTokenRequest = form;
      const grant = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (!grant) return json(res, 400, { error: 'invalid_grant' });
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({ nonce: this.mode === 'nonce' ? 'not-the-nonce' : grant.nonce, email: 'stub@example.com' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(this.mode === 'issuer' ? 'https://evil.example' : this.url)
        .setAudience(this.mode === 'aud' ? 'some-other-client' : form.get('client_id')!)
        .setSubject(grant.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(this.mode === 'signature' ? this.rogue : this.key);
      return json(res, 200, { access_token: randomUUID(), token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    res.writeHead(404).end();
  }
}
