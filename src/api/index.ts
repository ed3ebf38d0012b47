import type { Handlers, IdentityHandlers } from './context.ts';
import { userPoolHandlers } from './user-pools.ts';
import { appClientHandlers } from './app-clients.ts';
import { clientSecretHandlers } from './client-secrets.ts';
import { groupHandlers } from './groups.ts';
import { userHandlers } from './users.ts';
import { authHandlers } from './auth.ts';
import { tokenHandlers } from './tokens.ts';
import { selfServiceHandlers } from './self-service.ts';
import { identityProviderHandlers } from './identity-providers.ts';
import { domainHandlers } from './domains.ts';
import { identityPoolHandlers } from './identity-pools.ts';
import { identityOperationHandlers } from './identities.ts';
import { credentialHandlers } from './credentials.ts';
import { deviceHandlers } from './devices.ts';
import { mfaHandlers } from './mfa.ts';
import { webAuthnHandlers } from './webauthn.ts';
import { resourceServerHandlers } from './resource-servers.ts';
import { brandingHandlers } from './branding.ts';
import { termsHandlers } from './terms.ts';
import { threatHandlers } from './threat.ts';
import { logHandlers } from './logs.ts';
import { samlHandlers } from './saml.ts';
import { federationHandlers } from './federation.ts';
import { importJobHandlers } from './import-jobs.ts';

/**
 * Every implemented cognito-idp operation. Each module exports the handlers of one operation
 * group; an operation in the model but in no module answers "not supported yet".
 */
export const handlers: Handlers = {
  ...userPoolHandlers,
  ...appClientHandlers,
  ...clientSecretHandlers,
  ...groupHandlers,
  ...userHandlers,
  ...authHandlers,
  ...tokenHandlers,
  ...selfServiceHandlers,
  ...identityProviderHandlers,
  ...domainHandlers,
  ...deviceHandlers,
  ...mfaHandlers,
  ...webAuthnHandlers,
  ...resourceServerHandlers,
  ...brandingHandlers,
  ...termsHandlers,
  ...threatHandlers,
  ...logHandlers,
  ...samlHandlers,
  ...federationHandlers,
  ...importJobHandlers,
};

/**
 * Every implemented cognito-identity operation (identity pools); the others (GetId,
 * GetCredentialsForIdentity ...) answer "not supported yet" as cognito-idp's do.
 */
export const identityHandlers: IdentityHandlers = {
  ...identityPoolHandlers,
  ...credentialHandlers,
  ...identityOperationHandlers,
};
