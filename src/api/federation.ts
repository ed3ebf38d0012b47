import type { Handlers } from './context.ts';
import { adminDisableProviderForUser, adminLinkProviderForUser } from '../domain/federation/links.ts';

/** Identity linking (federation): AdminLinkProviderForUser and AdminDisableProviderForUser. */
export const federationHandlers: Handlers = {
  async AdminLinkProviderForUser(input, ctx) {
    await adminLinkProviderForUser(ctx.app, input);
    return {};
  },

  async AdminDisableProviderForUser(input, ctx) {
    await adminDisableProviderForUser(ctx.app, input);
    return {};
  },
};
