import type { Handlers } from './context.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { samlSigningMaterial } from '../domain/federation/saml-certificate.ts';

export const samlHandlers: Handlers = {
  /**
   * The certificate that signs the pool's SAML AuthnRequests (when a provider's
   * RequestSigningAlgorithm is set), as base64 DER without PEM armour, which is how tools that
   * read it from Cognito wrap it themselves (guessed from their use; no raw answer was found).
   */
  async GetSigningCertificate(input, ctx) {
    await getPool(ctx.app.store, input.UserPoolId);
    return { Certificate: (await samlSigningMaterial(ctx.app, input.UserPoolId)).certificate };
  },
};
