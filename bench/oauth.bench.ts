// OAuth figures over HTTP: authorization_code exchanges at /oauth2/token (codes issued first
// through a hosted-UI session, so only the exchange is timed) and client_credentials grants.
import { CreateResourceServerCommand, CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, startTestServer } from '../test/helpers/tobira.ts';
import { Browser, CALLBACK, hostedPool, signInThrough } from '../test/helpers/hosted-ui.ts';
import { fmt, percentile, throughput } from './util.ts';

export async function run(): Promise<void> {
  const t = await startTestServer();
  try {
    const hp = await hostedPool(t.url, 'bench');
    const sdk = idpClient(t.url);
    await sdk.send(new CreateResourceServerCommand({ UserPoolId: hp.poolId, Identifier: 'api', Name: 'API', Scopes: [{ ScopeName: 'read', ScopeDescription: 'read' }] }));
    const m2m = (
      await sdk.send(
        new CreateUserPoolClientCommand({
          UserPoolId: hp.poolId,
          ClientName: 'm2m',
          GenerateSecret: true,
          AllowedOAuthFlowsUserPoolClient: true,
          AllowedOAuthFlows: ['client_credentials'],
          AllowedOAuthScopes: ['api/read'],
        }),
      )
    ).UserPoolClient!;
    const q = new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid' });
    const browser = new Browser();
    await signInThrough(browser, `${hp.base}/oauth2/authorize?${q}`);
    const n = 500;
    const codes: string[] = [];
    const authorizes = await throughput(n, 8, async () => {
      const r = await browser.get(`${hp.base}/oauth2/authorize?${q}`);
      codes.push(new URL(r.headers.get('location')!).searchParams.get('code')!);
    });
    const lat: number[] = [];
    const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${hp.base}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });
    const exchanges = await throughput(n, 8, async (i) => {
      const s0 = performance.now();
      const r = await form({ grant_type: 'authorization_code', client_id: hp.spa.clientId, code: codes[i]!, redirect_uri: CALLBACK });
      if (r.status !== 200) throw new Error(`exchange: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      lat.push(performance.now() - s0);
    });
    const basic = { authorization: `Basic ${Buffer.from(`${m2m.ClientId}:${m2m.ClientSecret}`).toString('base64')}` };
    const ccLat: number[] = [];
    const grants = await throughput(2000, 8, async () => {
      const s0 = performance.now();
      const r = await form({ grant_type: 'client_credentials' }, basic);
      if (r.status !== 200) throw new Error(`client_credentials: ${r.status}`);
      await r.arrayBuffer();
      ccLat.push(performance.now() - s0);
    });
    const p = (xs: number[], v: number) => fmt(percentile(xs.sort((a, b) => a - b), v));
    console.log(`/oauth2/authorize with a session (302 with a code)  ${fmt(authorizes)}/s`);
    console.log(`authorization_code exchanges over HTTP              ${fmt(exchanges)}/s   p50 ${p(lat, 50)} ms  p99 ${p(lat, 99)} ms  (8 in flight)`);
    console.log(`client_credentials grants over HTTP                 ${fmt(grants)}/s   p50 ${p(ccLat, 50)} ms  p99 ${p(ccLat, 99)} ms`);
  } finally {
    await t.close();
  }
}
