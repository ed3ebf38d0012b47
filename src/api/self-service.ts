import type { Handlers } from './context.ts';
import { confirmSignUp, resendConfirmationCode, signUp } from '../domain/self-service/sign-up.ts';
import { adminResetUserPassword, confirmForgotPassword, forgotPassword } from '../domain/self-service/recovery.ts';
import { getUserAttributeVerificationCode, verifyUserAttribute } from '../domain/self-service/attribute-verification.ts';
import { deleteUser, deleteUserAttributes, updateUserAttributes } from '../domain/self-service/profile.ts';
import { tokenCall } from '../domain/self-service/client.ts';

/** Sign-up, confirmation, account recovery and the user's own attributes. */
export const selfServiceHandlers: Handlers = {
  SignUp: (input, ctx) => signUp(ctx.app, input, ctx.origin),

  async ConfirmSignUp(input, ctx) {
    const session = await confirmSignUp(ctx.app, input);
    return session ? { Session: session } : {};
  },

  async ResendConfirmationCode(input, ctx) {
    return { CodeDeliveryDetails: await resendConfirmationCode(ctx.app, input, ctx.origin) };
  },

  async ForgotPassword(input, ctx) {
    return { CodeDeliveryDetails: await forgotPassword(ctx.app, input, ctx.origin) };
  },

  async ConfirmForgotPassword(input, ctx) {
    await confirmForgotPassword(ctx.app, input, ctx.origin);
    return {};
  },

  async AdminResetUserPassword(input, ctx) {
    await adminResetUserPassword(ctx.app, input.UserPoolId, input.Username, input.ClientMetadata);
    return {};
  },

  async GetUserAttributeVerificationCode(input, ctx) {
    const { pool, client, user } = await tokenCall(ctx.app, input.AccessToken);
    return { CodeDeliveryDetails: await getUserAttributeVerificationCode(ctx.app, pool, client, user, input.AttributeName, input.ClientMetadata) };
  },

  async VerifyUserAttribute(input, ctx) {
    const { pool, user } = await tokenCall(ctx.app, input.AccessToken);
    await verifyUserAttribute(ctx.app, pool, user, input.AttributeName, input.Code);
    return {};
  },

  async UpdateUserAttributes(input, ctx) {
    const { pool, client, user } = await tokenCall(ctx.app, input.AccessToken);
    const list = await updateUserAttributes(ctx.app, pool, client, user, input.UserAttributes, input.ClientMetadata);
    return list.length ? { CodeDeliveryDetailsList: list } : {};
  },

  async DeleteUserAttributes(input, ctx) {
    const { pool, client, user } = await tokenCall(ctx.app, input.AccessToken);
    await deleteUserAttributes(ctx.app, pool, client, user, input.UserAttributeNames);
    return {};
  },

  async DeleteUser(input, ctx) {
    const { pool, user } = await tokenCall(ctx.app, input.AccessToken);
    await deleteUser(ctx.app, pool, user);
    return {};
  },
};
