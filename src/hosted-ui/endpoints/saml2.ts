import { CognitoError } from '../../errors.ts';
import { signInFederated } from '../../domain/federation/federated-users.ts';
import { certificatePem, samlEncryptionMaterial, samlSigningMaterial } from '../../domain/federation/saml-certificate.ts';
import { isMetadataError, SamlRefused, verifySamlLogoutResponse, verifySamlResponse } from '../../domain/federation/saml-response.ts';
import { spEntityId } from '../../domain/federation/saml-sp.ts';
import type { IdentityProvider } from '../../domain/types.ts';
import { AuthorizeRefused, checkAuthorizeRequest, errorRedirect, headerSafeUrl, type AuthorizeRequest } from '../authorize-request.ts';
import type { HostedContext } from '../context.ts';
import { OAuthError } from '../errors.ts';
import { finishFederated, takePending, type Pending } from '../federation/pending.ts';
import { acsUrlOf } from '../federation/saml.ts';
import { openLogoutRelay } from '../federation/saml-logout.ts';
import { html, page } from '../html.ts';
import { answerRefusal } from '../refusal.ts';
import { Params, sendPage } from '../request.ts';

export const parameters = new Set(['SAMLResponse', 'RelayState']);

// Cognito's words when the RelayState names no sign-in it started and IdP-initiated sign-in is
// not allowed (gaiin-platform/amplify-genai-backend#25, quoting Okta's note on Cognito).
const INVALID_RESPONSE_OR_RELAY = 'Invalid samlResponse or relayState from identity provider';

/** This endpoint's URLs: the one Tobira gives IdPs and the one this request reached. */
async function acsUrls({ app, hd, req }: HostedContext): Promise<string[]> {
  const here = `${hd.secure ? 'https' : 'http'}://${req.headers.host ?? ''}${hd.base}/saml2/idpresponse`;
  const given = await acsUrlOf(app, hd.pool.id);
  return given && given !== here ? [given, here] : [here];
}

/**
 * POST /saml2/idpresponse: the ACS (HTTP-POST binding). The RelayState names the authorization
 * request parked when the AuthnRequest was sent; the response must answer that request
 * (InResponseTo) and pass every check of verifySamlResponse. Then the user `<Provider>_<NameID>`
 * is created or updated and the client gets its code or tokens. A response that fails goes back
 * to the client's redirect_uri with error=server_error and "Invalid SAML response received: ..."
 * (aws/aws-sdk-js-v3#6201); one whose RelayState is unknown gets an error page. With the
 * provider's IDPInit "true", a RelayState holding /oauth2/authorize's parameters starts an
 * IdP-initiated sign-in (cognito-user-pools-SAML-session-initiation).
 */
export async function samlIdpResponse(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  const p = Params.form(req);
  const samlResponse = p.get('SAMLResponse');
  const relayState = p.get('RelayState');
  const refusedPage = () => sendPage(reply, 400, page('Error', html`<p role="alert">${INVALID_RESPONSE_OR_RELAY}</p>`));
  if (!samlResponse || !relayState || relayState.length > 8192) return refusedPage();

  let pending: Pending | undefined = await takePending(app, hd.pool, relayState);
  let provider: IdentityProvider | undefined;
  if (pending) {
    provider = await app.store.identityProviders.get(hd.pool.id, pending.providerName);
  } else {
    // IdP-initiated: the RelayState carries the authorization request's own parameters.
    let ar: AuthorizeRequest;
    try {
      ar = await checkAuthorizeRequest(app, hd.pool, new Params(new URLSearchParams(relayState)));
    } catch (err) {
      if (err instanceof AuthorizeRefused) return err.refusal.kind === 'redirect' ? answerRefusal(ctx, err.refusal) : refusedPage();
      throw err;
    }
    provider = ar.identityProvider;
    // Only a provider that allows it (IDPInit), named in the RelayState and listed by the client.
    if (!provider || provider.providerType !== 'SAML' || provider.providerDetails.IDPInit !== 'true') return refusedPage();
    pending = { ar, providerName: provider.providerName, extra: {} };
  }
  const ar = pending.ar;
  const fail = (description: string) =>
    reply.redirect(errorRedirect({ redirectUri: ar.redirectUri, responseType: ar.responseType, error: new OAuthError('server_error', 400, description), state: ar.state }), 302);
  if (!provider || provider.providerType !== 'SAML') return fail(INVALID_RESPONSE_OR_RELAY);

  let upstream;
  try {
    upstream = await verifySamlResponse(app, hd.pool, provider, samlResponse, {
      requestId: pending.extra.requestId ?? null,
      acsUrls: await acsUrls(ctx),
    });
  } catch (err) {
    if (err instanceof SamlRefused) {
      app.log.info({ pool: hd.pool.id, provider: provider.providerName, reason: err.description, cause: (err.cause as Error | undefined)?.message }, 'SAML response refused');
      return fail(`Invalid SAML response received: ${err.description}`);
    }
    if (isMetadataError(err)) {
      app.log.warn({ err, pool: hd.pool.id, provider: provider.providerName }, 'SAML response: the IdP metadata cannot be used');
      return fail(`Invalid SAML response received: ${err.message}`); // guessed
    }
    throw err;
  }
  let user;
  try {
    user = await signInFederated(app, hd.pool, provider, upstream, { clientId: ar.client.clientId });
  } catch (err) {
    // e.g. "Invalid SAML response received: Invalid user attributes: email: The attribute is required"
    // (repost.aws knowledge-center/cognito-invalid-saml-response-errors).
    if (err instanceof CognitoError) return fail(`Invalid SAML response received: ${err.message}`);
    throw err;
  }
  return reply.redirect(await finishFederated(app, pending, user, ctx), 302);
}

/**
 * POST /saml2/logout: the IdP's LogoutResponse after single logout (federation/saml-logout.ts),
 * back to the client's logout_uri the RelayState names. The session here ended before the
 * browser left, so a LogoutResponse that fails its checks is logged and the browser still goes
 * on (guessed: what Cognito does then is not documented).
 */
export async function samlLogout(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  const p = Params.form(req);
  const samlResponse = p.get('SAMLResponse');
  const relayState = p.get('RelayState');
  const relay = relayState ? await openLogoutRelay(app, hd.pool.id, relayState) : undefined;
  const client = relay && (await app.store.clients.get(relay.c));
  if (!samlResponse || !relay || !client || client.poolId !== hd.pool.id || !(client.config.LogoutURLs ?? []).includes(relay.u)) {
    return sendPage(reply, 400, page('Error', html`<p role="alert">${INVALID_RESPONSE_OR_RELAY}</p>`));
  }
  const provider = await app.store.identityProviders.get(hd.pool.id, relay.p);
  try {
    if (!provider || provider.providerType !== 'SAML') throw new SamlRefused('The identity provider no longer exists.');
    await verifySamlLogoutResponse(app, hd.pool, provider, samlResponse, relay.r, (await acsUrls(ctx))[0]!);
  } catch (err) {
    if (!(err instanceof SamlRefused) && !isMetadataError(err)) throw err;
    app.log.warn({ pool: hd.pool.id, provider: relay.p, reason: err instanceof SamlRefused ? err.description : err.message }, 'SAML LogoutResponse refused; signed out here only');
  }
  return reply.redirect(headerSafeUrl(relay.u), 302);
}

/**
 * GET /saml2/metadata: the pool's SP metadata, so an IdP can be set up from one URL: entity id
 * `urn:amazon:cognito:sp:<pool id>`, the ACS (HTTP-POST) and the signing certificate; with
 * `?provider=<ProviderName>` of a provider with EncryptedResponses, also the certificate its
 * IdP encrypts assertions to. Cognito offers no such URL that could be found (its console shows
 * the same values); Tobira adds it.
 */
export async function samlMetadata(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  const signing = await samlSigningMaterial(app, hd.pool.id);
  const name = Params.query(req).get('provider');
  const provider = name && name.length <= 128 ? await app.store.identityProviders.get(hd.pool.id, name) : undefined;
  const encryption =
    provider?.providerType === 'SAML' && provider.providerDetails.EncryptedResponses === 'true'
      ? await samlEncryptionMaterial(app, hd.pool.id, provider.providerName)
      : undefined;
  const { generateServiceProviderMetadata } = await import('@node-saml/node-saml');
  const xml = generateServiceProviderMetadata({
    ...(encryption ? { decryptionPvk: encryption.privateKeyPem, decryptionCert: certificatePem(encryption.certificate) } : {}),
    issuer: spEntityId(hd.pool.id),
    callbackUrl: (await acsUrls(ctx))[0]!,
    logoutCallbackUrl: (await acsUrls(ctx))[0]!.replace(/\/saml2\/idpresponse$/, '/saml2/logout'),
    privateKey: signing.privateKeyPem,
    publicCerts: certificatePem(signing.certificate),
    // Those Cognito's SP accepts (its metadata, as seen in the wild).
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    wantAssertionsSigned: true,
  });
  return reply.code(200).header('content-type', 'application/samlmetadata+xml').header('cache-control', 'no-cache').send(Buffer.from(xml));
}
