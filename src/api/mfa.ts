import type { Handlers } from './context.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { requireUser } from '../domain/users/users.ts';
import { tokenCall } from '../domain/self-service/client.ts';
import { mfaConfigOf, setUserPoolMfaConfig } from '../domain/mfa/pool-config.ts';
import { setMfaPreference, setUserSettings } from '../domain/mfa/settings.ts';
import { associateSoftwareToken, verifySoftwareToken } from '../domain/mfa/software-tokens.ts';

/** The pool's MFA configuration, TOTP association, and each user's MFA settings (domain/mfa). */
export const mfaHandlers: Handlers = {
  SetUserPoolMfaConfig: (input, ctx) => setUserPoolMfaConfig(ctx.app, input),

  async GetUserPoolMfaConfig(input, ctx) {
    return mfaConfigOf(await getPool(ctx.app.store, input.UserPoolId));
  },

  AssociateSoftwareToken: (input, ctx) => associateSoftwareToken(ctx.app, input),

  VerifySoftwareToken: (input, ctx) => verifySoftwareToken(ctx.app, input),

  async SetUserMFAPreference(input, ctx) {
    const { pool, user } = await tokenCall(ctx.app, input.AccessToken);
    await setMfaPreference(ctx.app, pool, user.usernameKey, input);
    return {};
  },

  async AdminSetUserMFAPreference(input, ctx) {
    const pool = await getPool(ctx.app.store, input.UserPoolId);
    const user = await requireUser(ctx.app.store, pool, input.Username);
    await setMfaPreference(ctx.app, pool, user.usernameKey, input);
    return {};
  },

  async SetUserSettings(input, ctx) {
    const { pool, user } = await tokenCall(ctx.app, input.AccessToken);
    await setUserSettings(ctx.app, pool, user.usernameKey, input.MFAOptions);
    return {};
  },

  async AdminSetUserSettings(input, ctx) {
    const pool = await getPool(ctx.app.store, input.UserPoolId);
    const user = await requireUser(ctx.app.store, pool, input.Username);
    await setUserSettings(ctx.app, pool, user.usernameKey, input.MFAOptions);
    return {};
  },
};
