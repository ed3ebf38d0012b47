import type { Handlers } from './context.ts';
import { confirmSignUp, resendConfirmationCode, signUp } from '../domain/self-service/sign-up.ts';
import { adminResetUserPassword, confirmForgotPassword, forgotPassword } from '../domain/self-service/recovery.ts';

/** Sign-up, confirmation, account recovery and the user's own attributes. */
export const selfServiceHandlers: Handlers = {
  SignUp: (input, ctx) => signUp(ctx.app, input),

  async ConfirmSignUp(input, ctx) {
    await confirmSignUp(ctx.app, input);
    return {};
  },

  async ResendConfirmationCode(input, ctx) {
    return { CodeDeliveryDetails: await resendConfirmationCode(ctx.app, input) };
  },

  async ForgotPassword(input, ctx) {
    return { CodeDeliveryDetails: await forgotPassword(ctx.app, input) };
  },

  async ConfirmForgotPassword(input, ctx) {
    await confirmForgotPassword(ctx.app, input);
    return {};
  },

  async AdminResetUserPassword(input, ctx) {
    await adminResetUserPassword(ctx.app, input.UserPoolId, input.Username);
    return {};
  },
};
