// Self-service throughput over HTTP with the JS SDK: SignUp (argon2id hash + user + code in one
// transaction + outbox) and ConfirmSignUp (code check and status change in one transaction),
// plus the outbox read a test makes to fetch a code.
import { ConfirmSignUpCommand, CreateUserPoolClientCommand, CreateUserPoolCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, startTestServer } from '../test/helpers/tobira.ts';
import { fmt, percentile, throughput } from './util.ts';

export async function run(): Promise<void> {
  const t = await startTestServer();
  try {
    const idp = idpClient(t.url);
    const poolId = (await idp.send(new CreateUserPoolCommand({ PoolName: 'bench', AutoVerifiedAttributes: ['email'] }))).UserPool!.Id!;
    const clientId = (await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'bench' }))).UserPoolClient!.ClientId!;
    const n = 200;
    const signUpMs: number[] = [];
    const signUps = await throughput(n, 8, async (i) => {
      const s = performance.now();
      await idp.send(new SignUpCommand({ ClientId: clientId, Username: `u${i}`, Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: `u${i}@example.com` }] }));
      signUpMs.push(performance.now() - s);
    });
    const codes = new Map<string, string>();
    for (const m of await t.app.store.outbox.list({ poolId, limit: 1000 })) codes.set(m.destination, String(m.data.code));
    const confirmMs: number[] = [];
    const confirms = await throughput(n, 8, async (i) => {
      const s = performance.now();
      await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: `u${i}`, ConfirmationCode: codes.get(`u${i}@example.com`)! }));
      confirmMs.push(performance.now() - s);
    });
    const readMs: number[] = [];
    await throughput(200, 4, async (i) => {
      const s = performance.now();
      await (await fetch(`${t.url}/_tobira/outbox?to=u${i % n}@example.com`)).json();
      readMs.push(performance.now() - s);
    });
    const p = (xs: number[], q: number) => fmt(percentile(xs.sort((a, b) => a - b), q));
    console.log(`SignUp         ${fmt(signUps)}/s   p50 ${p(signUpMs, 50)} ms  p99 ${p(signUpMs, 99)} ms  (${n} users, 8 in flight)`);
    console.log(`ConfirmSignUp  ${fmt(confirms)}/s   p50 ${p(confirmMs, 50)} ms  p99 ${p(confirmMs, 99)} ms`);
    console.log(`GET outbox?to= p50 ${p(readMs, 50)} ms  p99 ${p(readMs, 99)} ms  (${n} messages stored)`);
  } finally {
    await t.close();
  }
}
