import type { Handlers } from './context.ts';
import { initiateAuth, respondToAuthChallenge } from '../domain/sign-in/flows.ts';

/** The sign-in operations; the flows and challenges live in domain/sign-in. */
export const authHandlers: Handlers = {
  async InitiateAuth(input, ctx) {
    return initiateAuth(ctx.app, { admin: false, clientId: input.ClientId, origin: ctx.origin }, input.AuthFlow, input.AuthParameters, input.Session, input.ClientMetadata);
  },

  async AdminInitiateAuth(input, ctx) {
    return initiateAuth(
      ctx.app,
      { admin: true, poolId: input.UserPoolId, clientId: input.ClientId, origin: ctx.origin },
      input.AuthFlow,
      input.AuthParameters,
      input.Session,
      input.ClientMetadata,
    );
  },

  async RespondToAuthChallenge(input, ctx) {
    return respondToAuthChallenge(
      ctx.app,
      { admin: false, clientId: input.ClientId, origin: ctx.origin },
      input.ChallengeName,
      input.ChallengeResponses,
      input.Session,
      input.ClientMetadata,
    );
  },

  async AdminRespondToAuthChallenge(input, ctx) {
    return respondToAuthChallenge(
      ctx.app,
      { admin: true, poolId: input.UserPoolId, clientId: input.ClientId, origin: ctx.origin },
      input.ChallengeName,
      input.ChallengeResponses,
      input.Session,
      input.ClientMetadata,
    );
  },
};
