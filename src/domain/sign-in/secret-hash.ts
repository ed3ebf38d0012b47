import { createHmac, timingSafeEqual } from 'node:crypto';
import { notAuthorized } from '../../errors.ts';
import type { AppClient } from '../types.ts';
import { currentSecrets } from '../pools/client-secrets.ts';

/** SECRET_HASH = Base64(HMAC-SHA256(key = client secret, message = username + client id)). */
export function computeSecretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret).update(`${username}${clientId}`, 'utf8').digest('base64');
}

/** For a client with a secret, that a SECRET_HASH came at all (before anything is looked up). */
export function requireSecretHashSent(client: AppClient, given: string | undefined): void {
  if (client.clientSecret !== null && (given === undefined || given === '')) {
    throw notAuthorized(`Client ${client.clientId} is configured with secret but SECRET_HASH was not received`);
  }
}

/**
 * Checks the SECRET_HASH (or SecretHash) of a call from a client that has a secret; a client
 * without one needs none. `usernames` are the names the hash may have been made with: the
 * USERNAME the caller sent and, in challenge answers, the internal username too (clients built on
 * AWS's SDKs hash USER_ID_FOR_SRP there). Cognito's texts (seed 004, cognito-protocols.md §5):
 * "Client <id> is configured with secret but SECRET_HASH was not received",
 * "Unable to verify secret hash for client <id>". `mismatchMessage` replaces the second where
 * Cognito words it differently (the refresh path). A hash made with any current secret of the
 * client passes (two during a rotation, AddUserPoolClientSecret).
 */
export function checkSecretHash(
  client: AppClient,
  usernames: (string | undefined)[],
  given: string | undefined,
  mismatchMessage?: string,
): void {
  if (client.clientSecret === null) return;
  requireSecretHashSent(client, given);
  const givenBytes = Buffer.from(given ?? '', 'base64');
  let ok = false;
  for (const { value: secret } of currentSecrets(client)) {
    for (const username of new Set(usernames)) {
      if (username === undefined) continue;
      const expected = createHmac('sha256', secret).update(`${username}${client.clientId}`, 'utf8').digest();
      // Compare every candidate in full (no early exit), in constant time per candidate.
      if (givenBytes.length === expected.length && timingSafeEqual(givenBytes, expected)) ok = true;
    }
  }
  if (!ok) throw notAuthorized(mismatchMessage ?? `Unable to verify secret hash for client ${client.clientId}`);
}
