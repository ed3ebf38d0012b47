import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteUserAttributesCommand,
  DeleteUserCommand,
  GetUserAttributeVerificationCodeCommand,
  GetUserCommand,
  InitiateAuthCommand,
  UpdateUserAttributesCommand,
  VerifyUserAttributeCommand,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
  type CreateUserPoolClientCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthenticationDetails, CognitoUser, CognitoUserAttribute, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { aws, idpClient, startTestServer, sdkError } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { lastCode, outboxMessages } from './helpers/outbox.ts';
import type { Running } from '../src/tobira.ts';

describe("a signed-in user's own attributes", () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  before(async () => {
    t = await startTestServer();
    idp = idpClient(t.url);
  });
  after(() => t.close());

  async function makePool(pool: Partial<CreateUserPoolCommandInput> = {}, client: Partial<CreateUserPoolClientCommandInput> = {}) {
    const p = await idp.send(new CreateUserPoolCommand({ PoolName: 'attrs', AutoVerifiedAttributes: ['email'], ...pool }));
    const poolId = p.UserPool!.Id!;
    const c = await idp.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: 'app',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        ...client,
      }),
    );
    return { poolId, clientId: c.UserPoolClient!.ClientId! };
  }

  /** A confirmed user with a verified email, signed in: returns the access token. */
  async function signedIn(poolId: string, clientId: string, username: string, email: string, extra: Record<string, string> = {}) {
    const attrs = { email, email_verified: 'true', ...extra };
    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
      }),
    );
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: username, Password: 'SecurePass123!', Permanent: true }));
    const r = await idp.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD: 'SecurePass123!' } }),
    );
    return r.AuthenticationResult!.AccessToken!;
  }

  const attributesOf = async (token: string) =>
    Object.fromEntries((await idp.send(new GetUserCommand({ AccessToken: token }))).UserAttributes!.map((a) => [a.Name!, a.Value!]));

  test('a changed email is unverified at once and gets a code; VerifyUserAttribute verifies it', async () => {
    const { poolId, clientId } = await makePool();
    const token = await signedIn(poolId, clientId, 'amy', 'amy@example.com');
    const r = await idp.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'email', Value: 'amy@new.example.org' }, { Name: 'name', Value: 'Amy' }] }));
    assert.deepEqual(r.CodeDeliveryDetailsList, [{ Destination: 'a***@n***', DeliveryMedium: 'EMAIL', AttributeName: 'email' }]);
    let attrs = await attributesOf(token);
    assert.equal(attrs.email, 'amy@new.example.org');
    assert.equal(attrs.email_verified, 'false');
    assert.equal(attrs.name, 'Amy');
    const [mail] = await outboxMessages(t.url, { to: 'amy@new.example.org' });
    assert.equal(mail.kind, 'verify-attribute');

    const code = await lastCode(t.url, 'amy@new.example.org');
    assert.deepEqual(await sdkError(idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: 'email', Code: code === '000000' ? '000001' : '000000' }))), {
      name: 'CodeMismatchException',
      message: 'Invalid verification code provided, please try again.',
    });
    await idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: 'email', Code: code }));
    attrs = await attributesOf(token);
    assert.equal(attrs.email_verified, 'true');
    assert.equal((await sdkError(idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: 'email', Code: code })))).name, 'ExpiredCodeException');

    // Changing a non-verified attribute sends nothing.
    const none = await idp.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'family_name', Value: 'A' }] }));
    assert.equal(none.CodeDeliveryDetailsList, undefined);
  });

  test('AttributesRequireVerificationBeforeUpdate keeps the old email until the new one is verified', async () => {
    const { poolId, clientId } = await makePool({ UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] } });
    const token = await signedIn(poolId, clientId, 'ben', 'ben@example.com');
    const r = await idp.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'email', Value: 'ben@other.com' }] }));
    assert.equal(r.CodeDeliveryDetailsList![0].Destination, 'b***@o***');
    let attrs = await attributesOf(token);
    assert.equal(attrs.email, 'ben@example.com');
    assert.equal(attrs.email_verified, 'true');
    assert.deepEqual(await outboxMessages(t.url, { to: 'ben@example.com' }), []);

    // A code requested now also goes to the waiting address.
    const again = await idp.send(new GetUserAttributeVerificationCodeCommand({ AccessToken: token, AttributeName: 'email' }));
    assert.equal(again.CodeDeliveryDetails!.Destination, 'b***@o***');
    await idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: 'email', Code: await lastCode(t.url, 'ben@other.com') }));
    attrs = await attributesOf(token);
    assert.equal(attrs.email, 'ben@other.com');
    assert.equal(attrs.email_verified, 'true');
  });

  test("the client's WriteAttributes, and the verification flags only the service sets", async () => {
    const { poolId, clientId } = await makePool({}, { WriteAttributes: ['name', 'email'] });
    const token = await signedIn(poolId, clientId, 'cat', 'cat@example.com');
    const unauthorized = { name: 'NotAuthorizedException', message: 'A client attempted to write unauthorized attribute' };
    assert.deepEqual(await sdkError(idp.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'family_name', Value: 'C' }] }))), unauthorized);
    assert.deepEqual(await sdkError(idp.send(new DeleteUserAttributesCommand({ AccessToken: token, UserAttributeNames: ['family_name'] }))), unauthorized);
    const open = await makePool();
    const t2 = await signedIn(open.poolId, open.clientId, 'cat', 'cat@example.com');
    assert.deepEqual(await sdkError(idp.send(new UpdateUserAttributesCommand({ AccessToken: t2, UserAttributes: [{ Name: 'email_verified', Value: 'true' }] }))), unauthorized);
    const bad = await sdkError(idp.send(new UpdateUserAttributesCommand({ AccessToken: t2, UserAttributes: [{ Name: 'custom:nope', Value: 'x' }] })));
    assert.equal(bad.name, 'InvalidParameterException');
    assert.match(bad.message, /^Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema\./);
  });

  test('DeleteUserAttributes removes what the schema allows; DeleteUser removes the user', async () => {
    const { poolId, clientId } = await makePool({ Schema: [{ Name: 'name', AttributeDataType: 'String', Required: true, Mutable: true }] });
    const token = await signedIn(poolId, clientId, 'dan', 'dan@example.com', { name: 'Dan', nickname: 'D' });
    await idp.send(new DeleteUserAttributesCommand({ AccessToken: token, UserAttributeNames: ['nickname', 'email'] }));
    const attrs = await attributesOf(token);
    assert.equal(attrs.nickname, undefined);
    assert.equal(attrs.email, undefined);
    assert.equal(attrs.email_verified, undefined);
    const required = await sdkError(idp.send(new DeleteUserAttributesCommand({ AccessToken: token, UserAttributeNames: ['name'] })));
    assert.equal(required.name, 'InvalidParameterException');

    await idp.send(new DeleteUserCommand({ AccessToken: token }));
    assert.equal(await t.app.store.users.get(poolId, 'dan'), undefined);
    assert.equal((await sdkError(idp.send(new GetUserCommand({ AccessToken: token })))).name, 'UserNotFoundException');
  });

  test('GetUserAttributeVerificationCode: 5 an hour, only for an attribute the user has', async () => {
    const { poolId, clientId } = await makePool();
    const token = await signedIn(poolId, clientId, 'eli', 'eli@example.com');
    assert.equal((await sdkError(idp.send(new GetUserAttributeVerificationCodeCommand({ AccessToken: token, AttributeName: 'phone_number' })))).name, 'InvalidParameterException');
    for (let i = 0; i < 5; i++) await idp.send(new GetUserAttributeVerificationCodeCommand({ AccessToken: token, AttributeName: 'email' }));
    assert.deepEqual(await sdkError(idp.send(new GetUserAttributeVerificationCodeCommand({ AccessToken: token, AttributeName: 'email' }))), {
      name: 'LimitExceededException',
      message: 'Attempt limit exceeded, please try after some time.',
    });
    assert.equal((await outboxMessages(t.url, { to: 'eli@example.com' })).length, 5);
  });

  test('a code sent to an address the user has since replaced does not verify the new one', async () => {
    const { poolId, clientId } = await makePool();
    const token = await signedIn(poolId, clientId, 'fin', 'fin@example.com');
    await idp.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'email', Value: 'fin@one.com' }] }));
    const oldCode = await lastCode(t.url, 'fin@one.com');
    await idp.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'email', Value: 'fin@two.com' }] }));
    const newCode = await lastCode(t.url, 'fin@two.com');
    if (oldCode !== newCode) {
      assert.equal((await sdkError(idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: 'email', Code: oldCode })))).name, 'CodeMismatchException');
    }
    await idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: 'email', Code: newCode }));
    assert.equal((await attributesOf(token)).email_verified, 'true');
  });

  test('AliasAttributes: a verified email becomes a sign-in name and must be free', async () => {
    const { poolId, clientId } = await makePool({ AliasAttributes: ['email'] });
    await signedIn(poolId, clientId, 'gil', 'shared@example.com');
    const token = await signedIn(poolId, clientId, 'hugo', 'hugo@example.com');
    await idp.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'email', Value: 'shared@example.com' }] }));
    const code = await lastCode(t.url, 'shared@example.com');
    assert.deepEqual(await sdkError(idp.send(new VerifyUserAttributeCommand({ AccessToken: token, AttributeName: 'email', Code: code }))), {
      name: 'AliasExistsException',
      message: 'An account with the given email already exists.',
    });
  });

  test('AWS CLI: update-user-attributes and verify-user-attribute with an access token', needs('aws'), async () => {
    const { poolId, clientId } = await makePool();
    const token = await signedIn(poolId, clientId, 'ida', 'ida@example.com');
    const u = await aws(t.url, ['cognito-idp', 'update-user-attributes', '--access-token', token, '--user-attributes', 'Name=email,Value=ida@cli.example.com']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.json.CodeDeliveryDetailsList[0].AttributeName, 'email');
    const v = await aws(t.url, [
      'cognito-idp', 'verify-user-attribute', '--access-token', token, '--attribute-name', 'email',
      '--code', await lastCode(t.url, 'ida@cli.example.com'),
    ]);
    assert.equal(v.code, 0, v.stderr);
    const g = await aws(t.url, ['cognito-idp', 'get-user-attribute-verification-code', '--access-token', token, '--attribute-name', 'email']);
    assert.equal(g.code, 0, g.stderr);
    assert.deepEqual(g.json.CodeDeliveryDetails, { Destination: 'i***@c***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
  });

  test('amazon-cognito-identity-js: updateAttributes, getAttributeVerificationCode / verifyAttribute, deleteAttributes, deleteUser', async () => {
    const { poolId, clientId } = await makePool();
    await signedIn(poolId, clientId, 'jay', 'jay@example.com');
    const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url });
    const user = new CognitoUser({ Username: 'jay', Pool: pool });
    await new Promise<CognitoUserSession>((resolve, reject) =>
      user.authenticateUser(new AuthenticationDetails({ Username: 'jay', Password: 'SecurePass123!' }), { onSuccess: resolve, onFailure: reject }),
    );
    const updated = await new Promise<string>((resolve, reject) =>
      user.updateAttributes([new CognitoUserAttribute({ Name: 'email', Value: 'jay@js.example.com' })], (err, res) => (err ? reject(err) : resolve(res!))),
    );
    assert.equal(updated, 'SUCCESS');
    const sent = await new Promise<any>((resolve, reject) =>
      user.getAttributeVerificationCode('email', { onSuccess: resolve, onFailure: reject, inputVerificationCode: (data: any) => resolve(data) }),
    );
    assert.equal(sent.CodeDeliveryDetails.AttributeName, 'email');
    const verified = await new Promise<string>((resolve, reject) =>
      lastCode(t.url, 'jay@js.example.com').then((code) => user.verifyAttribute('email', code, { onSuccess: resolve, onFailure: reject })),
    );
    assert.equal(verified, 'SUCCESS');
    const attrs = await new Promise<CognitoUserAttribute[]>((resolve, reject) => user.getUserAttributes((err, res) => (err ? reject(err) : resolve(res!))));
    assert.equal(attrs.find((a) => a.getName() === 'email_verified')?.getValue(), 'true');
    const deleted = await new Promise<string>((resolve, reject) => user.deleteAttributes(['email'], (err, res) => (err ? reject(err) : resolve(res!))));
    assert.equal(deleted, 'SUCCESS');
    const gone = await new Promise<string>((resolve, reject) => user.deleteUser((err, res) => (err ? reject(err) : resolve(res!))));
    assert.equal(gone, 'SUCCESS');
    assert.equal(await t.app.store.users.get(poolId, 'jay'), undefined);
  });
});
