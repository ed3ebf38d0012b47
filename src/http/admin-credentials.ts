import { CognitoError } from '../errors.ts';
import { evaluate, parsePolicy, type Policy } from './iam-policy.ts';

/** Who signs with one admin key, and what the key may do. */
export interface AdminPrincipal {
  /** The IAM user's name in the principal ARN; the access key id when not given. */
  name?: string;
  /** The whole principal ARN, when the name alone does not say it. */
  arn?: string;
  /** No policy: the key may call everything, as every key could before policies existed. */
  policy?: Policy;
}

/**
 * The admin keys: access key id -> secret access key, as every signature check reads them, plus
 * the principal and policy of the keys the JSON form of --admin-credentials-file describes.
 */
export class AdminCredentials extends Map<string, string> {
  readonly principals = new Map<string, AdminPrincipal>();
}

/**
 * The JSON form of the admin credentials:
 * `{"credentials": [{"accessKeyId": "...", "secretAccessKey": "...", "name": "...", "policy": {...}}]}`
 * where `policy` is an IAM policy document (http/iam-policy.ts). Throws an Error naming the
 * entry that is wrong; the secrets are never part of a message.
 */
export function parseCredentialsJson(text: string): AdminCredentials {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which holds secrets.
    throw new Error('the admin credentials are not valid JSON');
  }
  const list = (doc as { credentials?: unknown } | null)?.credentials;
  if (!Array.isArray(list) || list.length === 0) throw new Error('admin credentials in JSON are {"credentials": [{"accessKeyId", "secretAccessKey", "policy"?}, ...]}');
  const out = new AdminCredentials();
  list.forEach((e: Record<string, unknown>, i) => {
    const where = `admin credentials entry ${i}`;
    if (typeof e !== 'object' || e === null) throw new Error(`${where} is not an object`);
    for (const key of Object.keys(e)) {
      if (!['accessKeyId', 'secretAccessKey', 'name', 'arn', 'policy'].includes(key)) throw new Error(`${where}: unknown field ${key}`);
    }
    const { accessKeyId, secretAccessKey, name, arn, policy } = e;
    if (typeof accessKeyId !== 'string' || !/^[A-Za-z0-9]+$/.test(accessKeyId)) throw new Error(`${where}: accessKeyId must be letters and digits`);
    if (typeof secretAccessKey !== 'string' || secretAccessKey.length === 0) throw new Error(`${where} (${accessKeyId}): secretAccessKey is missing`);
    if (out.has(accessKeyId)) throw new Error(`${where}: ${accessKeyId} is given twice`);
    if (name !== undefined && (typeof name !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(name))) throw new Error(`${where} (${accessKeyId}): name must be an IAM user name`);
    if (arn !== undefined && (typeof arn !== 'string' || !arn.startsWith('arn:'))) throw new Error(`${where} (${accessKeyId}): arn must be an ARN`);
    let parsed: Policy | undefined;
    if (policy !== undefined) {
      try {
        parsed = parsePolicy(policy);
      } catch (err) {
        throw new Error(`${where} (${accessKeyId}): ${(err as Error).message}`);
      }
    }
    out.set(accessKeyId, secretAccessKey);
    out.principals.set(accessKeyId, { name: name as string | undefined, arn: arn as string | undefined, policy: parsed });
  });
  return out;
}

/** What an admin call acts on, for the policy: its IAM action and its resource ARN (or `*`). */
export function callTarget(signingName: string, operation: string, body: Record<string, unknown>, accountId: string): { action: string; resource: string } {
  const action = `${signingName}:${operation}`;
  const str = (k: string) => (typeof body[k] === 'string' && (body[k] as string).length > 0 ? (body[k] as string) : undefined);
  const poolId = str('UserPoolId');
  const identityPoolId = str('IdentityPoolId');
  const arn = str('ResourceArn');
  let resource = '*';
  // The region is the one the id carries (us-east-1_abc, us-east-1:uuid), as in Cognito's ARNs.
  if (signingName === 'cognito-idp' && poolId) resource = `arn:aws:cognito-idp:${poolId.split('_')[0]}:${accountId}:userpool/${poolId}`;
  else if (signingName === 'cognito-identity' && identityPoolId) resource = `arn:aws:cognito-identity:${identityPoolId.split(':')[0]}:${accountId}:identitypool/${identityPoolId}`;
  else if (arn) resource = arn;
  return { action, resource };
}

/**
 * Refuses a signed admin call the key's policy does not allow, with IAM's AccessDeniedException
 * (HTTP 400) and its wording: "User: <arn> is not authorized to perform: <action> on resource:
 * <arn> because no identity-based policy allows the <action> action" (amplify-cli#10949), or
 * "... with an explicit deny in an identity-based policy" (IAM User Guide, troubleshooting
 * access denied messages).
 */
export function authorizeAdminCall(
  credentials: ReadonlyMap<string, string> | null,
  accessKeyId: string,
  accountId: string,
  target: { action: string; resource: string },
): void {
  if (!(credentials instanceof AdminCredentials)) return;
  const principal = credentials.principals.get(accessKeyId);
  if (!principal?.policy) return;
  const decision = evaluate(principal.policy, target.action, target.resource);
  if (decision === 'allow') return;
  const who = principal.arn ?? `arn:aws:iam::${accountId}:user/${principal.name ?? accessKeyId}`;
  const why = decision === 'explicit-deny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${target.action} action`;
  throw new CognitoError('AccessDeniedException', `User: ${who} is not authorized to perform: ${target.action} on resource: ${target.resource} ${why}`);
}
