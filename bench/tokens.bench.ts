// Token figures: first-use key generation (two RSA-2048 pairs), issueTokens (two RS256
// signatures, groups read, refresh token stored) and verifyAccessToken in-process; GetUser and
// GetTokensFromRefreshToken over HTTP with the JS SDK; one argon2id hash beside them, so the
// overhead above hashing shows.
import { GetTokensFromRefreshTokenCommand, GetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { hashPassword } from '../src/domain/users/passwords.ts';
import { verifyAccessToken } from '../src/domain/tokens/access-tokens.ts';
import { ensurePoolKeys } from '../src/domain/tokens/keys.ts';
import { issueTokens } from '../src/domain/tokens/tokens.ts';
import { idpClient, startTestServer } from '../test/helpers/tobira.ts';
import { createPoolAndClient, createUser, signIn } from '../test/helpers/tokens.ts';
import { fmt, percentile, throughput } from './util.ts';

export async function run(): Promise<void> {
  const t = await startTestServer();
  try {
    const idp = idpClient(t.url);
    const { poolId, clientId } = await createPoolAndClient(idp);
    let s = performance.now();
    await ensurePoolKeys(t.app, poolId);
    const keygenMs = performance.now() - s;
    await createUser(idp, poolId, 'bench', { email: 'bench@example.com', email_verified: 'true' });
    const first = await signIn(idp, clientId, 'bench');

    const pool = (await t.app.store.pools.get(poolId))!;
    const client = (await t.app.store.clients.get(clientId))!;
    const user = (await t.app.store.users.get(poolId, 'bench'))!;
    const n = 500;
    const issues = await throughput(n, 4, () =>
      issueTokens(t.app, t.app.store, { pool, client, user, authTime: t.app.clock.now(), withRefreshToken: true }),
    );
    const verifies = await throughput(2000, 4, () => verifyAccessToken(t.app, first.AccessToken));

    const lat: number[] = [];
    const getUsers = await throughput(n, 8, async () => {
      const s0 = performance.now();
      await idp.send(new GetUserCommand({ AccessToken: first.AccessToken }));
      lat.push(performance.now() - s0);
    });
    const refreshLat: number[] = [];
    const refreshes = await throughput(n, 8, async () => {
      const s0 = performance.now();
      await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: first.RefreshToken }));
      refreshLat.push(performance.now() - s0);
    });

    s = performance.now();
    for (let i = 0; i < 10; i++) await hashPassword(`Bench-Password-${i}!`);
    const argonMs = (performance.now() - s) / 10;

    const p = (xs: number[], q: number) => fmt(percentile(xs.sort((a, b) => a - b), q));
    console.log(`key generation (first use of a pool, 2 x RSA-2048)  ${fmt(keygenMs, 0)} ms`);
    console.log(`issueTokens (in process, with refresh token)        ${fmt(issues)}/s`);
    console.log(`verifyAccessToken (in process)                      ${fmt(verifies)}/s`);
    console.log(`GetUser over HTTP                                   ${fmt(getUsers)}/s   p50 ${p(lat, 50)} ms  p99 ${p(lat, 99)} ms  (8 in flight)`);
    console.log(`GetTokensFromRefreshToken over HTTP                 ${fmt(refreshes)}/s   p50 ${p(refreshLat, 50)} ms  p99 ${p(refreshLat, 99)} ms`);
    console.log(`one argon2id hash (for scale)                       ${fmt(argonMs)} ms`);
  } finally {
    await t.close();
  }
}
