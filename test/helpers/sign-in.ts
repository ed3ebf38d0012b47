import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  type CreateUserPoolClientCommandInput,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient } from './tobira.ts';

/** A pool and an app client made through the JS SDK, for the sign-in tests. */
export async function poolWithClient(
  url: string,
  pool: Partial<CreateUserPoolCommandInput> = {},
  client: Partial<CreateUserPoolClientCommandInput> = {},
): Promise<{ poolId: string; clientId: string; clientSecret?: string }> {
  const sdk = idpClient(url);
  const p = await sdk.send(new CreateUserPoolCommand({ PoolName: 'sign-in', ...pool }));
  const poolId = p.UserPool!.Id!;
  const c = await sdk.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'app',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      ...client,
    }),
  );
  return { poolId, clientId: c.UserPoolClient!.ClientId!, clientSecret: c.UserPoolClient!.ClientSecret };
}

/** A user with a password: permanent (CONFIRMED) unless `temporary` (FORCE_CHANGE_PASSWORD). */
export async function userWithPassword(
  url: string,
  poolId: string,
  username: string,
  password: string,
  opts: { temporary?: boolean; attributes?: Record<string, string> } = {},
): Promise<string> {
  const sdk = idpClient(url);
  const r = await sdk.send(
    new AdminCreateUserCommand({
      UserPoolId: poolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      TemporaryPassword: password,
      UserAttributes: Object.entries(opts.attributes ?? {}).map(([Name, Value]) => ({ Name, Value })),
    }),
  );
  if (!opts.temporary) {
    await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: username, Password: password, Permanent: true }));
  }
  return r.User!.Username!;
}

/** The JWT payload. */
export const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
