// The pool the cases run against, made through the server's own API from the bench process:
// `users` users (usernames user00000...), of which the first SIGNERS have a permanent password.
import { idpCall } from '../util.ts';

export const PASSWORD = 'Bench#Password1';
/** Users with a password, signed in round-robin so that no one user's row is the hot spot. */
export const SIGNERS = 32;

export interface BenchPool {
  poolId: string;
  clientId: string;
  usernames: string[];
  signers: string[];
  /** Users whose password AdminSetUserPassword sets again and again: not the signers. */
  resetters: string[];
  tokens: { access: string; refresh: string }[];
  seedSec: number;
}

export const username = (i: number) => `user${String(i).padStart(5, '0')}`;

/** Runs fn for 0..n-1 with `concurrency` in flight. */
async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
}

export async function makePool(url: string, users: number, concurrency: number): Promise<BenchPool> {
  // PASSWORD and EMAIL_OTP as first factors: AdminCreateUser with SUPPRESS and no TemporaryPassword
  // then makes a CONFIRMED user without a password (Cognito's passwordless creation), so seeding
  // 5,000 users costs no argon2id hash each; the signers get theirs from AdminSetUserPassword.
  const pool = await idpCall(url, 'CreateUserPool', {
    PoolName: 'bench-paths',
    Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
  });
  const poolId: string = pool.UserPool.Id;
  const client = await idpCall(url, 'CreateUserPoolClient', {
    UserPoolId: poolId,
    ClientName: 'bench',
    ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  });
  const clientId: string = client.UserPoolClient.ClientId;
  const usernames = Array.from({ length: users }, (_, i) => username(i));
  const started = performance.now();
  await parallel(users, concurrency, (i) =>
    idpCall(url, 'AdminCreateUser', {
      UserPoolId: poolId,
      Username: usernames[i],
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: `${usernames[i]}@example.com` },
        { Name: 'given_name', Value: `Given${i % 997}` },
      ],
    }),
  );
  const signers = usernames.slice(0, Math.min(SIGNERS, users));
  const resetters = usernames.slice(signers.length, Math.min(signers.length + SIGNERS, users));
  await parallel(signers.length + resetters.length, concurrency, (i) =>
    idpCall(url, 'AdminSetUserPassword', { UserPoolId: poolId, Username: usernames[i], Password: PASSWORD, Permanent: true }),
  );
  const seedSec = (performance.now() - started) / 1000;
  const tokens: BenchPool['tokens'] = [];
  for (const USERNAME of signers) {
    const r = await idpCall(url, 'InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME, PASSWORD } });
    tokens.push({ access: r.AuthenticationResult.AccessToken, refresh: r.AuthenticationResult.RefreshToken });
  }
  return { poolId, clientId, usernames, signers, resetters: resetters.length ? resetters : signers, tokens, seedSec };
}
