import assert from 'node:assert/strict';
import { CreateUserPoolClientCommand, CreateUserPoolDomainCommand, type CreateUserPoolClientCommandInput } from '@aws-sdk/client-cognito-identity-provider';
import { idpClient } from './tobira.ts';
import { poolWithClient, userWithPassword } from './sign-in.ts';

export const PASSWORD = 'Correct#Horse1';
export const CALLBACK = 'http://localhost:3000/callback';
export const LOGOUT = 'http://localhost:3000/signed-out';

export interface HostedPool {
  poolId: string;
  prefix: string;
  /** The domain's base by path: <server>/_domain/<prefix>. */
  base: string;
  /** A confidential client (secret) with the code flow. */
  web: { clientId: string; clientSecret: string };
  /** A public client (no secret) with the code and implicit flows. */
  spa: { clientId: string };
}

/** A pool with a prefix domain, a user alice (email), a confidential and a public OAuth client. */
export async function hostedPool(url: string, prefix = `t${Math.random().toString(36).slice(2, 10)}`): Promise<HostedPool> {
  const sdk = idpClient(url);
  const oauth: Partial<CreateUserPoolClientCommandInput> = {
    AllowedOAuthFlowsUserPoolClient: true,
    AllowedOAuthFlows: ['code'],
    AllowedOAuthScopes: ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'],
    CallbackURLs: [CALLBACK, 'https://app.example.com/cb'],
    LogoutURLs: [LOGOUT],
    SupportedIdentityProviders: ['COGNITO'],
  };
  const { poolId, clientId, clientSecret } = await poolWithClient(url, { PoolName: 'hosted', AutoVerifiedAttributes: ['email'] }, { ClientName: 'Web app', GenerateSecret: true, ...oauth });
  const spa = await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'SPA', ...oauth, AllowedOAuthFlows: ['code', 'implicit'] }));
  await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
  await userWithPassword(url, poolId, 'alice', PASSWORD, { attributes: { email: 'alice@example.com', email_verified: 'true' } });
  return { poolId, prefix, base: `${url}/_domain/${prefix}`, web: { clientId, clientSecret: clientSecret! }, spa: { clientId: spa.UserPoolClient!.ClientId! } };
}

/** A tiny cookie jar for fetch, enough for the hosted UI's cookies. */
export class Browser {
  cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.take(await fetch(url, { redirect: 'manual', headers: this.header() }));
  }

  async post(url: string, form: Record<string, string>): Promise<Response> {
    return this.take(
      await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...this.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      }),
    );
  }

  private header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  private take(res: Response): Response {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      if (attrs.some((a) => /max-age=0/i.test(a.trim()))) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
    return res;
  }
}

/** The hidden CSRF field of a page. */
export const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1];

/**
 * Follows an authorization URL through /login as a browser would (without JavaScript): returns
 * the final redirect to the app.
 */
export async function signInThrough(browser: Browser, authorizeUrl: string, username = 'alice', password = PASSWORD): Promise<URL> {
  const a = await browser.get(authorizeUrl);
  assert.equal(a.status, 302, await a.text());
  const loginUrl = new URL(a.headers.get('location')!, authorizeUrl);
  if (!loginUrl.pathname.endsWith('/login')) return loginUrl;
  const page = await browser.get(loginUrl.href);
  assert.equal(page.status, 200);
  const csrf = csrfOf(await page.text());
  assert.ok(csrf, 'the login form has a CSRF token');
  const done = await browser.post(loginUrl.href, { _csrf: csrf, username, password });
  assert.equal(done.status, 302, await done.text());
  return new URL(done.headers.get('location')!, loginUrl);
}
