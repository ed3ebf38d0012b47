import type { App } from '../../app.ts';
import type { User, UserPool } from '../types.ts';
import { clientMetadataOf, eventUserAttributes, triggerEvent } from './invoke.ts';
import type { MessageEvent } from './custom-message.ts';

/**
 * CustomEmailSender and CustomSMSSender: instead of sending an email (or SMS) itself, Tobira
 * hands the function the code, encrypted in the AWS Encryption SDK message format, and the
 * function delivers it. Cognito encrypts under the pool's KMS key (LambdaConfig.KMSKeyID) and
 * the function decrypts with a KMS keyring; Tobira, which has no KMS, encrypts with a raw AES
 * keyring (key namespace `tobira`, key name `tobira-custom-sender`; the pool's KMSKeyID is kept
 * but not used) under the key the operator configures (--custom-sender-key-file / TOBIRA_CUSTOM_SENDER_KEY),
 * so a function decrypts with @aws-crypto/client-node's RawAesKeyringNode and that key.
 * Cognito invokes these functions asynchronously: their failures are logged, never answered.
 */
export const KEY_NAMESPACE = 'tobira';
export const KEY_NAME = 'tobira-custom-sender';

type Channel = 'EMAIL' | 'SMS';

interface SenderConfig {
  LambdaArn?: string;
  LambdaVersion?: string;
}

export function customSenderFunction(pool: UserPool, channel: Channel): string | undefined {
  const config = pool.config.LambdaConfig as Record<string, unknown> | undefined;
  const sender = config?.[channel === 'EMAIL' ? 'CustomEmailSender' : 'CustomSMSSender'] as SenderConfig | undefined;
  return sender?.LambdaArn || undefined;
}

/** The operator's key: 16, 24 or 32 bytes, base64. */
export function parseCustomSenderKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (![16, 24, 32].includes(key.length)) throw new Error('the custom sender key must be 16, 24 or 32 bytes, base64-encoded');
  return key;
}

async function encryptCode(app: App, pool: UserPool, code: string): Promise<string> {
  if (!app.config.customSenderKey) {
    throw new Error('no custom sender key configured (--custom-sender-key-file or TOBIRA_CUSTOM_SENDER_KEY)');
  }
  const key = parseCustomSenderKey(app.config.customSenderKey);
  // Loaded on first use: most servers never need the Encryption SDK.
  const sdk = await import('@aws-crypto/client-node');
  const { encrypt } = sdk.buildClient(sdk.CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT);
  const suite =
    key.length === 32
      ? sdk.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING
      : key.length === 24
        ? sdk.RawAesWrappingSuiteIdentifier.AES192_GCM_IV12_TAG16_NO_PADDING
        : sdk.RawAesWrappingSuiteIdentifier.AES128_GCM_IV12_TAG16_NO_PADDING;
  const keyring = new sdk.RawAesKeyringNode({ keyName: KEY_NAME, keyNamespace: KEY_NAMESPACE, unencryptedMasterKey: new Uint8Array(key), wrappingSuite: suite });
  const { result } = await encrypt(keyring, code, { encryptionContext: { userpool_id: pool.id } });
  return Buffer.from(result).toString('base64');
}

const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * Hands one message to the pool's custom sender for its channel. Returns false when the pool has
 * none (the caller sends as usual). The invocation runs on after this returns, as Cognito's
 * asynchronous one does.
 */
export function sendThroughCustomSender(
  app: App,
  pool: UserPool,
  a: { event: MessageEvent; channel: Channel; user: User; code: string; codeIsPassword?: boolean; clientId?: string; clientMetadata?: Record<string, string> },
): boolean {
  const fn = customSenderFunction(pool, a.channel);
  if (!fn) return false;
  const trigger = a.channel === 'EMAIL' ? 'CustomEmailSender' : 'CustomSMSSender';
  void (async () => {
    // Temporary passwords reach custom senders HTML-escaped (cognito-protocols.md §7.2 notes).
    const code = await encryptCode(app, pool, a.codeIsPassword ? escapeHtml(a.code) : a.code);
    const event = triggerEvent(pool, {
      triggerSource: `${trigger}_${a.event}`,
      userName: a.user.username,
      clientId: a.clientId,
      request: {
        type: a.channel === 'EMAIL' ? 'customEmailSenderRequestV1' : 'customSMSSenderRequestV1',
        code,
        userAttributes: eventUserAttributes(a.user),
        ...(clientMetadataOf(a.clientMetadata) ? { clientMetadata: a.clientMetadata } : {}),
      },
      response: {},
    });
    await app.functions.invoke(fn, event, { trigger });
  })().catch((err: unknown) => {
    // Never the code, nor the event: the reason only.
    app.log.warn({ trigger, poolId: pool.id, username: a.user.username, err: (err as Error).message }, 'custom sender failed');
  });
  return true;
}
