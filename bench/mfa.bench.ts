// Sign-in with TOTP MFA end to end over HTTP with the JS SDK v3 (USER_PASSWORD_AUTH, then
// RespondToAuthChallenge SOFTWARE_TOKEN_MFA with a code computed here), beside the plain
// USER_PASSWORD_AUTH sign-in on the same server in the same run.
//
// A TOTP code is taken once per user and step (domain/mfa/totp.ts), so the MFA sign-ins run in
// rounds: every user signs in once per round, and between rounds the server's clock (real time
// plus an offset) moves a minute on, as if the users came back later. The short pause between
// rounds is counted in the figure.
import {
  AssociateSoftwareTokenCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  SetUserPoolMfaConfigCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { totpAt } from '../src/domain/mfa/totp.ts';
import { idpClient, startTestServer } from '../test/helpers/tobira.ts';
import { poolWithClient, userWithPassword } from '../test/helpers/sign-in.ts';
import { fmt, percentile, throughput } from './util.ts';

class OffsetClock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

export async function run(): Promise<void> {
  const clock = new OffsetClock();
  const t = await startTestServer({}, { clock });
  try {
    const idp = idpClient(t.url);
    const { poolId, clientId } = await poolWithClient(t.url);
    await idp.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    const login = (username: string) =>
      idp.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: 'Bench#Pass123' } }));

    const plain = Array.from({ length: 8 }, (_, i) => `plain${i}`);
    for (const u of plain) await userWithPassword(t.url, poolId, u, 'Bench#Pass123');
    const totp = Array.from({ length: 16 }, (_, i) => `totp${i}`);
    const secrets = new Map<string, string>();
    for (const u of totp) {
      await userWithPassword(t.url, poolId, u, 'Bench#Pass123');
      const AccessToken = (await login(u)).AuthenticationResult!.AccessToken!;
      const { SecretCode } = await idp.send(new AssociateSoftwareTokenCommand({ AccessToken }));
      await idp.send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()) }));
      await idp.send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
      secrets.set(u, SecretCode!);
    }

    const timed = (lat: number[], fn: (i: number) => Promise<unknown>) => async (i: number) => {
      const s0 = performance.now();
      await fn(i);
      lat.push(performance.now() - s0);
    };
    const passwordLat: number[] = [];
    const passwords = await throughput(200, 4, timed(passwordLat, (i) => login(plain[i % plain.length])));

    const mfaLat: number[] = [];
    const rounds = 10;
    const started = performance.now();
    for (let round = 0; round < rounds; round++) {
      clock.offset += 60_000;
      await throughput(totp.length, 4, timed(mfaLat, async (i) => {
        const u = totp[i];
        const c = await login(u);
        if (c.ChallengeName !== 'SOFTWARE_TOKEN_MFA') throw new Error(`expected SOFTWARE_TOKEN_MFA, got ${c.ChallengeName}`);
        const r = await idp.send(
          new RespondToAuthChallengeCommand({
            ClientId: clientId,
            ChallengeName: 'SOFTWARE_TOKEN_MFA',
            Session: c.Session,
            ChallengeResponses: { USERNAME: u, SOFTWARE_TOKEN_MFA_CODE: totpAt(secrets.get(u)!, clock.now()) },
          }),
        );
        if (!r.AuthenticationResult) throw new Error('TOTP sign-in failed');
      }));
    }
    const mfa = (rounds * totp.length) / ((performance.now() - started) / 1000);

    const p = (xs: number[], q: number) => fmt(percentile(xs.sort((a, b) => a - b), q));
    const line = (name: string, rate: number, lat: number[]) =>
      console.log(`${name.padEnd(52)}${fmt(rate).padStart(8)}/s   p50 ${p(lat, 50)} ms  p99 ${p(lat, 99)} ms`);
    line('USER_PASSWORD_AUTH over HTTP (4 in flight)', passwords, passwordLat);
    line('USER_PASSWORD_AUTH + SOFTWARE_TOKEN_MFA (4 in flight)', mfa, mfaLat);
  } finally {
    await t.close();
  }
}
