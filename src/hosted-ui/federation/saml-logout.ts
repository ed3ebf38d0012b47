import { createHmac, timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import type { User } from '../../domain/types.ts';
import { identitiesOf } from '../../domain/federation/identities.ts';
import { samlSigningMaterial } from '../../domain/federation/saml-certificate.ts';
import { samlIdpOf } from '../../domain/federation/saml-metadata.ts';
import { samlSp } from '../../domain/federation/saml-sp.ts';
import type { HostedDomain } from '../domain.ts';
import { acsUrlOf } from './saml.ts';

/**
 * SAML single logout (a provider's IDPSignout "true", cognito-user-pools-saml-idp-sign-out): when
 * /logout ends the session of a user who came through such a provider, the browser goes on to
 * the IdP's SingleLogoutService (HTTP-Redirect) with a LogoutRequest signed by the pool's signing
 * certificate (SigAlg rsa-sha256), and comes back to `/saml2/logout` with the IdP's
 * LogoutResponse (HTTP-POST); only then does it go to the app's logout_uri.
 *
 * What to come back to rides in the RelayState, MACed with a per-pool secret, so nothing is
 * stored and no other URL can be slipped in: the client, its logout_uri (checked again on the
 * way back), the provider, the LogoutRequest's ID and an expiry.
 */
interface LogoutRelay {
  /** The client, its logout_uri, the provider, the LogoutRequest ID, the expiry. */
  c: string;
  u: string;
  p: string;
  r: string;
  e: number;
}

const RELAY_TTL_MS = 10 * 60 * 1000;
// Cognito sends no NameID format it was given at sign-in that could be found; unspecified fits any.
const NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'; // guessed

const relayKey = async (app: App, poolId: string) =>
  Buffer.from(await app.store.sessions.poolSecret(poolId, 'saml-logout-relay', app.random.bytes(32).toString('base64url'), app.clock.now()), 'base64url');

async function sealRelay(app: App, poolId: string, relay: LogoutRelay): Promise<string> {
  const body = Buffer.from(JSON.stringify(relay)).toString('base64url');
  return `${body}.${createHmac('sha256', await relayKey(app, poolId)).update(body).digest('base64url')}`;
}

/** The relay a RelayState carries, when its MAC holds and it has not expired. */
export async function openLogoutRelay(app: App, poolId: string, token: string): Promise<LogoutRelay | undefined> {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined || token.length > 4096) return undefined;
  const want = createHmac('sha256', await relayKey(app, poolId)).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  let relay: LogoutRelay;
  try {
    relay = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LogoutRelay;
  } catch {
    return undefined;
  }
  if (typeof relay?.u !== 'string' || typeof relay.c !== 'string' || typeof relay.p !== 'string' || typeof relay.r !== 'string' || !(relay.e > app.clock.now())) return undefined;
  return relay;
}

/**
 * Where /logout sends the browser for a user whose SAML provider signs out at the IdP: the
 * IdP's SingleLogoutService with a signed LogoutRequest; undefined when there is none to visit
 * (no SAML identity, IDPSignout not "true", no HTTP-Redirect SLO in the metadata).
 */
export async function samlSignOutRedirect(app: App, hd: HostedDomain, user: User, clientId: string, logoutUri: string): Promise<string | undefined> {
  const saml = identitiesOf(user).filter((i) => i.providerType === 'SAML');
  // The provider the user's own name comes from, else the first SAML identity linked to it.
  const identity = saml.find((i) => user.username === `${i.providerName}_${i.userId}`) ?? saml[0];
  if (!identity) return undefined;
  const provider = await app.store.identityProviders.get(hd.pool.id, identity.providerName);
  if (provider?.providerType !== 'SAML' || provider.providerDetails.IDPSignout !== 'true') return undefined;
  let idp;
  try {
    idp = await samlIdpOf(app, provider);
  } catch (err) {
    app.log.warn({ err, pool: hd.pool.id, provider: provider.providerName }, 'SAML sign-out: the IdP metadata cannot be used; signed out here only');
    return undefined;
  }
  const acsUrl = await acsUrlOf(app, hd.pool.id);
  if (!idp.sloRedirect || !acsUrl) return undefined;
  const requestId = `_${app.random.bytes(20).toString('hex')}`;
  const relayState = await sealRelay(app, hd.pool.id, { c: clientId, u: logoutUri, p: provider.providerName, r: requestId, e: app.clock.now() + RELAY_TTL_MS });
  const sp = await samlSp({ poolId: hd.pool.id, acsUrl, idp, requestId, signing: await samlSigningMaterial(app, hd.pool.id), logoutUrl: idp.sloRedirect });
  return sp.getLogoutUrlAsync({ nameID: identity.userId, nameIDFormat: NAME_ID_FORMAT, issuer: idp.entityId }, relayState, {});
}
