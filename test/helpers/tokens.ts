import { createHmac } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  type CreateUserPoolClientCommandInput,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';

export const PASSWORD = 'Corr3ct-Horse!';

/** The JSON of a JWT's header and payload, undecoded signature aside. */
export function decodeJwt(token: string): { header: any; payload: any } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

export interface PoolSetup {
  poolId: string;
  clientId: string;
  clientSecret?: string;
}

/** A pool and a client that allows USER_PASSWORD_AUTH, made through the JS SDK. */
export async function createPoolAndClient(
  idp: CognitoIdentityProviderClient,
  pool: Partial<CreateUserPoolCommandInput> = {},
  client: Partial<CreateUserPoolClientCommandInput> = {},
): Promise<PoolSetup> {
  const p = await idp.send(new CreateUserPoolCommand({ PoolName: 'tokens', ...pool }));
  const c = await idp.send(
    new CreateUserPoolClientCommand({
      UserPoolId: p.UserPool!.Id!,
      ClientName: 'app',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      ...client,
    }),
  );
  return { poolId: p.UserPool!.Id!, clientId: c.UserPoolClient!.ClientId!, clientSecret: c.UserPoolClient!.ClientSecret };
}

export async function addClient(idp: CognitoIdentityProviderClient, poolId: string, client: Partial<CreateUserPoolClientCommandInput> = {}) {
  const c = await idp.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'other',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      ...client,
    }),
  );
  return { clientId: c.UserPoolClient!.ClientId!, clientSecret: c.UserPoolClient!.ClientSecret };
}

/** A CONFIRMED user with PASSWORD (AdminCreateUser, then a permanent AdminSetUserPassword). */
export async function createUser(
  idp: CognitoIdentityProviderClient,
  poolId: string,
  username: string,
  attributes: Record<string, string> = {},
): Promise<void> {
  await idp.send(
    new AdminCreateUserCommand({
      UserPoolId: poolId,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
    }),
  );
  await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: username, Password: PASSWORD, Permanent: true }));
}

/** Signs in with USER_PASSWORD_AUTH and returns the AuthenticationResult. */
export async function signIn(
  idp: CognitoIdentityProviderClient,
  clientId: string,
  username: string,
  password = PASSWORD,
  clientSecret?: string,
): Promise<Required<Pick<AuthenticationResultType, 'AccessToken' | 'IdToken' | 'RefreshToken' | 'ExpiresIn' | 'TokenType'>>> {
  const r = await idp.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: {
        USERNAME: username,
        PASSWORD: password,
        ...(clientSecret ? { SECRET_HASH: createHmac('sha256', clientSecret).update(username + clientId).digest('base64') } : {}),
      },
    }),
  );
  if (!r.AuthenticationResult) throw new Error(`no tokens: ${JSON.stringify(r)}`);
  return r.AuthenticationResult as any;
}

/**
 * A JWKS cache for aws-jwt-verify that really fetches over HTTP (its own fetcher speaks HTTPS
 * only). `rewrite` maps the URI the verifier asks for to ours (for Cognito's AWS issuer form).
 */
export function httpJwksCache(rewrite: (uri: string) => string = (u) => u) {
  const fetched: string[] = [];
  const cache = new SimpleJwksCache({
    fetcher: {
      fetch: async (uri: string) => {
        const target = rewrite(uri);
        fetched.push(target);
        const res = await fetch(target);
        if (res.status !== 200) throw new Error(`JWKS ${target}: HTTP ${res.status}`);
        return res.arrayBuffer();
      },
    },
  });
  return { cache, fetched };
}

/** Errors as {name, message} for assert.rejects. */
export async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('expected the call to fail');
}
