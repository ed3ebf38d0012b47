import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfirmForgotPasswordCommand,
  ForgotPasswordCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { ManualClock } from '../src/clock.ts';
import { sweepExpired } from '../src/domain/housekeeping.ts';
import { rotatePoolKeys } from '../src/domain/tokens/keys.ts';
import type { Running } from '../src/tobira.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { lastCode } from './helpers/outbox.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('sweeping expired records', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  const clock = new ManualClock(Date.now());
  before(async () => {
    t = await startTestServer({}, { clock });
    idp = idpClient(t.url);
  });
  after(() => t.close());

  const count = async (table: string) =>
    Number((await t.app.store.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n);

  test('expired refresh tokens, revocation marks, codes and retired keys go; live ones stay, and answers do not change', async () => {
    const { poolId, clientId } = await poolWithClient(t.url, { AutoVerifiedAttributes: ['email'] });
    await userWithPassword(t.url, poolId, 'kim', 'Passw0rd!x', { attributes: { email: 'kim@example.com', email_verified: 'true' } });
    const signIn = () =>
      idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'kim', PASSWORD: 'Passw0rd!x' } }));

    // A signed-out session (refresh token revoked, its origin marked), a code, a rotated key.
    const first = (await signIn()).AuthenticationResult!;
    await idp.send(new GlobalSignOutCommand({ AccessToken: first.AccessToken }));
    await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'kim' }));
    const code = await lastCode(t.url, 'kim@example.com');
    await rotatePoolKeys(t.app, poolId);
    assert.ok((await count('refresh_tokens')) >= 1);
    assert.ok((await count('revoked_tokens')) >= 1);
    assert.equal(await count('verification_codes'), 1);
    assert.equal(await count('signing_keys'), 4);

    // Nothing has expired yet: a sweep keeps everything.
    const early = await sweepExpired(t.app);
    assert.deepEqual({ ...early, sessions: 0, counters: 0 }, { refreshTokensAndRevocations: 0, codes: 0, keys: 0, sessions: 0, counters: 0, authEvents: 0 });
    assert.equal(await count('signing_keys'), 4);

    // 31 days on: the refresh token (30 days), the revocation mark, the code (1 h) and the
    // retired keys (24 h) have all expired. A new sign-in makes live records beside them.
    clock.advance(31 * DAY);
    const second = (await signIn()).AuthenticationResult!;
    const expiredCodeBefore = await sdkError(
      idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'kim', ConfirmationCode: code, Password: 'N3w-Passw0rd!' })),
    );

    const swept = await sweepExpired(t.app);
    assert.ok(swept.refreshTokensAndRevocations >= 2, JSON.stringify(swept));
    assert.equal(swept.codes, 1);
    assert.equal(swept.keys, 2);
    assert.equal(await count('refresh_tokens'), 1);
    assert.equal(await count('revoked_tokens'), 0);
    assert.equal(await count('verification_codes'), 0);
    assert.equal(await count('signing_keys'), 2);

    // The caller sees no difference: the swept code is still "expired", the old refresh token
    // still refused, and the live refresh token and current keys still work.
    assert.deepEqual(
      await sdkError(
        idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'kim', ConfirmationCode: code, Password: 'N3w-Passw0rd!' })),
      ),
      expiredCodeBefore,
    );
    assert.equal(expiredCodeBefore.name, 'ExpiredCodeException');
    const refreshWith = (token: string) =>
      idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: token } }));
    assert.equal((await sdkError(refreshWith(first.RefreshToken!))).name, 'NotAuthorizedException');
    assert.ok((await refreshWith(second.RefreshToken!)).AuthenticationResult!.IdToken);
    const jwks = (await (await fetch(`${t.url}/${poolId}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    assert.equal(jwks.keys.length, 2);

    // A second sweep finds nothing more.
    const again = await sweepExpired(t.app);
    assert.equal(again.refreshTokensAndRevocations + again.codes + again.keys, 0);
  });
});
