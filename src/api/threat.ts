import type { Handlers } from './context.ts';
import { describeRiskConfiguration, setRiskConfiguration } from '../domain/threat/config.ts';
import { listUserAuthEvents, updateAuthEventFeedback } from '../domain/threat/events.ts';

/** Threat protection: risk configuration, the users' authentication events and feedback on them (domain/threat). */
export const threatHandlers: Handlers = {
  async SetRiskConfiguration(input, ctx) {
    return { RiskConfiguration: await setRiskConfiguration(ctx.app, input) };
  },

  async DescribeRiskConfiguration(input, ctx) {
    return { RiskConfiguration: await describeRiskConfiguration(ctx.app, input.UserPoolId, input.ClientId) };
  },

  async AdminListUserAuthEvents(input, ctx) {
    return listUserAuthEvents(ctx.app, input.UserPoolId, input.Username, input.MaxResults, input.NextToken);
  },

  async AdminUpdateAuthEventFeedback(input, ctx) {
    await updateAuthEventFeedback(ctx.app, input);
    return {};
  },

  async UpdateAuthEventFeedback(input, ctx) {
    await updateAuthEventFeedback(ctx.app, input);
    return {};
  },
};
