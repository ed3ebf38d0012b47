// Identity pool figures: GetId + GetCredentialsForIdentity over HTTP with the JS SDK, for users
// signed in to a Tobira user pool (ID token verified, role chosen by a Rules mapping, credentials
// minted and stored) and for guests; beside them STS GetCallerIdentity signed with the minted
// credentials (store lookup, secret unsealed, SigV4 checked).
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  SetIdentityPoolRolesCommand,
} from '@aws-sdk/client-cognito-identity';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { idpClient, startTestServer } from '../test/helpers/tobira.ts';
import { createPoolAndClient, createUser, signIn } from '../test/helpers/tokens.ts';
import { fmt, percentile, throughput } from './util.ts';

const USERS = 20;
const role = (name: string) => `arn:aws:iam::000000000000:role/${name}`;

export async function run(): Promise<void> {
  const t = await startTestServer();
  try {
    const idp = idpClient(t.url);
    const { poolId, clientId } = await createPoolAndClient(idp);
    const provider = `cognito-idp.us-east-1.amazonaws.com/${poolId}`;
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++) {
      await createUser(idp, poolId, `user${i}`, { email: `user${i}@example.com` });
      tokens.push((await signIn(idp, clientId, `user${i}`)).IdToken);
    }
    const ci = new CognitoIdentityClient({ endpoint: t.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' }, maxAttempts: 1 });
    const { IdentityPoolId } = await ci.send(
      new CreateIdentityPoolCommand({ IdentityPoolName: 'bench', AllowUnauthenticatedIdentities: true, CognitoIdentityProviders: [{ ProviderName: provider, ClientId: clientId }] }),
    );
    await ci.send(
      new SetIdentityPoolRolesCommand({
        IdentityPoolId,
        Roles: { authenticated: role('users'), unauthenticated: role('guests') },
        RoleMappings: {
          [`${provider}:${clientId}`]: {
            Type: 'Rules',
            AmbiguousRoleResolution: 'AuthenticatedRole',
            RulesConfiguration: { Rules: [{ Claim: 'email', MatchType: 'StartsWith', Value: 'user1', RoleARN: role('ones') }] },
          },
        },
      }),
    );

    const n = 400;
    const signedInLat: number[] = [];
    let last: { AccessKeyId?: string; SecretKey?: string; SessionToken?: string } = {};
    const signedIn = await throughput(n, 8, async (i) => {
      const logins = { [provider]: tokens[i % USERS] };
      const s0 = performance.now();
      const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId, Logins: logins }));
      last = (await ci.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }))).Credentials!;
      signedInLat.push(performance.now() - s0);
    });
    const guestLat: number[] = [];
    const guests = await throughput(n, 8, async () => {
      const s0 = performance.now();
      const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId }));
      await ci.send(new GetCredentialsForIdentityCommand({ IdentityId }));
      guestLat.push(performance.now() - s0);
    });
    const sts = new STSClient({ endpoint: t.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: last.AccessKeyId!, secretAccessKey: last.SecretKey!, sessionToken: last.SessionToken } });
    const callerLat: number[] = [];
    const callers = await throughput(n, 8, async () => {
      const s0 = performance.now();
      await sts.send(new GetCallerIdentityCommand({}));
      callerLat.push(performance.now() - s0);
    });
    sts.destroy();
    ci.destroy();

    const p = (xs: number[], q: number) => fmt(percentile(xs.sort((a, b) => a - b), q));
    console.log(`GetId + GetCredentialsForIdentity, signed in (${USERS} users)  ${fmt(signedIn)}/s   p50 ${p(signedInLat, 50)} ms  p99 ${p(signedInLat, 99)} ms  (8 in flight)`);
    console.log(`GetId + GetCredentialsForIdentity, guests             ${fmt(guests)}/s   p50 ${p(guestLat, 50)} ms  p99 ${p(guestLat, 99)} ms`);
    console.log(`STS GetCallerIdentity with minted credentials         ${fmt(callers)}/s   p50 ${p(callerLat, 50)} ms  p99 ${p(callerLat, 99)} ms`);
  } finally {
    await t.close();
  }
}
