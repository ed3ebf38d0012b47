import type { App } from '../app.ts';
import type { Handlers } from './context.ts';
import { notAuthorized } from '../errors.ts';
import { confirmDevice, forgetDevice, getDevice, listDevices, updateDeviceStatus } from '../domain/mfa/devices.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { tokenCall } from '../domain/self-service/client.ts';
import { requireUser } from '../domain/users/users.ts';

/** The user of a device call: by access token (GetDevice and ForgetDevice model it as optional, but a user is needed). */
async function byToken(app: App, accessToken: string | undefined) {
  if (!accessToken) throw notAuthorized('Invalid Access Token');
  return tokenCall(app, accessToken);
}

/** The user of an Admin device call: the pool, then the user by username or alias. */
async function byAdmin(app: App, poolId: string, username: string) {
  const pool = await getPool(app.store, poolId);
  return { pool, user: await requireUser(app.store, pool, username) };
}

/** Remembered devices (domain/mfa/devices.ts), for the signed-in user and for administrators. */
export const deviceHandlers: Handlers = {
  async ConfirmDevice(input, ctx) {
    const { pool, user } = await byToken(ctx.app, input.AccessToken);
    return confirmDevice(ctx.app, pool, user, input, ctx.sourceIp);
  },

  async GetDevice(input, ctx) {
    const { pool, user } = await byToken(ctx.app, input.AccessToken);
    return getDevice(ctx.app, pool, user, input.DeviceKey);
  },

  async ListDevices(input, ctx) {
    const { pool, user } = await byToken(ctx.app, input.AccessToken);
    return listDevices(ctx.app, pool, user, input.Limit, input.PaginationToken);
  },

  async UpdateDeviceStatus(input, ctx) {
    const { pool, user } = await byToken(ctx.app, input.AccessToken);
    await updateDeviceStatus(ctx.app, pool, user, input.DeviceKey, input.DeviceRememberedStatus);
    return {};
  },

  async ForgetDevice(input, ctx) {
    const { pool, user } = await byToken(ctx.app, input.AccessToken);
    await forgetDevice(ctx.app, pool, user, input.DeviceKey);
    return {};
  },

  async AdminGetDevice(input, ctx) {
    const { pool, user } = await byAdmin(ctx.app, input.UserPoolId, input.Username);
    return getDevice(ctx.app, pool, user, input.DeviceKey);
  },

  async AdminListDevices(input, ctx) {
    const { pool, user } = await byAdmin(ctx.app, input.UserPoolId, input.Username);
    return listDevices(ctx.app, pool, user, input.Limit, input.PaginationToken);
  },

  async AdminUpdateDeviceStatus(input, ctx) {
    const { pool, user } = await byAdmin(ctx.app, input.UserPoolId, input.Username);
    await updateDeviceStatus(ctx.app, pool, user, input.DeviceKey, input.DeviceRememberedStatus);
    return {};
  },

  async AdminForgetDevice(input, ctx) {
    const { pool, user } = await byAdmin(ctx.app, input.UserPoolId, input.Username);
    await forgetDevice(ctx.app, pool, user, input.DeviceKey);
    return {};
  },
};
