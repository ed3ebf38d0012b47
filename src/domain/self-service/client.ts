import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AttributeType } from '../../generated/cognito-idp.ts';
import { CognitoError, notAuthorized } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import { getClient, preventUserExistenceErrors } from '../app-clients.ts';
import type { AppClient, UserPool } from '../types.ts';
import { getPool } from '../user-pools.ts';

/** The app client a user-facing call names, its pool, and whether it hides unknown users. */
export interface ClientCall {
  client: AppClient;
  pool: UserPool;
  /** PreventUserExistenceErrors ENABLED: unknown users get simulated answers. */
  hideUnknownUsers: boolean;
}

/**
 * Resolves ClientId (ResourceNotFoundException "User pool client <id> does not exist.") and
 * checks SecretHash for clients with a secret, over the username the caller sent.
 */
export async function clientCall(store: Store, clientId: string, username: string, secretHash: string | undefined): Promise<ClientCall> {
  const client = await getClient(store, clientId);
  const pool = await getPool(store, client.poolId);
  checkSecretHash(client, username, secretHash);
  return { client, pool, hideUnknownUsers: preventUserExistenceErrors(client) === 'ENABLED' };
}

// TODO(sign-in): switch to src/domain/auth/secret-hash.ts once it lands; same rule and texts.
function checkSecretHash(client: AppClient, username: string, secretHash: string | undefined): void {
  if (!client.clientSecret) return;
  if (!secretHash) {
    throw notAuthorized(`Client ${client.clientId} is configured with secret but SECRET_HASH was not received`);
  }
  const expected = createHmac('sha256', client.clientSecret).update(username + client.clientId).digest();
  const given = Buffer.from(secretHash, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw notAuthorized(`Unable to verify secret hash for client ${client.clientId}`);
  }
}

export const unauthorizedAttribute = () =>
  new CognitoError('NotAuthorizedException', 'A client attempted to write unauthorized attribute');

/**
 * The client's WriteAttributes apply to the user-facing writes (SignUp, UpdateUserAttributes,
 * DeleteUserAttributes). Without a list, every attribute but the verification flags is
 * writable: Cognito lets only the service or an administrator mark an email or phone verified.
 */
export function checkWritable(client: AppClient, names: string[]): void {
  const allowed = client.config.WriteAttributes;
  for (const name of names) {
    const ok = allowed?.length ? allowed.includes(name) : name !== 'email_verified' && name !== 'phone_number_verified';
    if (!ok) throw unauthorizedAttribute();
  }
}

export const attributeNames = (attrs: AttributeType[] | undefined) => (attrs ?? []).map((a) => a.Name);

/** The attributes a client may read (ReadAttributes; all when unset). */
export function readable(client: AppClient, attributes: Record<string, string>): Record<string, string> {
  const allowed = client.config.ReadAttributes;
  if (!allowed?.length) return attributes;
  return Object.fromEntries(Object.entries(attributes).filter(([n]) => n === 'sub' || allowed.includes(n)));
}
