import type { Handlers } from './context.ts';
import { getLogDeliveryConfiguration, setLogDeliveryConfiguration } from '../domain/logs/delivery.ts';

/** Log delivery: where a pool's userNotification and userAuthEvents records go (domain/logs). */
export const logHandlers: Handlers = {
  async SetLogDeliveryConfiguration(input, ctx) {
    return { LogDeliveryConfiguration: await setLogDeliveryConfiguration(ctx.app, input.UserPoolId, input.LogConfigurations) };
  },

  async GetLogDeliveryConfiguration(input, ctx) {
    return { LogDeliveryConfiguration: await getLogDeliveryConfiguration(ctx.app.store, input.UserPoolId) };
  },
};
