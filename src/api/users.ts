import type { Handlers } from './context.ts';
import { requirePoolAndUser } from '../domain/users/users.ts';
import { mfaOptionsOf, toUserType } from '../domain/users/user-type.ts';
import { toAttributeList } from '../domain/users/attributes.ts';
import { adminCreateUser } from '../domain/users/user-create.ts';
import {
  adminConfirmSignUp,
  adminDeleteUser,
  adminDeleteUserAttributes,
  adminSetUserEnabled,
  adminSetUserPassword,
  adminUpdateUserAttributes,
} from '../domain/users/user-admin.ts';
import { listUsers } from '../domain/users/list-users.ts';

export const userHandlers: Handlers = {
  async AdminCreateUser(input, ctx) {
    const user = await adminCreateUser(ctx.app, input);
    return { User: toUserType(user) };
  },

  async AdminGetUser(input, ctx) {
    const { user } = await requirePoolAndUser(ctx.app.store, input.UserPoolId, input.Username);
    const mfa = user.data.mfa ?? {};
    const mfaOptions = mfaOptionsOf(user);
    const settings = mfa.UserMFASettingList as string[] | undefined;
    return {
      Username: user.username,
      UserAttributes: toAttributeList(user.attributes),
      UserCreateDate: user.createdAt / 1000,
      UserLastModifiedDate: user.updatedAt / 1000,
      Enabled: user.enabled,
      UserStatus: user.status,
      ...(mfaOptions ? { MFAOptions: mfaOptions } : {}),
      ...(typeof mfa.PreferredMfaSetting === 'string' ? { PreferredMfaSetting: mfa.PreferredMfaSetting } : {}),
      ...(settings?.length ? { UserMFASettingList: settings } : {}),
    };
  },

  async AdminDeleteUser(input, ctx) {
    await adminDeleteUser(ctx.app, input.UserPoolId, input.Username);
    return {};
  },

  async AdminUpdateUserAttributes(input, ctx) {
    await adminUpdateUserAttributes(ctx.app, input.UserPoolId, input.Username, input.UserAttributes, input.ClientMetadata);
    return {};
  },

  async AdminDeleteUserAttributes(input, ctx) {
    await adminDeleteUserAttributes(ctx.app, input.UserPoolId, input.Username, input.UserAttributeNames);
    return {};
  },

  async AdminEnableUser(input, ctx) {
    await adminSetUserEnabled(ctx.app, input.UserPoolId, input.Username, true);
    return {};
  },

  async AdminDisableUser(input, ctx) {
    await adminSetUserEnabled(ctx.app, input.UserPoolId, input.Username, false);
    return {};
  },

  async AdminSetUserPassword(input, ctx) {
    await adminSetUserPassword(ctx.app, input.UserPoolId, input.Username, input.Password, input.Permanent === true);
    return {};
  },

  async AdminConfirmSignUp(input, ctx) {
    await adminConfirmSignUp(ctx.app, input.UserPoolId, input.Username, input.ClientMetadata);
    return {};
  },

  async ListUsers(input, ctx) {
    return listUsers(ctx.app, input);
  },
};
