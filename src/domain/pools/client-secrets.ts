import { timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type { ClientSecretDescriptorType } from '../../generated/cognito-idp.ts';
import { firstSecretId } from '../../store/repos/clients.ts';
import type { AppClient, ClientSecret } from '../types.ts';
import { getPoolClient, newClientSecret } from './app-clients.ts';

/**
 * Client secret rotation: AddUserPoolClientSecret, ListUserPoolClientSecrets and
 * DeleteUserPoolClientSecret. Cognito "supports up to 2 active secrets per app client for
 * zero-downtime credential rotation", never shows a value again after creation (and shows a given
 * one not even then), and refuses to delete "the last remaining secret" (API reference, 2025).
 * The secret a client was created with counts as one. While two are current, SECRET_HASH, the
 * ClientSecret of GetTokensFromRefreshToken and RevokeToken, and the token endpoint's client
 * authentication accept either.
 */
export const MAX_CLIENT_SECRETS = 2;

/** Every current secret of the client, oldest first; none for a client without a secret. */
export function currentSecrets(client: AppClient): ClientSecret[] {
  if (client.clientSecret === null) return [];
  return client.secrets ?? [{ id: firstSecretId(client.clientId, client.createdAt), value: client.clientSecret, createdAt: client.createdAt }];
}

/**
 * Whether `given` is one of the client's current secrets. Every secret is compared, each in
 * constant time, so the answer's timing tells neither which matched nor how much of one did.
 */
export function matchesAnySecret(client: AppClient, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  let ok = false;
  for (const s of currentSecrets(client)) {
    const b = Buffer.from(s.value);
    if (a.length === b.length && timingSafeEqual(a, b)) ok = true;
  }
  return ok;
}

const describe = (s: ClientSecret, withValue: boolean): ClientSecretDescriptorType => ({
  ClientSecretId: s.id,
  ...(withValue ? { ClientSecretValue: s.value } : {}),
  ClientSecretCreateDate: s.createdAt / 1000,
});

// The texts of these refusals are not in any public source we found: guessed.
const publicClient = (clientId: string) => invalidParameter(`Client ${clientId} does not have a client secret.`); // guessed
const tooMany = (clientId: string) =>
  new CognitoError('LimitExceededException', `Client ${clientId} already has the maximum of ${MAX_CLIENT_SECRETS} client secrets.`); // guessed

export async function addClientSecret(app: App, poolId: string, clientId: string, given: string | undefined): Promise<ClientSecretDescriptorType> {
  return app.store.tx(async (s) => {
    const client = await getPoolClient(s, poolId, clientId);
    if (client.clientSecret === null) throw publicClient(clientId);
    const secrets = currentSecrets(client);
    if (secrets.length >= MAX_CLIENT_SECRETS) throw tooMany(clientId);
    let createdAt = app.clock.now();
    // The id carries the creation time; two secrets made within one millisecond get distinct ones.
    while (secrets.some((x) => x.id === firstSecretId(clientId, createdAt))) createdAt++;
    const secret: ClientSecret = { id: firstSecretId(clientId, createdAt), value: given ?? newClientSecret(app), createdAt };
    await s.clients.addSecret(clientId, secret);
    return describe(secret, given === undefined);
  });
}

export async function listClientSecrets(app: App, poolId: string, clientId: string): Promise<ClientSecretDescriptorType[]> {
  const client = await getPoolClient(app.store, poolId, clientId);
  return currentSecrets(client).map((x) => describe(x, false));
}

/**
 * Deletes one secret; the last is refused. When the deleted one is the secret
 * DescribeUserPoolClient shows, the other takes its place there.
 */
export async function deleteClientSecret(app: App, poolId: string, clientId: string, secretId: string): Promise<void> {
  await app.store.tx(async (s) => {
    const client = await getPoolClient(s, poolId, clientId);
    const secrets = currentSecrets(client);
    const index = secrets.findIndex((x) => x.id === secretId);
    if (index < 0) throw resourceNotFound(`Client secret ${secretId} does not exist.`); // guessed
    if (secrets.length === 1) throw invalidParameter('Cannot delete the last remaining client secret.'); // guessed
    if (index === 0) {
      const next = secrets[1];
      await s.clients.setFirstSecret(clientId, next);
      await s.clients.deleteSecret(clientId, next.id);
    } else {
      await s.clients.deleteSecret(clientId, secretId);
    }
  });
}
