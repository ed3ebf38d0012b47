import type { App } from '../app.ts';
import { resourceServerScopes } from '../domain/pools/resource-servers.ts';
import type { AppClient } from '../domain/types.ts';

/** The scopes of the user pool itself; anything else is a resource server's `<identifier>/<name>`. */
export const USER_POOL_SCOPES = new Set(['openid', 'email', 'phone', 'profile', 'aws.cognito.signin.user.admin']);

export const allowedScopes = (client: AppClient) => client.config.AllowedOAuthScopes ?? [];


/**
 * The scopes granted for a request: the requested ones (space-separated), or all the client's
 * allowed scopes when none are named; undefined when one is not allowed for the client.
 * Resource-server scopes that no longer exist are dropped silently, as Cognito drops them.
 */
export async function grantScopes(app: App, client: AppClient, requested: string | undefined, only?: (s: string) => boolean): Promise<string[] | undefined> {
  const allowed = allowedScopes(client).filter((s) => !only || only(s));
  const names = requested === undefined ? allowed : [...new Set(requested.split(' ').filter(Boolean))];
  if (names.some((s) => !allowed.includes(s))) return undefined;
  const custom = names.some((s) => !USER_POOL_SCOPES.has(s)) ? await resourceServerScopes(app.store, client.poolId) : new Set<string>();
  return names.filter((s) => USER_POOL_SCOPES.has(s) || custom.has(s));
}
