import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createVerify, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium as playwright, type Browser } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import samlify from 'samlify';
// @ts-expect-error the validator ships no type declarations
import * as xmllint from '@authenio/samlify-xmllint-wasm';
import {
  CreateIdentityProviderCommand,
  CreateUserPoolClientCommand,
  ListUsersCommand,
  UpdateIdentityProviderCommand,
  UpdateUserPoolClientCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { Browser as CookieJar, CALLBACK, hostedPool, LOGOUT, type HostedPool } from './helpers/hosted-ui.ts';
import { claims } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';
import { verifySamlLogoutResponse, verifySamlResponse, SamlRefused } from '../src/domain/federation/saml-response.ts';
import { samlIdpOf } from '../src/domain/federation/saml-metadata.ts';

samlify.setSchemaValidator(xmllint);

// Chromium as in hosted-ui-browser.test.ts: the one @sparticuz/chromium ships, driven by playwright-core.
const SYSTEM_NSS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib'];
async function chromiumPackage() {
  if (!SYSTEM_NSS.some((dir) => existsSync(`${dir}/libnss3.so`))) process.env.AWS_LAMBDA_JS_RUNTIME ??= 'nodejs20.x';
  return (await import('@sparticuz/chromium')).default;
}
const ARTIFACTS = new URL('../test-artifacts/federation-saml/', import.meta.url);
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const SSO = 'https://idp.corp.test/sso';

/** An RSA key (PKCS#8 PEM) and a self-signed certificate (PEM) for a test IdP. */
async function keyAndCert(cn: string): Promise<{ key: string; cert: string }> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a',
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 365 * 864e5),
    signingAlgorithm: alg,
    keys,
  });
  const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
  return { key: pem('PRIVATE KEY', Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))), cert: pem('CERTIFICATE', Buffer.from(cert.rawData)) };
}

interface Said {
  nameId: string;
  attributes?: Record<string, string | string[]>;
  /** Minutes from now the assertion ends (negative: expired). */
  endsIn?: number;
  audience?: string;
  /** null: no InResponseTo at all (IdP-initiated). */
  inResponseTo?: string | null;
  recipient?: string;
  /** Skip samlify and its signature: the response as plain base64 XML. */
  unsigned?: boolean;
}

/** A SAML IdP made with samlify: its own key and certificate, SP-initiated, HTTP-Redirect in and HTTP-POST out. */
class TestIdp {
  readonly idp: ReturnType<typeof samlify.IdentityProvider>;
  constructor(
    readonly entityId: string,
    material: { key: string; cert: string },
    opts: { wantAuthnRequestsSigned?: boolean; encrypt?: boolean; sso?: string } = {},
  ) {
    this.idp = samlify.IdentityProvider({
      entityID: entityId,
      privateKey: material.key,
      signingCert: material.cert,
      nameIDFormat: [PERSISTENT],
      singleSignOnService: [{ Binding: REDIRECT, Location: opts.sso ?? SSO }],
      wantAuthnRequestsSigned: opts.wantAuthnRequestsSigned ?? false,
      ...(opts.encrypt
        ? { isAssertionEncrypted: true, dataEncryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p' }
        : {}),
    });
  }

  metadata(): string {
    return this.idp.getMetadata();
  }

  /** Reads the AuthnRequest of a redirect to the IdP (verifying its signature when the IdP wants it signed). */
  async readRequest(sp: ReturnType<typeof samlify.ServiceProvider>, location: URL) {
    const raw = location.search.slice(1).split('&');
    const octetString = ['SAMLRequest', 'RelayState', 'SigAlg'].map((n) => raw.find((p) => p.startsWith(`${n}=`))).filter(Boolean).join('&');
    const query = Object.fromEntries(location.searchParams);
    return this.idp.parseLoginRequest(sp, 'redirect', { query, octetString });
  }

  /** The base64 SAMLResponse for the request, signed by this IdP (the assertion, as Tobira's metadata asks). */
  async respond(sp: ReturnType<typeof samlify.ServiceProvider>, requestId: string, said: Said): Promise<string> {
    const now = new Date();
    const ends = new Date(now.getTime() + (said.endsIn ?? 5) * 60_000).toISOString();
    const begins = new Date(now.getTime() + Math.min(0, (said.endsIn ?? 5) - 10) * 60_000).toISOString();
    const acs = sp.entityMeta.getAssertionConsumerService('post') as string;
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
    const attributes = Object.entries(said.attributes ?? {})
      .map(([n, v]) => `<saml:Attribute Name="${esc(n)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${[v].flat().map((one) => `<saml:AttributeValue xsi:type="xs:string">${esc(one)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
      .join('');
    const fill = (template: string) => {
      const xml = template
        .replace('{AuthnStatement}', `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_s${Date.now()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`)
        .replace('{AttributeStatement}', attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '');
      const id = `_r${Math.random().toString(16).slice(2)}`;
      return {
        id,
        context: samlify.SamlLib.replaceTagsByValue(xml, {
          ID: id,
          AssertionID: `_a${Math.random().toString(16).slice(2)}`,
          Destination: acs,
          Audience: said.audience ?? sp.entityMeta.getEntityID(),
          SubjectRecipient: said.recipient ?? acs,
          Issuer: this.entityId,
          IssueInstant: now.toISOString(),
          StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
          ConditionsNotBefore: begins,
          ConditionsNotOnOrAfter: ends,
          SubjectConfirmationDataNotOnOrAfter: ends,
          NameIDFormat: PERSISTENT,
          NameID: said.nameId,
          InResponseTo: said.inResponseTo === null ? undefined : (said.inResponseTo ?? requestId),
        }),
      };
    };
    if (said.unsigned) return Buffer.from(fill(samlify.SamlLib.defaultLoginResponseTemplate.context).context).toString('base64');
    const out = await this.idp.createLoginResponse(sp, { extract: { request: { id: requestId } } } as never, 'post', { email: said.nameId }, fill);
    return out.context;
  }
}

describe('SAML 2.0 federation (SP-initiated, HTTP-Redirect then HTTP-POST)', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  let h: HostedPool;
  let corp: TestIdp;
  let sp: ReturnType<typeof samlify.ServiceProvider>;
  let metadataServer: Server;
  let urlIdp: TestIdp;

  const MAPPING = { email: 'email', name: 'displayName' };

  /** Starts a sign-in through a provider: the redirect to the IdP and the AuthnRequest it carries. */
  async function start(provider: string, idp: TestIdp, state = 'st-1', asSp = sp) {
    const q = new URLSearchParams({ client_id: h.spa.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid email', identity_provider: provider, state });
    const res = await fetch(`${h.base}/oauth2/authorize?${q}`, { redirect: 'manual' });
    assert.equal(res.status, 302, await res.text());
    const location = new URL(res.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, SSO);
    const relayState = location.searchParams.get('RelayState')!;
    assert.ok(relayState, 'the redirect carries a RelayState');
    const { extract } = await idp.readRequest(asSp, location);
    return { location, relayState, requestId: extract.request!.id as string, extract };
  }

  /** POSTs the IdP's answer to the ACS as a browser's auto-submitted form would. */
  const post = (samlResponse: string, relayState: string) =>
    fetch(`${h.base}/saml2/idpresponse`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString(),
    });

  const usernames = async () => (await sdk.send(new ListUsersCommand({ UserPoolId: h.poolId }))).Users!.map((u) => u.Username!);

  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
    h = await hostedPool(t.url);
    corp = new TestIdp('https://idp.corp.test/metadata', await keyAndCert('idp.corp.test'));
    await sdk.send(new CreateIdentityProviderCommand({
      UserPoolId: h.poolId, ProviderName: 'Corp', ProviderType: 'SAML', ProviderDetails: { MetadataFile: corp.metadata() }, AttributeMapping: MAPPING,
    }));
    // The same IdP software, its metadata served over HTTP (MetadataURL).
    urlIdp = new TestIdp('https://idp.url.test/metadata', await keyAndCert('idp.url.test'));
    metadataServer = createServer((req, res) => {
      if (req.url !== '/metadata.xml') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(urlIdp.metadata());
    });
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    const metadataUrl = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata.xml`;
    await sdk.send(new CreateIdentityProviderCommand({
      UserPoolId: h.poolId, ProviderName: 'CorpUrl', ProviderType: 'SAML', ProviderDetails: { MetadataURL: metadataUrl }, AttributeMapping: MAPPING,
    }));
    await sdk.send(new UpdateUserPoolClientCommand({
      UserPoolId: h.poolId, ClientId: h.spa.clientId, ClientName: 'SPA', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code', 'implicit'],
      AllowedOAuthScopes: ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'], CallbackURLs: [CALLBACK], SupportedIdentityProviders: ['COGNITO', 'Corp', 'CorpUrl'],
    }));
    // The IdP is set up from Tobira's SP metadata, as an administrator would.
    const md = await fetch(`${h.base}/saml2/metadata`);
    assert.equal(md.status, 200);
    sp = samlify.ServiceProvider({ metadata: await md.text() });
  });

  after(async () => {
    await new Promise<void>((resolve) => (metadataServer ? metadataServer.close(() => resolve()) : resolve()));
    await t?.close();
  });

  test('IdP metadata: signing certificates are those marked signing or unmarked, never encryption-only ones', async () => {
    const kd = (use: string | null, c: string) =>
      `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
    const md = (kds: string) =>
      `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:EntityDescriptor entityID="https://idp.md.test"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${kds}<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.md.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor></md:EntitiesDescriptor>`;
    const read = (xml: string) => samlIdpOf(t.app, { providerName: 'Md', providerDetails: { MetadataFile: xml } } as never);
    const idp = await read(md(kd(null, 'AAA') + kd('encryption', 'EEE') + kd('signing', 'SS\n SS')));
    assert.deepEqual(idp.signingCertificates, ['AAA', 'SSSS']);
    assert.equal(idp.entityId, 'https://idp.md.test');
    assert.equal(idp.ssoPost, 'https://idp.md.test/sso');
    assert.equal(idp.ssoRedirect, undefined);
    await assert.rejects(read(md(kd('encryption', 'EEE'))), /lacks an entityID, a signing certificate or a SingleSignOnService/);
    await assert.rejects(read('<md:EntityDescriptor'), /is not valid SAML metadata/);
  });

  test('SP metadata: Cognito\'s entity id and ACS', () => {
    assert.equal(sp.entityMeta.getEntityID(), `urn:amazon:cognito:sp:${h.poolId}`);
    assert.equal(sp.entityMeta.getAssertionConsumerService('post'), `${h.base}/saml2/idpresponse`);
  });

  test('a user signs in through the IdP (MetadataFile): code, tokens, ListUsers shows Corp_<NameID>', async () => {
    const { relayState, requestId, extract } = await start('Corp', corp);
    assert.equal(extract.issuer, `urn:amazon:cognito:sp:${h.poolId}`);
    assert.equal(extract.request!.assertionConsumerServiceUrl, `${h.base}/saml2/idpresponse`);
    const samlResponse = await corp.respond(sp, requestId, { nameId: 'alice.corp', attributes: { email: 'alice@corp.test', displayName: 'Alice Corp' } });
    const res = await post(samlResponse, relayState);
    assert.equal(res.status, 302, await res.text());
    const back = new URL(res.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    assert.equal(back.searchParams.get('state'), 'st-1');
    const code = back.searchParams.get('code');
    assert.ok(code, `a code: ${back}`);

    const tokens = await fetch(`${h.base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: h.spa.clientId, code, redirect_uri: CALLBACK }).toString(),
    });
    assert.equal(tokens.status, 200, await tokens.clone().text());
    const id = claims((await tokens.json()).id_token);
    assert.equal(id['cognito:username'], 'Corp_alice.corp');
    assert.equal(id.email, 'alice@corp.test');

    const users = (await sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter: 'username = "Corp_alice.corp"' }))).Users!;
    assert.equal(users.length, 1);
    assert.equal(users[0]!.UserStatus, 'EXTERNAL_PROVIDER');
    const attrs = Object.fromEntries(users[0]!.Attributes!.map((a) => [a.Name, a.Value]));
    assert.equal(attrs.email, 'alice@corp.test');
    assert.equal(attrs.name, 'Alice Corp');
    const identities = JSON.parse(attrs.identities!);
    assert.equal(identities[0].providerName, 'Corp');
    assert.equal(identities[0].providerType, 'SAML');
    assert.equal(identities[0].userId, 'alice.corp');
    assert.equal(identities[0].issuer, corp.entityId, "Cognito's identities name a SAML IdP by its entity id");
  });

  test('MetadataURL: the metadata is fetched from a local server and the user signs in', async () => {
    const { relayState, requestId } = await start('CorpUrl', urlIdp);
    // Several values of one attribute arrive as Cognito writes them: "[a, b]".
    const res = await post(await urlIdp.respond(sp, requestId, { nameId: 'u-42', attributes: { email: 'u42@url.test', displayName: ['Ada', 'Lovelace'] } }), relayState);
    assert.equal(res.status, 302, await res.text());
    assert.ok(new URL(res.headers.get('location')!).searchParams.get('code'));
    const users = (await sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter: 'username = "CorpUrl_u-42"' }))).Users!;
    assert.equal(Object.fromEntries(users[0]!.Attributes!.map((a) => [a.Name, a.Value])).name, '[Ada, Lovelace]');
  });

  test('MetadataURL: an IdP that rolls its key is read again when a signature matches no cached certificate', async () => {
    urlIdp = new TestIdp(urlIdp.entityId, await keyAndCert('idp.url.test rolled'));
    const { relayState, requestId } = await start('CorpUrl', urlIdp);
    const res = await post(await urlIdp.respond(sp, requestId, { nameId: 'after-roll', attributes: { email: 'roll@url.test' } }), relayState);
    assert.equal(res.status, 302, await res.text());
    assert.ok(new URL(res.headers.get('location')!).searchParams.get('code'), res.headers.get('location')!);
  });

  /** Each refused answer goes back to the app with Cognito's error and creates nobody. */
  async function refused(samlResponse: string, relayState: string, nameId: string, description: RegExp) {
    const res = await post(samlResponse, relayState);
    assert.equal(res.status, 302, await res.text());
    const back = new URL(res.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    assert.equal(back.searchParams.get('code'), null);
    assert.equal(back.searchParams.get('error'), 'server_error');
    assert.match(back.searchParams.get('error_description')!, description);
    assert.equal(back.searchParams.get('state'), 'st-1');
    assert.ok(!(await usernames()).includes(`Corp_${nameId}`), 'no user was created');
  }

  test('a response signed by another key (same entity id) is refused', async () => {
    const { relayState, requestId } = await start('Corp', corp);
    const forger = new TestIdp(corp.entityId, await keyAndCert('idp.corp.test'));
    await refused(await forger.respond(sp, requestId, { nameId: 'forged' }), relayState, 'forged', /^Invalid SAML response received: SAML Assertion signature is invalid\. $/);
  });

  test('a signed response with a tampered attribute is refused', async () => {
    const { relayState, requestId } = await start('Corp', corp);
    const good = await corp.respond(sp, requestId, { nameId: 'tampered', attributes: { email: 'tampered@corp.test' } });
    const xml = Buffer.from(good, 'base64').toString('utf8');
    assert.ok(xml.includes('tampered@corp.test'));
    const bad = Buffer.from(xml.replace('tampered@corp.test', 'admin@corp.test')).toString('base64');
    await refused(bad, relayState, 'tampered', /SAML Assertion signature is invalid/);
  });

  test('an unsigned response is refused', async () => {
    const { relayState, requestId } = await start('Corp', corp);
    await refused(await corp.respond(sp, requestId, { nameId: 'unsigned', unsigned: true }), relayState, 'unsigned', /SAML Assertion signature is invalid/);
  });

  test('an expired assertion is refused', async () => {
    const { relayState, requestId } = await start('Corp', corp);
    await refused(await corp.respond(sp, requestId, { nameId: 'expired', endsIn: -10 }), relayState, 'expired', /^Invalid SAML response received: SAML Assertion is expired or not yet valid\.$/);
  });

  test('another audience, recipient or request is refused', async () => {
    for (const [said, name, description] of [
      [{ audience: 'urn:amazon:cognito:sp:us-east-1_other' }, 'audience', /Audience restriction is invalid\.$/],
      [{ recipient: 'https://elsewhere.test/saml2/idpresponse' }, 'recipient', /Recipient or Destination is invalid\.$/],
      [{ inResponseTo: '_not-the-request' }, 'inresponseto', /InResponseTo does not match the request\.$/],
    ] as const) {
      const { relayState, requestId } = await start('Corp', corp);
      await refused(await corp.respond(sp, requestId, { nameId: name, ...said }), relayState, name, description);
    }
  });

  test('a replayed response is refused: the RelayState and the assertion are single use', async () => {
    const { relayState, requestId } = await start('Corp', corp);
    const samlResponse = await corp.respond(sp, requestId, { nameId: 'replay', attributes: { email: 'replay@corp.test' } });
    assert.equal((await post(samlResponse, relayState)).status, 302);
    // The same POST again: its RelayState is used up.
    const again = await post(samlResponse, relayState);
    assert.equal(again.status, 400);
    assert.match(await again.text(), /Invalid samlResponse or relayState from identity provider/);
    // The assertion itself, even answering the right request, is accepted once.
    const pool = (await t.app.store.pools.get(h.poolId))!;
    const provider = (await t.app.store.identityProviders.get(h.poolId, 'Corp'))!;
    await assert.rejects(
      verifySamlResponse(t.app, pool, provider, samlResponse, { requestId, acsUrls: [`${h.base}/saml2/idpresponse`] }),
      (err) => err instanceof SamlRefused && /already been used/.test(err.description),
    );
  });

  test('an IdP offering only the HTTP-POST binding gets the AuthnRequest by a self-submitting form', async () => {
    const material = await keyAndCert('idp.post.test');
    const postOnly = samlify.IdentityProvider({
      entityID: 'https://idp.post.test/metadata', privateKey: material.key, signingCert: material.cert,
      singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: 'https://idp.post.test/sso' }],
    });
    await sdk.send(new CreateIdentityProviderCommand({
      UserPoolId: h.poolId, ProviderName: 'CorpPost', ProviderType: 'SAML', ProviderDetails: { MetadataFile: postOnly.getMetadata(), RequestSigningAlgorithm: 'rsa-sha256' },
    }));
    await sdk.send(new UpdateUserPoolClientCommand({
      UserPoolId: h.poolId, ClientId: h.web.clientId, ClientName: 'Web app', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid'], CallbackURLs: [CALLBACK], SupportedIdentityProviders: ['CorpPost'],
    }));
    const q = new URLSearchParams({ client_id: h.web.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', identity_provider: 'CorpPost' });
    const res = await fetch(`${h.base}/oauth2/authorize?${q}`, { redirect: 'manual' });
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /<form id="saml" method="post" action="https:\/\/idp\.post\.test\/sso">/);
    const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(page)![1]!;
    assert.ok(/name="RelayState" value="[^"]+"/.test(page));
    // Plain base64 XML (not deflated), signed in the XML itself as the POST binding wants.
    const xml = Buffer.from(samlRequest, 'base64').toString('utf8');
    assert.match(xml, /^(<\?xml[^>]*\?>)?<samlp:AuthnRequest /);
    assert.match(xml, /<SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"\/>/);
    assert.match(xml, /<DigestMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#sha256"\/>/);
    const { extract } = await postOnly.parseLoginRequest(sp, 'post', { body: { SAMLRequest: samlRequest } });
    assert.equal(extract.issuer, `urn:amazon:cognito:sp:${h.poolId}`);
  });

  test('a provider whose MetadataURL does not answer: back to the app with an error, no 500', async () => {
    await sdk.send(new CreateIdentityProviderCommand({
      UserPoolId: h.poolId, ProviderName: 'CorpDown', ProviderType: 'SAML', ProviderDetails: { MetadataURL: 'http://127.0.0.1:9/metadata.xml' },
    }));
    await sdk.send(new UpdateUserPoolClientCommand({
      UserPoolId: h.poolId, ClientId: h.web.clientId, ClientName: 'Web app', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid'], CallbackURLs: [CALLBACK], SupportedIdentityProviders: ['CorpDown'],
    }));
    const q = new URLSearchParams({ client_id: h.web.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', identity_provider: 'CorpDown', state: 's' });
    const res = await fetch(`${h.base}/oauth2/authorize?${q}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const back = new URL(res.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    assert.equal(back.searchParams.get('error'), 'server_error');
    assert.equal(back.searchParams.get('state'), 's');
  });

  test("an IdP that leaves base64's '+' unencoded in the form is still understood", async () => {
    const { relayState, requestId } = await start('Corp', corp);
    const samlResponse = await corp.respond(sp, requestId, { nameId: 'plus', attributes: { email: 'plus@corp.test', displayName: 'Plus +++ Sign ~~~ >>>' } });
    assert.ok(samlResponse.includes('+'));
    const res = await fetch(`${h.base}/saml2/idpresponse`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `SAMLResponse=${samlResponse.replace(/\//g, '%2F').replace(/=/g, '%3D')}&RelayState=${encodeURIComponent(relayState)}`,
    });
    assert.equal(res.status, 302, await res.text());
    assert.ok(new URL(res.headers.get('location')!).searchParams.get('code'));
  });

  test('unusual NameIDs (very long, a tab, blank): back at the app either way, never a 500', async () => {
    for (const nameId of ['x'.repeat(300), 'tab\there', ' ']) {
      const { relayState, requestId } = await start('Corp', corp);
      const res = await post(await corp.respond(sp, requestId, { nameId }), relayState);
      assert.ok(res.status === 302, `${JSON.stringify(nameId.slice(0, 20))}: ${res.status} ${await res.text()}`);
      const back = new URL(res.headers.get('location')!);
      assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    }
  });

  test('race: the same answer posted five times at once signs in once', async () => {
    const { relayState, requestId } = await start('Corp', corp);
    const samlResponse = await corp.respond(sp, requestId, { nameId: 'racer', attributes: { email: 'racer@corp.test' } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(samlResponse, relayState)));
    const codes = answers.filter((r) => r.status === 302 && new URL(r.headers.get('location')!).searchParams.get('code'));
    assert.equal(codes.length, 1);
    assert.ok(answers.every((r) => r.status === 302 || r.status === 400), answers.map((r) => r.status).join(','));
  });

  test('bad input at the ACS: an error page, never a 500', async () => {
    const cases: [string, Record<string, string> | string][] = [
      ['no RelayState', { SAMLResponse: 'PHg+' }],
      ['unknown RelayState', { SAMLResponse: 'PHg+', RelayState: 'nope' }],
      ['not a form', 'SAMLResponse=x'],
    ];
    for (const [what, body] of cases) {
      const res = await fetch(`${h.base}/saml2/idpresponse`, {
        method: 'POST',
        headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/x-www-form-urlencoded' },
        body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
      });
      assert.equal(res.status, 400, what);
    }
    // Not base64 / not XML, with a live RelayState: back to the app with an error.
    const { relayState } = await start('Corp', corp);
    const res = await post('%%%not-base64%%%', relayState);
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.get('location')!).searchParams.get('error'), 'server_error');
    const { relayState: r2 } = await start('Corp', corp);
    const res2 = await post(Buffer.from('<nope/>').toString('base64'), r2);
    assert.equal(res2.status, 302);
    assert.equal(new URL(res2.headers.get('location')!).searchParams.get('error'), 'server_error');
  });

  test('IdP-initiated: accepted only from a provider with IDPInit, the RelayState carrying the authorize parameters', async () => {
    const relayState = new URLSearchParams({ identity_provider: 'Corp', client_id: h.spa.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid email' }).toString();
    const unsolicited = () => corp.respond(sp, '', { nameId: 'from-portal', attributes: { email: 'portal@corp.test' }, inResponseTo: null });
    // Not allowed by default: Cognito's words, on a page.
    const refusedRes = await post(await unsolicited(), relayState);
    assert.equal(refusedRes.status, 400);
    assert.match(await refusedRes.text(), /Invalid samlResponse or relayState from identity provider/);
    assert.ok(!(await usernames()).includes('Corp_from-portal'));

    await sdk.send(new UpdateIdentityProviderCommand({ UserPoolId: h.poolId, ProviderName: 'Corp', ProviderDetails: { MetadataFile: corp.metadata(), IDPInit: 'true' } }));
    try {
      // An answer to a request (InResponseTo) is no unsolicited response, even with IDPInit.
      const solicited = await post(await corp.respond(sp, '_some-request', { nameId: 'from-portal' }), relayState);
      assert.equal(new URL(solicited.headers.get('location')!).searchParams.get('error_description'), 'Invalid SAML response received: InResponseTo does not match the request.');
      const res = await post(await unsolicited(), relayState);
      assert.equal(res.status, 302, await res.text());
      const back = new URL(res.headers.get('location')!);
      assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
      assert.ok(back.searchParams.get('code'));
      assert.ok((await usernames()).includes('Corp_from-portal'));
    } finally {
      await sdk.send(new UpdateIdentityProviderCommand({ UserPoolId: h.poolId, ProviderName: 'Corp', ProviderDetails: { MetadataFile: corp.metadata() } }));
    }
  });

  test('EncryptedResponses: an assertion encrypted to the provider\'s certificate signs in; an unencrypted one is refused', async () => {
    const material = await keyAndCert('idp.enc.test');
    const plain = new TestIdp('https://idp.enc.test/metadata', material);
    const enc = new TestIdp('https://idp.enc.test/metadata', material, { encrypt: true });
    await sdk.send(new CreateIdentityProviderCommand({
      UserPoolId: h.poolId, ProviderName: 'CorpEnc', ProviderType: 'SAML', ProviderDetails: { MetadataFile: enc.metadata(), EncryptedResponses: 'true' }, AttributeMapping: MAPPING,
    }));
    await sdk.send(new UpdateUserPoolClientCommand({
      UserPoolId: h.poolId, ClientId: h.spa.clientId, ClientName: 'SPA', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code', 'implicit'],
      AllowedOAuthScopes: ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'], CallbackURLs: [CALLBACK], SupportedIdentityProviders: ['COGNITO', 'Corp', 'CorpUrl', 'CorpEnc'],
    }));
    // The IdP learns the provider's encryption certificate from the metadata for that provider.
    const md = await (await fetch(`${h.base}/saml2/metadata?provider=CorpEnc`)).text();
    const encSp = samlify.ServiceProvider({ metadata: md });
    assert.ok(encSp.entityMeta.getX509Certificate('encryption'), 'the metadata names an encryption certificate');

    const { relayState, requestId } = await start('CorpEnc', enc, 'st-1', encSp);
    const sealed = await enc.respond(encSp, requestId, { nameId: 'secret-agent', attributes: { email: 'agent@enc.test' } });
    assert.ok(!Buffer.from(sealed, 'base64').toString('utf8').includes('agent@enc.test'), 'the attributes travel encrypted');
    const res = await post(sealed, relayState);
    assert.equal(res.status, 302, await res.text());
    assert.ok(new URL(res.headers.get('location')!).searchParams.get('code'), res.headers.get('location')!);
    assert.ok((await usernames()).includes('CorpEnc_secret-agent'));

    const second = await start('CorpEnc', plain, 'st-1', encSp);
    const res2 = await post(await plain.respond(encSp, second.requestId, { nameId: 'in-clear' }), second.relayState);
    assert.equal(new URL(res2.headers.get('location')!).searchParams.get('error_description'), 'Invalid SAML response received: SAML Assertion is not encrypted.');
    assert.ok(!(await usernames()).includes('CorpEnc_in-clear'));
  });

  test('GetSigningCertificate (AWS CLI v2): an X.509 certificate that signs AuthnRequests when RequestSigningAlgorithm is rsa-sha256', needs('aws'), async () => {
    const cli = await aws(t.url, ['cognito-idp', 'get-signing-certificate', '--user-pool-id', h.poolId]);
    assert.equal(cli.code, 0, cli.stderr);
    const cert = new X509Certificate(Buffer.from(cli.json.Certificate, 'base64'));
    assert.ok(cert.subject.includes(h.poolId));
    assert.ok(new Date(cert.validTo).getTime() > Date.now() + 9 * 365 * 864e5, 'valid about ten years');
    // The same certificate each time, and in the SP metadata.
    assert.equal((await aws(t.url, ['cognito-idp', 'get-signing-certificate', '--user-pool-id', h.poolId])).json.Certificate, cli.json.Certificate);
    assert.equal(String(sp.entityMeta.getX509Certificate('signing')).replace(/\s+/g, ''), cli.json.Certificate);

    await sdk.send(new UpdateIdentityProviderCommand({
      UserPoolId: h.poolId, ProviderName: 'Corp', ProviderDetails: { MetadataFile: corp.metadata(), RequestSigningAlgorithm: 'rsa-sha256' },
    }));
    try {
      // An IdP that wants signed requests verifies this one with the certificate from Tobira's metadata.
      const strict = new TestIdp(corp.entityId, await keyAndCert('strict'), { wantAuthnRequestsSigned: true });
      const { location } = await start('Corp', strict);
      assert.equal(location.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      // And node:crypto agrees, with the certificate the CLI returned (SAML bindings 3.4.4.1).
      const raw = location.search.slice(1).split('&');
      const octets = ['SAMLRequest', 'RelayState', 'SigAlg'].map((n) => raw.find((p) => p.startsWith(`${n}=`))!).join('&');
      assert.ok(createVerify('RSA-SHA256').update(octets).verify(cert.publicKey, location.searchParams.get('Signature')!, 'base64'));
      // Unsigned providers send no signature.
      const unsignedStart = await fetch(
        `${h.base}/oauth2/authorize?${new URLSearchParams({ client_id: h.spa.clientId, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', identity_provider: 'CorpUrl' })}`,
        { redirect: 'manual' },
      );
      assert.equal(new URL(unsignedStart.headers.get('location')!).searchParams.get('Signature'), null);
    } finally {
      await sdk.send(new UpdateIdentityProviderCommand({ UserPoolId: h.poolId, ProviderName: 'Corp', ProviderDetails: { MetadataFile: corp.metadata() } }));
    }
  });

  test('in a real Chromium: app -> /oauth2/authorize -> the IdP (its own HTTP server) -> auto-posted form -> /saml2/idpresponse -> app', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    let idpServer: Server | undefined;
    let appServer: Server | undefined;
    let browser: Browser | undefined;
    try {
      // The app: its callback shows what it got.
      appServer = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Callback</h1><p>${req.url!.replace(/[<>&"]/g, '')}</p>`));
      await new Promise<void>((resolve) => appServer!.listen(0, '127.0.0.1', resolve));
      const callback = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}/callback`;
      // The IdP: signs "browser.user" in at once and answers with the usual self-submitting form.
      let live: TestIdp | undefined;
      idpServer = createServer(async (req, res) => {
        try {
          const location = new URL(req.url!, 'http://idp');
          const { extract } = await live!.readRequest(sp, location);
          const samlResponse = await live!.respond(sp, extract.request!.id as string, { nameId: 'browser.user', attributes: { email: 'browser@corp.test', displayName: 'Browser User' } });
          const acs = sp.entityMeta.getAssertionConsumerService('post') as string;
          const field = (n: string, v: string) => `<input type="hidden" name="${n}" value="${v.replace(/"/g, '&quot;')}">`;
          res.writeHead(200, { 'content-type': 'text/html' }).end(
            `<html><body><form method="post" action="${acs}">${field('SAMLResponse', samlResponse)}${field('RelayState', location.searchParams.get('RelayState')!)}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script></body></html>`,
          );
        } catch (err) {
          res.writeHead(500).end(String(err));
        }
      });
      await new Promise<void>((resolve) => idpServer!.listen(0, '127.0.0.1', resolve));
      live = new TestIdp('https://idp.live.test/metadata', await keyAndCert('idp.live.test'), { sso: `http://127.0.0.1:${(idpServer.address() as AddressInfo).port}/sso` });
      await sdk.send(new CreateIdentityProviderCommand({
        UserPoolId: h.poolId, ProviderName: 'CorpLive', ProviderType: 'SAML', ProviderDetails: { MetadataFile: live.metadata() }, AttributeMapping: MAPPING,
      }));
      const client = await sdk.send(new CreateUserPoolClientCommand({
        UserPoolId: h.poolId, ClientName: 'Browser app', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email'], CallbackURLs: [callback], SupportedIdentityProviders: ['CorpLive'],
      }));

      const chromium = await chromiumPackage();
      const args = chromium.args.filter((a) => a !== '--disable-web-security');
      if (process.getuid?.() === 0 && !args.includes('--no-sandbox')) args.push('--no-sandbox');
      browser = await playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
      const page = await (await browser.newContext()).newPage();
      const q = new URLSearchParams({ client_id: client.UserPoolClient!.ClientId!, redirect_uri: callback, response_type: 'code', scope: 'openid email', identity_provider: 'CorpLive', state: 'browser-1' });
      await page.goto(`${h.base}/oauth2/authorize?${q}`);
      await page.waitForURL((u) => u.href.startsWith(callback), { timeout: 60_000 });
      await page.screenshot({ path: new URL('saml-callback.png', ARTIFACTS).pathname, fullPage: true });
      const back = new URL(page.url());
      assert.equal(back.searchParams.get('state'), 'browser-1');
      assert.ok(back.searchParams.get('code'), page.url());
      const users = (await sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter: 'username = "CorpLive_browser.user"' }))).Users!;
      assert.equal(users[0]?.UserStatus, 'EXTERNAL_PROVIDER');
    } finally {
      await browser?.close();
      await new Promise((resolve) => (idpServer ? idpServer.close(resolve) : resolve(undefined)));
      await new Promise((resolve) => (appServer ? appServer.close(resolve) : resolve(undefined)));
    }
  });

  test("the README's commands: the AWS CLI creates a provider from a MetadataURL, which signs a user in", needs('aws'), async () => {
    const metadataUrl = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata.xml`;
    const cli = await aws(t.url, [
      'cognito-idp', 'create-identity-provider', '--user-pool-id', h.poolId, '--provider-name', 'CorpCli', '--provider-type', 'SAML',
      '--provider-details', `MetadataURL=${metadataUrl}`, '--attribute-mapping', 'email=email,name=displayName',
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json.IdentityProvider.ProviderType, 'SAML');
    await sdk.send(new UpdateUserPoolClientCommand({
      UserPoolId: h.poolId, ClientId: h.spa.clientId, ClientName: 'SPA', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code', 'implicit'],
      AllowedOAuthScopes: ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'], CallbackURLs: [CALLBACK], SupportedIdentityProviders: ['COGNITO', 'Corp', 'CorpUrl', 'CorpCli'],
    }));
    const { relayState, requestId } = await start('CorpCli', urlIdp);
    const res = await post(await urlIdp.respond(sp, requestId, { nameId: 'cli-user', attributes: { email: 'cli@url.test', displayName: 'Cli User' } }), relayState);
    assert.equal(res.status, 302, await res.text());
    assert.ok(new URL(res.headers.get('location')!).searchParams.get('code'));
    const users = (await sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter: 'username = "CorpCli_cli-user"' }))).Users!;
    assert.equal(Object.fromEntries(users[0]!.Attributes!.map((a) => [a.Name, a.Value])).name, 'Cli User');
  });

  test('IDPSignout: /logout ends the session, signs out at the IdP (signed LogoutRequest), and the LogoutResponse leads to logout_uri', async () => {
    const material = await keyAndCert('idp.slo.test');
    const sloIdp = samlify.IdentityProvider({
      entityID: 'https://idp.slo.test/metadata', privateKey: material.key, signingCert: material.cert, nameIDFormat: [PERSISTENT],
      singleSignOnService: [{ Binding: REDIRECT, Location: SSO }],
      singleLogoutService: [{ Binding: REDIRECT, Location: 'https://idp.slo.test/slo' }],
      wantLogoutRequestSigned: true,
    });
    const slo = Object.assign(new TestIdp(sloIdp.entityMeta.getEntityID(), material), { idp: sloIdp });
    await sdk.send(new CreateIdentityProviderCommand({
      UserPoolId: h.poolId, ProviderName: 'CorpSlo', ProviderType: 'SAML', ProviderDetails: { MetadataFile: sloIdp.getMetadata(), IDPSignout: 'true' }, AttributeMapping: MAPPING,
    }));
    const client = (await sdk.send(new CreateUserPoolClientCommand({
      UserPoolId: h.poolId, ClientName: 'SLO app', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'], AllowedOAuthScopes: ['openid'],
      CallbackURLs: [CALLBACK], LogoutURLs: [LOGOUT], SupportedIdentityProviders: ['CorpSlo'],
    }))).UserPoolClient!.ClientId!;
    // The SP as an IdP sees it from Tobira's metadata, which names /saml2/logout; it wants signed LogoutResponses.
    const md = await (await fetch(`${h.base}/saml2/metadata`)).text();
    const sloSp = samlify.ServiceProvider({ metadata: md, wantLogoutResponseSigned: true });
    assert.equal(sloSp.entityMeta.getSingleLogoutService('post'), `${h.base}/saml2/logout`);

    const browser = new CookieJar();
    const a = await browser.get(`${h.base}/oauth2/authorize?${new URLSearchParams({ client_id: client, redirect_uri: CALLBACK, response_type: 'code', scope: 'openid', identity_provider: 'CorpSlo' })}`);
    const toIdp = new URL(a.headers.get('location')!);
    const { extract } = await slo.readRequest(sloSp, toIdp);
    const signedIn = await browser.post(`${h.base}/saml2/idpresponse`, {
      SAMLResponse: await slo.respond(sloSp, extract.request!.id as string, { nameId: 'leaver' }),
      RelayState: toIdp.searchParams.get('RelayState')!,
    });
    assert.ok(new URL(signedIn.headers.get('location')!).searchParams.get('code'));
    assert.ok(browser.cookies.has('cognito'), 'a hosted-UI session');

    const out = await browser.get(`${h.base}/logout?${new URLSearchParams({ client_id: client, logout_uri: LOGOUT })}`);
    assert.equal(out.status, 302);
    const toSlo = new URL(out.headers.get('location')!);
    assert.equal(`${toSlo.origin}${toSlo.pathname}`, 'https://idp.slo.test/slo');
    assert.equal(toSlo.searchParams.get('SigAlg'), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    assert.ok(!browser.cookies.has('cognito'), 'the session ended before the browser left');
    // The IdP checks the signature with the certificate in Tobira's metadata and reads the NameID.
    const raw = toSlo.search.slice(1).split('&');
    const octetString = ['SAMLRequest', 'RelayState', 'SigAlg'].map((n) => raw.find((x) => x.startsWith(`${n}=`))).filter(Boolean).join('&');
    const logoutRequest = await sloIdp.parseLogoutRequest(sloSp, 'redirect', { query: Object.fromEntries(toSlo.searchParams), octetString });
    assert.equal(logoutRequest.extract.nameID, 'leaver');
    const relayState = toSlo.searchParams.get('RelayState')!;
    const answer = sloIdp.createLogoutResponse(sloSp, logoutRequest as never, 'post', relayState) as { context: string };
    const back = await browser.post(`${h.base}/saml2/logout`, { SAMLResponse: answer.context, RelayState: relayState });
    assert.equal(back.status, 302, await back.text());
    assert.equal(back.headers.get('location'), LOGOUT);
    // The LogoutResponse passed its checks (not only the redirect): signed, answering the request, Success.
    const pool = (await t.app.store.pools.get(h.poolId))!;
    const provider = (await t.app.store.identityProviders.get(h.poolId, 'CorpSlo'))!;
    const acs = `${h.base}/saml2/idpresponse`;
    await verifySamlLogoutResponse(t.app, pool, provider, answer.context, logoutRequest.extract.request!.id as string, acs);
    await assert.rejects(verifySamlLogoutResponse(t.app, pool, provider, answer.context, '_another', acs), SamlRefused);
    const unsigned = sloIdp.createLogoutResponse(samlify.ServiceProvider({ metadata: md }), logoutRequest as never, 'post', relayState) as { context: string };
    await assert.rejects(verifySamlLogoutResponse(t.app, pool, provider, unsigned.context, logoutRequest.extract.request!.id as string, acs), SamlRefused);
    // A RelayState not made here leads nowhere.
    const forged = await browser.post(`${h.base}/saml2/logout`, { SAMLResponse: answer.context, RelayState: `${relayState.split('.')[0]}.AAAA` });
    assert.equal(forged.status, 400);
  });

  test('GetSigningCertificate of an unknown pool: ResourceNotFoundException', needs('aws'), async () => {
    const cli = await aws(t.url, ['cognito-idp', 'get-signing-certificate', '--user-pool-id', 'us-east-1_nopenope']);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /ResourceNotFoundException/);
  });
});
