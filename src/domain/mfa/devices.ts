import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type { DeviceRememberedStatusType, DeviceSecretVerifierConfigType, DeviceType, NewDeviceMetadataType } from '../../generated/cognito-idp.ts';
import type { DeviceRecord } from '../../store/repos/devices.ts';
import type { Store } from '../../store/store.ts';
import { decodeToken, encodeToken, randomString, uuid } from '../../util/ids.ts';
import type { AuthOutcome } from '../sign-in/result.ts';
import type { SignInContext } from '../sign-in/sign-in.ts';
import { N } from '../sign-in/srp-math.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { deviceSrpChallenge } from './device-srp.ts';

/**
 * Remembered devices (Cognito developer guide, "Working with user devices in your user pool").
 * A pool tracks devices once any DeviceConfiguration field is set. A sign-in that names no device
 * gets NewDeviceMetadata: a device key `<region>_<uuid>` and a DeviceGroupKey, kept here as a
 * pending device. ConfirmDevice stores the device's SRP salt and verifier (the client made them
 * with username = DeviceKey and "pool name" = DeviceGroupKey) and from then on the device exists
 * for GetDevice, ListDevices and sign-in. A sign-in naming a confirmed device proves it with
 * DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER (device-srp.ts): in place of MFA when the device is
 * remembered and the pool says ChallengeRequiredOnNewDevice, else after MFA.
 */

// Cognito's texts: "Device does not exist." for a forgotten or unknown device at sign-in and in
// the device operations (amazon-cognito-identity-js#200, aws-sdk-net#1055, amplify-android#2605);
// "Invalid device key given." when ConfirmDevice names a key not issued to the user (boto3#4059,
// aws-aspnet-cognito-identity-provider#206).
export const deviceNotFound = () => resourceNotFound('Device does not exist.');
const invalidDeviceKey = () => invalidParameter('Invalid device key given.');

/** How long a device key from NewDeviceMetadata may wait for ConfirmDevice. Ours: a day. */
const PENDING_MS = 24 * 60 * 60 * 1000;
const MAX_LIST = 60;

/** Device tracking is on once any DeviceConfiguration field is set (DeviceConfigurationType docs). */
export function tracksDevices(pool: UserPool): boolean {
  const c = pool.config.DeviceConfiguration;
  return !!c && (c.ChallengeRequiredOnNewDevice !== undefined || c.DeviceOnlyRememberedOnUserPrompt !== undefined);
}

/** A device passed DEVICE_PASSWORD_VERIFIER in place of MFA: remembered, on a pool that allows it. */
function skipsMfa(pool: UserPool, d: DeviceRecord): boolean {
  return pool.config.DeviceConfiguration?.ChallengeRequiredOnNewDevice === true && d.remembered === 'remembered';
}

/** A device the user may use or manage: confirmed and theirs; else "Device does not exist.". */
export async function userDevice(store: Store, pool: UserPool, usernameKey: string, deviceKey: string): Promise<DeviceRecord> {
  const d = await store.devices.get(pool.id, deviceKey);
  if (!d || d.status !== 'confirmed' || d.usernameKey !== usernameKey) throw deviceNotFound();
  return d;
}

/**
 * Before the first factor's session is used up (srp.ts): a DEVICE_KEY that is not one of the
 * user's devices is refused with ResourceNotFoundException, which amazon-cognito-identity-js
 * answers by forgetting its stored device and sending the same PASSWORD_VERIFIER answer again
 * without DEVICE_KEY (CognitoUser.authenticateUserDefaultAuth).
 */
export async function checkSignInDevice(app: App, pool: UserPool, usernameKey: string | null, deviceKey: string | undefined): Promise<void> {
  if (!deviceKey || usernameKey === null || !tracksDevices(pool)) return;
  await userDevice(app.store, pool, usernameKey, deviceKey);
}

/**
 * DEVICE_SRP_AUTH when the sign-in names a remembered device of this user that lets it skip
 * MFA, else null (the device is then proved after MFA, in deviceStepBeforeTokens). A DEVICE_KEY
 * that is not one of the user's devices is "Device does not exist.".
 */
export async function deviceChallenge(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext): Promise<AuthOutcome | null> {
  if (!ctx.deviceKey || ctx.deviceVerified || !tracksDevices(pool)) return null;
  const device = await userDevice(app.store, pool, user.usernameKey, ctx.deviceKey);
  if (!device.srpVerifier || !skipsMfa(pool, device)) return null;
  return deviceSrpChallenge(app, pool, client, user, ctx, true);
}

/**
 * The device step just before tokens: a named device with a verifier that has not been proved in
 * this sign-in yet is asked to (DEVICE_SRP_AUTH after MFA, as amazon-cognito-identity-js's
 * sendMFACode expects); else null.
 */
export async function deviceStepBeforeTokens(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext): Promise<AuthOutcome | null> {
  if (!ctx.deviceKey || ctx.deviceVerified || !tracksDevices(pool)) return null;
  const device = await userDevice(app.store, pool, user.usernameKey, ctx.deviceKey);
  if (!device.srpVerifier) return null;
  return deviceSrpChallenge(app, pool, client, user, ctx, false);
}

/**
 * A new device key for a sign-in that named none (NewDeviceMetadata), stored pending in `store`
 * (the sign-in's transaction); the user's pending keys that expired go at the same time.
 */
export async function issueDevice(app: App, store: Store, pool: UserPool, user: User): Promise<Required<NewDeviceMetadataType>> {
  const now = app.clock.now();
  await store.devices.prunePending(pool.id, user.usernameKey, now);
  // Observed group keys are "-" and 8 letters and digits ("-v7w9UcY6"; reference §4.8).
  const d: DeviceRecord = {
    poolId: pool.id,
    deviceKey: `${pool.region}_${uuid(app.random)}`,
    usernameKey: user.usernameKey,
    groupKey: `-${randomString(app.random, 8)}`,
    status: 'pending',
    remembered: null,
    name: null,
    srpSalt: null,
    srpVerifier: null,
    lastIp: null,
    createdAt: now,
    updatedAt: now,
    lastAuthenticatedAt: null,
    expiresAt: now + PENDING_MS,
  };
  await store.devices.insert(d);
  return { DeviceKey: d.deviceKey, DeviceGroupKey: d.groupKey };
}

/** Base64 of a positive integer's bytes, as the client sends the salt and verifier, to hex. */
function base64Number(value: string | undefined, name: string): string {
  const bytes = value && /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (bytes.length === 0 || bytes.length > 1024 || bytes.every((b) => b === 0)) {
    throw invalidParameter(`DeviceSecretVerifierConfig.${name} is not valid.`);
  }
  return bytes.toString('hex');
}

/**
 * ConfirmDevice: the device key must have been issued to this user (pending) or be theirs;
 * stores the name and the SRP salt and verifier. UserConfirmationNecessary is true when the pool
 * remembers devices only on the user's word (DeviceOnlyRememberedOnUserPrompt): the device stays
 * not_remembered until UpdateDeviceStatus; otherwise it is remembered at once.
 */
export async function confirmDevice(
  app: App,
  pool: UserPool,
  user: User,
  input: { DeviceKey: string; DeviceName?: string; DeviceSecretVerifierConfig?: DeviceSecretVerifierConfigType },
  sourceIp?: string,
): Promise<{ UserConfirmationNecessary: boolean }> {
  const config = input.DeviceSecretVerifierConfig;
  let salt: string | null = null;
  let verifier: string | null = null;
  if (config) {
    salt = base64Number(config.Salt, 'Salt');
    verifier = base64Number(config.PasswordVerifier, 'PasswordVerifier');
    if (BigInt(`0x${verifier}`) % N === 0n) throw invalidParameter('DeviceSecretVerifierConfig.PasswordVerifier is not valid.');
  }
  const onPrompt = pool.config.DeviceConfiguration?.DeviceOnlyRememberedOnUserPrompt === true;
  await app.store.tx(async (s) => {
    const d = await s.devices.get(pool.id, input.DeviceKey);
    const now = app.clock.now();
    if (!d || d.usernameKey !== user.usernameKey || !tracksDevices(pool)) throw invalidDeviceKey();
    if (d.status === 'pending' && d.expiresAt !== null && d.expiresAt <= now) throw invalidDeviceKey();
    // Ours: a device confirms once; its verifier is what later sign-ins prove.
    if (d.status === 'confirmed') throw new CognitoError('DeviceKeyExistsException', 'Device key already exists.');
    await s.devices.update({
      ...d,
      status: 'confirmed',
      remembered: onPrompt ? 'not_remembered' : 'remembered',
      name: input.DeviceName ?? null,
      srpSalt: salt,
      srpVerifier: verifier,
      lastIp: sourceIp ?? null,
      updatedAt: now,
      lastAuthenticatedAt: now,
      expiresAt: null,
    });
  });
  return { UserConfirmationNecessary: onPrompt };
}

/** DeviceType as GetDevice and ListDevices answer it (attributes as in the AWS CLI's admin-get-device example). */
function deviceType(app: App, pool: UserPool, user: User, d: DeviceRecord): DeviceType {
  const owner = `${user.username}.${pool.id}`;
  const attributes: { Name: string; Value: string }[] = [{ Name: 'device_status', Value: 'valid' }];
  if (d.name !== null) attributes.push({ Name: 'device_name', Value: d.name });
  attributes.push(
    { Name: 'dev:device_arn', Value: `arn:aws:cognito-idp:${pool.region}:${app.config.accountId}:owner/${owner}/device/${d.deviceKey}` },
    { Name: 'dev:device_owner', Value: owner },
  );
  if (d.lastIp !== null) attributes.push({ Name: 'last_ip_used', Value: d.lastIp });
  if (d.remembered !== null) attributes.push({ Name: 'dev:device_remembered_status', Value: d.remembered });
  return {
    DeviceKey: d.deviceKey,
    DeviceAttributes: attributes,
    DeviceCreateDate: d.createdAt / 1000,
    DeviceLastModifiedDate: d.updatedAt / 1000,
    ...(d.lastAuthenticatedAt !== null ? { DeviceLastAuthenticatedDate: d.lastAuthenticatedAt / 1000 } : {}),
  };
}

/** GetDevice / AdminGetDevice. */
export async function getDevice(app: App, pool: UserPool, user: User, deviceKey: string): Promise<{ Device: DeviceType }> {
  return { Device: deviceType(app, pool, user, await userDevice(app.store, pool, user.usernameKey, deviceKey)) };
}

/** ListDevices / AdminListDevices: the user's devices, Limit (0 or absent: 60) to a page, opaque PaginationToken. */
export async function listDevices(
  app: App,
  pool: UserPool,
  user: User,
  limit: number | undefined,
  paginationToken: string | undefined,
): Promise<{ Devices: DeviceType[]; PaginationToken?: string }> {
  const size = limit && limit > 0 ? Math.min(limit, MAX_LIST) : MAX_LIST;
  const after = decodeToken(paginationToken);
  const page = await app.store.devices.listConfirmed(pool.id, user.usernameKey, after, size + 1);
  const devices = page.slice(0, size);
  const out: { Devices: DeviceType[]; PaginationToken?: string } = { Devices: devices.map((d) => deviceType(app, pool, user, d)) };
  if (page.length > size) out.PaginationToken = encodeToken(devices[devices.length - 1].deviceKey);
  return out;
}

/** UpdateDeviceStatus / AdminUpdateDeviceStatus: remembered or not_remembered (absent: unchanged). */
export async function updateDeviceStatus(app: App, pool: UserPool, user: User, deviceKey: string, status: DeviceRememberedStatusType | undefined): Promise<void> {
  await app.store.tx(async (s) => {
    const d = await userDevice(s, pool, user.usernameKey, deviceKey);
    if (status === undefined || status === d.remembered) return;
    await s.devices.update({ ...d, remembered: status, updatedAt: app.clock.now() });
  });
}

/**
 * ForgetDevice / AdminForgetDevice: the device is gone; its key no longer signs in, and the
 * refresh tokens bound to it stop working (refresh-tokens.ts checks the device), which is how a
 * user signs out another device (amazon-cognito-identity-js#200).
 */
export async function forgetDevice(app: App, pool: UserPool, user: User, deviceKey: string): Promise<void> {
  await app.store.tx(async (s) => {
    await userDevice(s, pool, user.usernameKey, deviceKey);
    await s.devices.delete(pool.id, deviceKey);
  });
}

/**
 * For a refresh token bound to a device: the request must name that device and it must still be
 * a confirmed device of the user; else false (Cognito's "Invalid Refresh Token.", AWS knowledge
 * center "cognito-invalid-refresh-token-error").
 */
export async function deviceMayRefresh(store: Store, poolId: string, usernameKey: string, bound: string, given: string | undefined): Promise<boolean> {
  if (given !== bound) return false;
  const d = await store.devices.get(poolId, bound);
  return !!d && d.status === 'confirmed' && d.usernameKey === usernameKey;
}
