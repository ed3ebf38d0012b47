import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';

// The library's typings leave out its helper, date formatter and big-integer type (jsbn).
const require = createRequire(import.meta.url);
const { AuthenticationHelper, DateHelper } = require('amazon-cognito-identity-js');
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger.js').default;

/**
 * The client half of USER_SRP_AUTH done by amazon-cognito-identity-js's own AuthenticationHelper
 * (not our math), for tests and benchmarks that drive the wire step by step.
 */
export class SrpClient {
  private readonly helper: any;
  constructor(private readonly poolId: string) {
    this.helper = new AuthenticationHelper(poolId.split('_')[1]);
  }

  /** SRP_A as the library sends it (lowercase hex, not padded). */
  async srpA(): Promise<string> {
    const A = await new Promise<any>((resolve, reject) => this.helper.getLargeAValue((err: Error, v: any) => (err ? reject(err) : resolve(v))));
    return A.toString(16);
  }

  /**
   * The PASSWORD_VERIFIER ChallengeResponses for a challenge's parameters; `timestamp` replaces
   * the library's current-time string (to test the server's checks).
   */
  async answer(params: Record<string, string>, password: string, timestamp?: string): Promise<Record<string, string>> {
    const userId = params.USER_ID_FOR_SRP;
    const key: Buffer = await new Promise((resolve, reject) =>
      this.helper.getPasswordAuthenticationKey(userId, password, new BigInteger(params.SRP_B, 16), new BigInteger(params.SALT, 16), (err: Error, k: Buffer) =>
        err ? reject(err) : resolve(k),
      ),
    );
    const now = timestamp ?? new DateHelper().getNowString();
    const signature = createHmac('sha256', key)
      .update(Buffer.concat([Buffer.from(this.poolId.split('_')[1], 'utf8'), Buffer.from(userId, 'utf8'), Buffer.from(params.SECRET_BLOCK, 'base64'), Buffer.from(now, 'utf8')]))
      .digest('base64');
    return { USERNAME: userId, PASSWORD_CLAIM_SECRET_BLOCK: params.SECRET_BLOCK, TIMESTAMP: now, PASSWORD_CLAIM_SIGNATURE: signature };
  }
}
