// The cost of a trigger call: SignUp with a PreSignUp trigger and USER_PASSWORD_AUTH sign-in with a
// PreTokenGeneration trigger (local Node handler modules in worker threads, warm), each beside the
// same calls on a pool without triggers, in one run on one server (after a warm-up that starts
// the functions' environments).
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
  type CognitoIdentityProviderClient,
  type LambdaConfigType,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, startTestServer } from '../test/helpers/tobira.ts';
import { fmt, percentile, throughput } from './util.ts';

const FUNCTIONS = join(import.meta.dirname, '..', 'test', 'fixtures', 'functions', 'triggers');
const PASSWORD = 'SecurePass123!';

async function poolWith(idp: CognitoIdentityProviderClient, LambdaConfig: LambdaConfigType | undefined) {
  const poolId = (await idp.send(new CreateUserPoolCommand({ PoolName: 'bench', LambdaConfig }))).UserPool!.Id!;
  const clientId = (
    await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'bench', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))
  ).UserPoolClient!.ClientId!;
  return { poolId, clientId };
}

function line(label: string, perSecond: number, ms: number[]) {
  const sorted = ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} ${fmt(perSecond).padStart(7)}/s   p50 ${fmt(percentile(sorted, 50))} ms  p99 ${fmt(percentile(sorted, 99))} ms`);
}

export async function run(): Promise<void> {
  const t = await startTestServer({ functionsDir: FUNCTIONS });
  try {
    const idp = idpClient(t.url);
    const n = 100;
    const arn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

    for (const [label, config] of [
      ['SignUp, no trigger', undefined],
      ['SignUp, PreSignUp trigger (pre-sign-up.mjs)', { PreSignUp: arn('pre-sign-up') }],
    ] as const) {
      const { clientId } = await poolWith(idp, config);
      // Warm-up: the function's environments start (up to 8, one per call in flight) before the clock runs.
      await throughput(16, 8, (i) =>
        idp.send(new SignUpCommand({ ClientId: clientId, Username: `w${i}`, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: `w${i}@example.com` }] })),
      );
      const ms: number[] = [];
      const rate = await throughput(n, 8, async (i) => {
        const s = performance.now();
        await idp.send(new SignUpCommand({ ClientId: clientId, Username: `u${i}`, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: `u${i}@example.com` }] }));
        ms.push(performance.now() - s);
      });
      line(label, rate, ms);
    }

    for (const [label, config] of [
      ['sign-in, no trigger', undefined],
      ['sign-in, PreTokenGeneration V1 (pre-token-v1)', { PreTokenGeneration: arn('pre-token-v1') }],
      ['sign-in, PreTokenGeneration V2 (pre-token-v2)', { PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: arn('pre-token-v2') } }],
    ] as const) {
      const { poolId, clientId } = await poolWith(idp, config as LambdaConfigType | undefined);
      const users = 20;
      for (let i = 0; i < users; i++) {
        await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: `s${i}`, MessageAction: 'SUPPRESS' }));
        await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: `s${i}`, Password: PASSWORD, Permanent: true }));
      }
      await throughput(16, 8, (i) =>
        idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: `s${i % users}`, PASSWORD } })),
      );
      const ms: number[] = [];
      const rate = await throughput(n, 8, async (i) => {
        const s = performance.now();
        await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: `s${i % users}`, PASSWORD } }));
        ms.push(performance.now() - s);
      });
      line(label, rate, ms);
    }
  } finally {
    await t.close();
  }
}
