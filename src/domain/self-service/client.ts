import type { AttributeType } from '../../generated/cognito-idp.ts';
import { CognitoError, notAuthorized } from '../../errors.ts';
import { checkSecretHash } from '../sign-in/secret-hash.ts';
import type { Store } from '../../store/store.ts';
import { getClientAndPool, preventUserExistenceErrors } from '../pools/app-clients.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import type { App } from '../../app.ts';
import { verifyAccessToken } from '../tokens/access-tokens.ts';

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
  const { client, pool } = await getClientAndPool(store, clientId);
  checkSecretHash(client, [username], secretHash);
  return { client, pool, hideUnknownUsers: preventUserExistenceErrors(client) === 'ENABLED' };
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

/**
 * The caller of a token-authenticated self-service call: the access token checked (signature,
 * expiry, revocation, user enabled; see access-tokens.ts), and the client it was issued to, whose
 * Read/WriteAttributes apply.
 */
export async function tokenCall(app: App, accessToken: string): Promise<{ pool: UserPool; client: AppClient; user: User }> {
  const { pool, user, claims } = await verifyAccessToken(app, accessToken);
  const client = typeof claims.client_id === 'string' ? await app.store.clients.get(claims.client_id) : undefined;
  if (!client || client.poolId !== pool.id) throw notAuthorized('Invalid Access Token');
  return { pool, client, user };
}
