import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateUserPoolDomainCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { Browser, CALLBACK, csrfOf, PASSWORD, signInThrough } from './helpers/hosted-ui.ts';

/**
 * Tokens from the hosted UI run PreTokenGeneration with TokenGeneration_HostedAuth (once, for the
 * tokens /oauth2/token hands out) after PostAuthentication_Authentication at sign-in, through the
 * local handler modules of test/fixtures/functions/triggers/ (which record each event they get).
 */
const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions', 'triggers');
const ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const events = (poolId: string): any[] => {
  const file = join(tmpdir(), 'tobira-trigger-events', `${poolId}.jsonl`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};
const sources = (poolId: string) => events(poolId).map((e) => e.triggerSource as string);
const hidden = (page: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';

describe('hosted UI triggers', { timeout: 120_000 }, () => {
  let server: Running;
  let poolId: string;
  let clientId: string;
  let base: string;

  before(async () => {
    server = await startTestServer({ functionsDir: FUNCTIONS });
    ({ poolId, clientId } = await poolWithClient(
      server.url,
      { PoolName: 'hosted-triggers', LambdaConfig: { PostAuthentication: ARN('post-authentication'), PreTokenGeneration: ARN('pre-token-v1') } },
      {
        ClientName: 'Web app',
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email', 'profile'],
        CallbackURLs: [CALLBACK],
        SupportedIdentityProviders: ['COGNITO'],
      },
    ));
    const prefix = `h${Math.random().toString(36).slice(2, 10)}`;
    await idpClient(server.url).send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
    base = `${server.url}/_domain/${prefix}`;
  });
  after(() => server.close());

  async function redeem(code: string) {
    const r = await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: CALLBACK }),
    });
    assert.equal(r.status, 200);
    return (await r.json()) as { id_token: string; access_token: string };
  }

  test('password sign-in: PostAuthentication, then TokenGeneration_HostedAuth with its claim in the ID token', async () => {
    await userWithPassword(server.url, poolId, 'hana', PASSWORD, { attributes: { email: 'hana@example.com', email_verified: 'true' } });
    const q = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid email' });
    const cb = await signInThrough(new Browser(), `${base}/oauth2/authorize?${q}`, 'hana');
    const tokens = await redeem(cb.searchParams.get('code')!);
    assert.equal(claims(tokens.id_token).tenant, 'acme');
    assert.equal(claims(tokens.id_token).email, undefined, 'suppressed by the trigger');
    const mine = events(poolId).filter((e) => e.userName === 'hana');
    assert.deepEqual(mine.map((e) => e.triggerSource), ['PostAuthentication_Authentication', 'TokenGeneration_HostedAuth']);
    const e = mine[1];
    assert.equal(e.callerContext.clientId, clientId);
    assert.equal(e.request.userAttributes.email, 'hana@example.com');
  });

  test('through a challenge (new password): PreTokenGeneration runs once, as TokenGeneration_HostedAuth', async () => {
    await userWithPassword(server.url, poolId, 'nils', 'Temp#Pass11', { temporary: true });
    const b = new Browser();
    const loginUrl = `${base}/login?${new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: CALLBACK })}`;
    const page = await (await b.post(loginUrl, { _csrf: csrfOf(await (await b.get(loginUrl)).text())!, username: 'nils', password: 'Temp#Pass11' })).text();
    assert.equal(hidden(page, '_challenge'), 'NEW_PASSWORD_REQUIRED');
    const done = await b.post(`${base}/challenge?${new URL(loginUrl).search.slice(1)}`, {
      _csrf: csrfOf(page)!, _challenge: 'NEW_PASSWORD_REQUIRED', _session: hidden(page, '_session'), _username: 'nils', new_password: 'Nils#Final22',
    });
    assert.equal(done.status, 302, await done.clone().text());
    const tokens = await redeem(new URL(done.headers.get('location')!).searchParams.get('code')!);
    assert.equal(claims(tokens.id_token).tenant, 'acme');
    const mine = events(poolId).filter((e) => e.userName === 'nils').map((e) => e.triggerSource);
    assert.deepEqual(mine, ['PostAuthentication_Authentication', 'TokenGeneration_HostedAuth']);
    assert.ok(sources(poolId).every((s) => s !== 'TokenGeneration_NewPasswordChallenge'));
  });
});
