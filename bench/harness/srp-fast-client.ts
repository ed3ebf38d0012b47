// The client half of USER_SRP_AUTH on Tobira's own SRP arithmetic (OpenSSL's modular
// exponentiation, src/domain/sign-in/srp-math.ts), with the interface of test/helpers/srp-client.ts.
// amazon-cognito-identity-js's pure-JS big integers take ~0.4 s of CPU a sign-in: on a machine of
// two cores the generator, not the server, would set the figure. test/srp.test.ts proves the
// library's client against the server; this one is checked by every sign-in it makes (the server
// answers tokens only to a right signature).
import { randomBytes } from 'node:crypto';
import { formatSrpTimestamp } from '../../src/domain/sign-in/srp.ts';
import { EPHEMERAL_SECRET_BYTES, N, g, k, modPowN, passwordClaimSignature, privateKeyX, scramblingU, sessionKey } from '../../src/domain/sign-in/srp-math.ts';

export function fastSrpClient(poolId: string) {
  // a as short as the server's b (the library draws 128 bytes): the generator shares the cores.
  const a = BigInt(`0x${randomBytes(EPHEMERAL_SECRET_BYTES).toString('hex')}`);
  const A = modPowN(g, a);
  return {
    async srpA(): Promise<string> {
      return A.toString(16);
    },
    async answer(p: Record<string, string>, password: string): Promise<Record<string, string>> {
      const B = BigInt(`0x${p.SRP_B}`);
      const u = scramblingU(A, B);
      const x = privateKeyX(poolId, p.USER_ID_FOR_SRP, password, p.SALT);
      const S = modPowN((((B - k * modPowN(g, x)) % N) + N) % N, a + u * x);
      const now = formatSrpTimestamp(Date.now());
      const signature = passwordClaimSignature(sessionKey(S, u), poolId, p.USER_ID_FOR_SRP, Buffer.from(p.SECRET_BLOCK, 'base64'), now).toString('base64');
      return { USERNAME: p.USER_ID_FOR_SRP, PASSWORD_CLAIM_SECRET_BLOCK: p.SECRET_BLOCK, TIMESTAMP: now, PASSWORD_CLAIM_SIGNATURE: signature };
    },
  };
}
