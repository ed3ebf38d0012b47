// Sign-in figures over HTTP with the JS SDK v3: USER_PASSWORD_AUTH (one argon2id verify each),
// USER_SRP_AUTH (two round trips; the client half computed here with our own SRP arithmetic, since
// amazon-cognito-identity-js's pure-JS big integers take ~180 ms a sign-in and would stall the
// server sharing this process; test/srp.test.ts proves that client against us), REFRESH_TOKEN_AUTH and
// GetUser; one argon2id hash beside them, so the overhead above hashing shows.
import {
  GetUserCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { hashPassword } from '../src/domain/users/passwords.ts';
import { randomBytes } from 'node:crypto';
import { EPHEMERAL_SECRET_BYTES, g, modPowN } from '../src/domain/sign-in/srp-math.ts';
import { fastSrpClient } from './harness/srp-fast-client.ts';
import { idpClient, startTestServer } from '../test/helpers/tobira.ts';
import { poolWithClient, userWithPassword } from '../test/helpers/sign-in.ts';
import { fmt, percentile, throughput } from './util.ts';

export async function run(): Promise<void> {
  const t = await startTestServer();
  try {
    const idp = idpClient(t.url);
    const { poolId, clientId } = await poolWithClient(t.url);
    // Several users, so that per-user lockout bookkeeping is not one hot row.
    const users = Array.from({ length: 8 }, (_, i) => `bench${i}`);
    for (const u of users) await userWithPassword(t.url, poolId, u, 'Bench#Pass123');
    const login = (i: number) =>
      idp.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: users[i % users.length], PASSWORD: 'Bench#Pass123' } }));
    const first = (await login(0)).AuthenticationResult!;

    const timed = (lat: number[], fn: (i: number) => Promise<unknown>) => async (i: number) => {
      const s0 = performance.now();
      await fn(i);
      lat.push(performance.now() - s0);
    };
    const passwordLat: number[] = [];
    const passwords = await throughput(200, 4, timed(passwordLat, login));

    const srpLat: number[] = [];
    let clientMs = 0;
    const srps = await throughput(100, 4, timed(srpLat, async (i) => {
      let c0 = performance.now();
      const srp = fastSrpClient(poolId);
      const A = await srp.srpA();
      clientMs += performance.now() - c0;
      const c = await idp.send(new InitiateAuthCommand({ AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: users[i % users.length], SRP_A: A } }));
      c0 = performance.now();
      const answer = await srp.answer(c.ChallengeParameters!, 'Bench#Pass123');
      clientMs += performance.now() - c0;
      const r = await idp.send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: answer }));
      if (!r.AuthenticationResult) throw new Error('SRP sign-in failed');
    }));

    const refreshLat: number[] = [];
    const refreshes = await throughput(500, 8, timed(refreshLat, () =>
      idp.send(new InitiateAuthCommand({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: first.RefreshToken! } })),
    ));
    const getUserLat: number[] = [];
    const getUsers = await throughput(500, 8, timed(getUserLat, () => idp.send(new GetUserCommand({ AccessToken: first.AccessToken! }))));

    let s = performance.now();
    for (let i = 0; i < 10; i++) await hashPassword(`Bench-Password-${i}!`);
    const argonMs = (performance.now() - s) / 10;
    s = performance.now();
    // An exponent of the server's ephemeral secret's size (srp-math.ts EPHEMERAL_SECRET_BYTES).
    for (let i = 0; i < 20; i++) modPowN(g, BigInt(`0x${randomBytes(EPHEMERAL_SECRET_BYTES).toString('hex')}`));
    const modPowMs = (performance.now() - s) / 20;

    const p = (xs: number[], q: number) => fmt(percentile(xs.sort((a, b) => a - b), q));
    // 1000 / rate is what one operation costs the (single) server process; beside argon2id it
    // shows how much of a sign-in is hashing and how much is everything else.
    const line = (name: string, rate: number, lat: number[], note = '') =>
      console.log(
        `${name.padEnd(44)}${fmt(rate).padStart(8)}/s   p50 ${p(lat, 50)} ms  p99 ${p(lat, 99)} ms` +
          `   ${fmt(1000 / rate)} ms each = ${fmt(1000 / rate / argonMs, 2)} x argon2id${note}`,
      );
    line('USER_PASSWORD_AUTH over HTTP (4 in flight)', passwords, passwordLat);
    line('USER_SRP_AUTH over HTTP (4 in flight)', srps, srpLat, `  (client math ${fmt(clientMs / 100)} ms of each)`);
    line('REFRESH_TOKEN_AUTH over HTTP (8 in flight)', refreshes, refreshLat);
    line('GetUser over HTTP (8 in flight)', getUsers, getUserLat);
    console.log(`one argon2id hash (for scale)               ${fmt(argonMs)} ms`);
    console.log(`one ${EPHEMERAL_SECRET_BYTES * 8}-bit-exponent modPow mod N (server) ${fmt(modPowMs)} ms`);
  } finally {
    await t.close();
  }
}
