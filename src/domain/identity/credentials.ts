import { createHash, timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import type { GetCredentialsForIdentityInput, GetCredentialsForIdentityResponse } from '../../generated/cognito-identity.ts';
import type { TemporaryCredentials } from '../../store/repos/temporary-credentials.ts';
import type { Store } from '../../store/store.ts';
import { randomString } from '../../util/ids.ts';
import type { IdentityPool } from '../types.ts';
import { authorizeIdentity, issueOpenIdToken, type Identity, type VerifiedLogin } from './identities.ts';
import { COGNITO_IDENTITY_PROVIDER } from './logins.ts';
import { sessionTags, TAGS_CLAIM } from './principal-tags.ts';
import { invalidPoolConfiguration, resolveRole } from './roles.ts';

/**
 * AWS credentials for identities: GetCredentialsForIdentity (the enhanced flow) resolves the role
 * (roles.ts) and the session's principal tags (principal-tags.ts), then either mints temporary
 * credentials itself (the default) or asks an external STS for them with AssumeRoleWithWebIdentity
 * (config.stsEndpoint: AWS's STS, with Tobira's identity issuer registered as an IAM OIDC
 * provider). Minted credentials are kept (secret sealed, session token hashed) so Tobira's own STS
 * endpoint (http/sts.ts, web-identity.ts) can recognise requests signed with them; housekeeping
 * sweeps them a day after they expire (until then an expired key answers ExpiredToken).
 */

/** The session name Cognito gives the enhanced flow's sessions (seen in assumed-role ARNs, amplify-js#1643). */
export const COGNITO_SESSION_NAME = 'CognitoIdentityCredentials';
/** The enhanced flow's credentials last an hour (developer guide, "Identity pools authentication flow"). */
export const ENHANCED_FLOW_SECONDS = 3600;
/** An OpenID token made only to hand to an external STS at once. */
const EXTERNAL_TOKEN_SECONDS = 900;

/** Credentials as handed out; `expiresAt` in epoch milliseconds, whole seconds. */
export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}

export interface Session {
  roleArn: string;
  sessionName: string;
  identityId: string | null;
  identityPoolId: string | null;
  principalTags: Record<string, string>;
  durationSeconds: number;
}

/** AWS access key ids are base32 upper case: `ASIA` marks temporary ones. */
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export const hashSessionToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** True when `token` is the session token whose hash was stored (constant time). */
export function sessionTokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashSessionToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Mints temporary credentials for a session and keeps them (secret sealed, token hashed). */
export async function mintCredentials(app: App, store: Store, session: Session): Promise<IssuedCredentials> {
  const now = app.clock.now();
  const issued: IssuedCredentials = {
    accessKeyId: `ASIA${randomString(app.random, 16, KEY_ALPHABET)}`,
    secretAccessKey: randomString(app.random, 40, SECRET_ALPHABET),
    sessionToken: app.random.bytes(120).toString('base64'),
    // Whole seconds: STS and Cognito show expiries to the second.
    expiresAt: Math.floor((now + session.durationSeconds * 1000) / 1000) * 1000,
  };
  const stored: TemporaryCredentials = {
    accessKeyId: issued.accessKeyId,
    secretAccessKey: issued.secretAccessKey,
    sessionTokenHash: hashSessionToken(issued.sessionToken),
    roleArn: session.roleArn,
    sessionName: session.sessionName,
    identityId: session.identityId,
    identityPoolId: session.identityPoolId,
    principalTags: session.principalTags,
    createdAt: now,
    expiresAt: issued.expiresAt,
  };
  await store.temporaryCredentials.insert(stored);
  return issued;
}

/**
 * GetCredentialsForIdentity: the enhanced (simplified) flow. The identity and its Logins are
 * checked as GetOpenIdToken checks them (identities.ts's authorizeIdentity: guests, "Logins don't
 * match", linking, the developer flow's own OpenID token), then the role and the session's tags.
 */
export async function getCredentialsForIdentity(app: App, input: GetCredentialsForIdentityInput): Promise<GetCredentialsForIdentityResponse> {
  const { identity, pool, verified } = await authorizeIdentity(app, input.IdentityId, input.Logins);
  // A guest that presents its own OpenID token (developer flow, Logins
  // `cognito-identity.amazonaws.com`) is still a guest.
  const signedIn = verified.filter((l) => !(l.providerName === COGNITO_IDENTITY_PROVIDER && isGuestToken(l.claims)));
  const roleArn = resolveRole({ pool, logins: signedIn, customRoleArn: input.CustomRoleArn });
  const principalTags = await sessionTags(app.store, pool, signedIn);
  const issued = app.config.stsEndpoint
    ? await fromExternalSts(app, app.config.stsEndpoint, pool, identity, verified, roleArn, principalTags)
    : await app.store.tx((s) =>
        mintCredentials(app, s, {
          roleArn,
          sessionName: COGNITO_SESSION_NAME,
          identityId: identity.id,
          identityPoolId: pool.id,
          principalTags,
          durationSeconds: ENHANCED_FLOW_SECONDS,
        }),
      );
  return {
    IdentityId: identity.id,
    Credentials: {
      AccessKeyId: issued.accessKeyId,
      SecretKey: issued.secretAccessKey,
      SessionToken: issued.sessionToken,
      Expiration: issued.expiresAt / 1000,
    },
  };
}

const isGuestToken = (claims: Record<string, unknown>) => Array.isArray(claims.amr) && claims.amr.includes('unauthenticated');

/**
 * The external STS's answer to AssumeRoleWithWebIdentity with a fresh OpenID token of the
 * identity. A refusal of the role or of the token is what Cognito reports when a role does not
 * trust the pool: InvalidIdentityPoolConfigurationException. An STS that cannot be reached or
 * fails answers ExternalServiceException.
 */
async function fromExternalSts(
  app: App,
  endpoint: string,
  pool: IdentityPool,
  identity: Identity,
  verified: VerifiedLogin[],
  roleArn: string,
  principalTags: Record<string, string>,
): Promise<IssuedCredentials> {
  // The principal tags travel in the token, where STS reads session tags from an OIDC token.
  const tags = Object.keys(principalTags).length > 0 ? { [TAGS_CLAIM]: { principal_tags: Object.fromEntries(Object.entries(principalTags).map(([k, v]) => [k, [v]])) } } : {};
  const token = await issueOpenIdToken(app, identity, verified, EXTERNAL_TOKEN_SECONDS, tags);
  // Bounded, so an STS that does not answer cannot hold the request (the SDK has no timeout of its own).
  // Loaded only when an external STS is configured (it costs ~0.2 s at start).
  const { AssumeRoleWithWebIdentityCommand, STSClient } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({ endpoint, region: pool.region, maxAttempts: 2, requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 } });
  try {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: COGNITO_SESSION_NAME,
        WebIdentityToken: token,
        DurationSeconds: ENHANCED_FLOW_SECONDS,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('the STS answered without credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiresAt: c.Expiration.getTime() };
  } catch (err) {
    const name = (err as Error).name;
    app.log.warn({ sts: endpoint, error: name, message: (err as Error).message, roleArn }, 'external STS refused AssumeRoleWithWebIdentity');
    if (['AccessDenied', 'InvalidIdentityToken', 'IDPRejectedClaim', 'ExpiredTokenException', 'MalformedPolicyDocument'].includes(name)) {
      throw invalidPoolConfiguration();
    }
    // Tobira's words; the endpoint and the cause stay in the log.
    throw new CognitoError('ExternalServiceException', 'The external STS did not answer with credentials.');
  } finally {
    sts.destroy();
  }
}

/** The name of a role: the last segment of its ARN's `role/[path/]name`. */
export const roleName = (roleArn: string) => roleArn.slice(roleArn.lastIndexOf('/') + 1);

/** The account an ARN names (its fifth field). */
export const arnAccount = (arn: string) => arn.split(':')[4] ?? '';

/**
 * A stable unique id for a role or user, as IAM gives them (`AROA` roles, `AIDA` users, then 17
 * base32 characters): derived from the ARN, since Tobira has no IAM to ask.
 */
export function principalId(prefix: 'AROA' | 'AIDA', arn: string): string {
  const digest = createHash('sha256').update(arn, 'utf8').digest();
  let out = '';
  for (let i = 0; out.length < 17; i++) out += KEY_ALPHABET[digest[i] % 32];
  return prefix + out;
}

/** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`, the role's own account. */
export const assumedRoleArn = (roleArn: string, sessionName: string) =>
  `arn:aws:sts::${arnAccount(roleArn)}:assumed-role/${roleName(roleArn)}/${sessionName}`;
