import { createHmac } from 'node:crypto';
import * as acij from 'amazon-cognito-identity-js';

// The library exports both at run time; its type declarations leave them out.
const { AuthenticationHelper, DateHelper } = acij as unknown as { AuthenticationHelper: any; DateHelper: any };

/**
 * The client half of a remembered device, done with amazon-cognito-identity-js's own
 * AuthenticationHelper (the code CognitoUser runs), so the tests check Tobira against the
 * library's math rather than against Tobira's.
 */
export interface DeviceSecret {
  deviceKey: string;
  groupKey: string;
  /** The random device password the verifier was made from. */
  password: string;
  /** ConfirmDevice's DeviceSecretVerifierConfig. */
  config: { Salt: string; PasswordVerifier: string };
}

export async function makeDeviceSecret(groupKey: string, deviceKey: string): Promise<DeviceSecret> {
  const h = new AuthenticationHelper(groupKey) as any;
  await new Promise<void>((resolve, reject) => h.generateHashDevice(groupKey, deviceKey, (e: Error | null) => (e ? reject(e) : resolve())));
  return {
    deviceKey,
    groupKey,
    password: h.getRandomPassword(),
    config: {
      Salt: Buffer.from(h.getSaltDevices(), 'hex').toString('base64'),
      PasswordVerifier: Buffer.from(h.getVerifierDevices(), 'hex').toString('base64'),
    },
  };
}

/** A device SRP in progress: SRP_A for DEVICE_SRP_AUTH, then the DEVICE_PASSWORD_VERIFIER answer. */
export class DeviceSrp {
  private readonly h: any;
  constructor(private readonly device: DeviceSecret) {
    this.h = new AuthenticationHelper(device.groupKey);
  }

  async srpA(): Promise<string> {
    const A = await new Promise<any>((resolve, reject) => this.h.getLargeAValue((e: Error | null, a: any) => (e ? reject(e) : resolve(a))));
    return A.toString(16);
  }

  /** The ChallengeResponses of DEVICE_PASSWORD_VERIFIER for the parameters of that challenge. */
  async answer(params: Record<string, string>, opts: { password?: string; timestamp?: string } = {}): Promise<Record<string, string>> {
    const BigInteger = this.h.N.constructor;
    const key: Buffer = await new Promise((resolve, reject) =>
      this.h.getPasswordAuthenticationKey(
        this.device.deviceKey,
        opts.password ?? this.device.password,
        new BigInteger(params.SRP_B, 16),
        new BigInteger(params.SALT, 16),
        (e: Error | null, k: Buffer) => (e ? reject(e) : resolve(k)),
      ),
    );
    const timestamp = opts.timestamp ?? new DateHelper().getNowString();
    const signature = createHmac('sha256', key)
      .update(Buffer.from(this.device.groupKey, 'utf8'))
      .update(Buffer.from(this.device.deviceKey, 'utf8'))
      .update(Buffer.from(params.SECRET_BLOCK, 'base64'))
      .update(Buffer.from(timestamp, 'utf8'))
      .digest('base64');
    return {
      USERNAME: params.USERNAME,
      DEVICE_KEY: this.device.deviceKey,
      PASSWORD_CLAIM_SECRET_BLOCK: params.SECRET_BLOCK,
      TIMESTAMP: timestamp,
      PASSWORD_CLAIM_SIGNATURE: signature,
    };
  }
}
