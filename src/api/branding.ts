import type { Handlers } from './context.ts';
import { describeUICustomization, getUICustomization, setUICustomization } from '../domain/pools/ui-customization.ts';
import {
  createBranding,
  deleteBranding,
  describeBranding,
  getBranding,
  getBrandingOfClient,
  updateBranding,
} from '../domain/pools/managed-login-branding.ts';

/** The classic hosted UI's customization and managed login's branding styles. */
export const brandingHandlers: Handlers = {
  async SetUICustomization(input, ctx) {
    return { UICustomization: describeUICustomization(ctx.app, await setUICustomization(ctx.app, input)) };
  },

  async GetUICustomization(input, ctx) {
    return { UICustomization: await getUICustomization(ctx.app, input.UserPoolId, input.ClientId) };
  },

  async CreateManagedLoginBranding(input, ctx) {
    return { ManagedLoginBranding: describeBranding(await createBranding(ctx.app, input)) };
  },

  async DescribeManagedLoginBranding(input, ctx) {
    const b = await getBranding(ctx.app.store, input.UserPoolId, input.ManagedLoginBrandingId);
    return { ManagedLoginBranding: describeBranding(b, input.ReturnMergedResources) };
  },

  async DescribeManagedLoginBrandingByClient(input, ctx) {
    const b = await getBrandingOfClient(ctx.app.store, input.UserPoolId, input.ClientId);
    return { ManagedLoginBranding: describeBranding(b, input.ReturnMergedResources) };
  },

  async UpdateManagedLoginBranding(input, ctx) {
    return { ManagedLoginBranding: describeBranding(await updateBranding(ctx.app, input)) };
  },

  async DeleteManagedLoginBranding(input, ctx) {
    await deleteBranding(ctx.app, input.UserPoolId, input.ManagedLoginBrandingId);
    return {};
  },
};
