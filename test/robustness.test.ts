import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { handlers } from '../src/api/index.ts';
import { computeSecretHash } from '../src/domain/sign-in/secret-hash.ts';
import type { Running } from '../src/tobira.ts';
import { okCall, rawCall, startTestServer } from './helpers/tobira.ts';
import { bendEach, type Request } from './helpers/fuzz.ts';

/**
 * Every implemented operation, called with a valid request and then with that request bent out
 * of shape one member at a time: the member left out, or replaced by a value of another type, an
 * empty or huge string, control characters, an unpaired surrogate, a number out of range, an
 * injection attempt. Whatever the request, the answer must be a Cognito-style 2xx or 4xx with a
 * JSON body (`__type` and `message` on errors), never a 5xx, and the server must stay up with its
 * data intact.
 */

/** A 1x1 PNG, for logos. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
/** A well-formed id (terms, branding styles) nothing has. */
const NO_ID = '00000000-0000-4000-8000-000000000000';

/** A well-formed device key no device has. */
const DEVICE = 'us-east-1_00000000-0000-4000-8000-000000000000';


describe('robustness: every operation, bent out of shape', () => {
  let t: Running;
  const base: Request[] = [];
  let poolId = '';
  let clientId = '';
  let secretClientId = '';
  let secret = '';
  let accessToken = '';
  let refreshToken = '';

  const ok = (op: string, body: unknown) => okCall(t.url, op, body);

  before(async () => {
    t = await startTestServer();
    poolId = (
      await ok('CreateUserPool', {
        PoolName: 'robust',
        AliasAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        Schema: [{ Name: 'tier', AttributeDataType: 'Number', Mutable: true }],
      })
    ).UserPool.Id;
    const flows = ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'];
    clientId = (await ok('CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'web', ExplicitAuthFlows: flows })).UserPoolClient.ClientId;
    const sc = (await ok('CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'server', GenerateSecret: true, ExplicitAuthFlows: flows }))
      .UserPoolClient;
    secretClientId = sc.ClientId;
    secret = sc.ClientSecret;
    await ok('AdminCreateUser', {
      UserPoolId: poolId,
      Username: 'alice',
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: 'alice@example.com' },
        { Name: 'email_verified', Value: 'true' },
      ],
    });
    await ok('AdminSetUserPassword', { UserPoolId: poolId, Username: 'alice', Password: 'Alice#Pass1', Permanent: true });
    await ok('CreateGroup', { UserPoolId: poolId, GroupName: 'staff' });
    const auth = (await ok('InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice#Pass1' } }))
      .AuthenticationResult;
    accessToken = auth.AccessToken;
    refreshToken = auth.RefreshToken;
    const arn = (await ok('DescribeUserPool', { UserPoolId: poolId })).UserPool.Arn;

    const P = { UserPoolId: poolId };
    base.push(
      ['CreateUserPool', { PoolName: 'other', Policies: { PasswordPolicy: { MinimumLength: 8 } }, MfaConfiguration: 'OFF' }],
      ['DescribeUserPool', P],
      ['ListUserPools', { MaxResults: 10 }],
      ['UpdateUserPool', { ...P, AutoVerifiedAttributes: ['email'], UserPoolTags: { team: 'a' } }],
      ['AddCustomAttributes', { ...P, CustomAttributes: [{ Name: 'plan', AttributeDataType: 'String' }] }],
      ['TagResource', { ResourceArn: arn, Tags: { env: 'test' } }],
      ['UntagResource', { ResourceArn: arn, TagKeys: ['env'] }],
      ['ListTagsForResource', { ResourceArn: arn }],
      ['CreateUserPoolClient', { ...P, ClientName: 'more', AccessTokenValidity: 2, TokenValidityUnits: { AccessToken: 'hours' } }],
      ['DescribeUserPoolClient', { ...P, ClientId: clientId }],
      ['UpdateUserPoolClient', { ...P, ClientId: clientId, ClientName: 'web', ExplicitAuthFlows: flows, ReadAttributes: ['email', 'custom:tier'] }],
      ['ListUserPoolClients', { ...P, MaxResults: 5 }],
      ['AddUserPoolClientSecret', { ...P, ClientId: secretClientId, ClientSecret: 'a_given_secret_of_24_chars' }],
      ['ListUserPoolClientSecrets', { ...P, ClientId: secretClientId }],
      ['DeleteUserPoolClientSecret', { ...P, ClientId: secretClientId, ClientSecretId: `${secretClientId}--0` }],
      ['CreateGroup', { ...P, GroupName: 'admins', Precedence: 1, RoleArn: 'arn:aws:iam::000000000000:role/admin' }],
      ['GetGroup', { ...P, GroupName: 'staff' }],
      ['UpdateGroup', { ...P, GroupName: 'staff', Description: 'the staff' }],
      ['ListGroups', { ...P, Limit: 5 }],
      ['AdminAddUserToGroup', { ...P, Username: 'alice', GroupName: 'staff' }],
      ['AdminListGroupsForUser', { ...P, Username: 'alice', Limit: 5 }],
      ['ListUsersInGroup', { ...P, GroupName: 'staff', Limit: 5 }],
      ['AdminRemoveUserFromGroup', { ...P, Username: 'alice', GroupName: 'staff' }],
      ['CreateIdentityProvider', { ...P, ProviderName: 'Google', ProviderType: 'Google', ProviderDetails: { client_id: 'id', client_secret: 's', authorize_scopes: 'openid email' }, AttributeMapping: { email: 'email' } }],
      ['CreateIdentityProvider', { ...P, ProviderName: 'corp', ProviderType: 'OIDC', ProviderDetails: { client_id: 'id', attributes_request_method: 'GET', oidc_issuer: 'https://idp.example.com', authorize_scopes: 'openid' }, IdpIdentifiers: ['corp.example'] }],
      ['DescribeIdentityProvider', { ...P, ProviderName: 'Google' }],
      ['UpdateIdentityProvider', { ...P, ProviderName: 'corp', AttributeMapping: { email: 'mail' }, IdpIdentifiers: ['corp.example', 'corp2.example'] }],
      ['ListIdentityProviders', { ...P, MaxResults: 5 }],
      ['GetIdentityProviderByIdentifier', { ...P, IdpIdentifier: 'corp.example' }],
      ['CreateUserPoolDomain', { ...P, Domain: 'robust-auth' }],
      ['CreateUserPoolDomain', { ...P, Domain: 'robust-custom', CustomDomainConfig: { CertificateArn: 'arn:aws:acm:us-east-1:000000000000:certificate/abc' }, ManagedLoginVersion: 2 }],
      ['DescribeUserPoolDomain', { Domain: 'robust-auth' }],
      ['UpdateUserPoolDomain', { ...P, Domain: 'robust-auth', ManagedLoginVersion: 2 }],
      // Resource servers, UI customization, branding and terms (resource-servers.test.ts, ui-branding-terms.test.ts).
      ['CreateResourceServer', { ...P, Identifier: 'https://api.example.com', Name: 'api', Scopes: [{ ScopeName: 'read', ScopeDescription: 'Read' }] }],
      ['DescribeResourceServer', { ...P, Identifier: 'https://api.example.com' }],
      ['UpdateResourceServer', { ...P, Identifier: 'https://api.example.com', Name: 'api', Scopes: [{ ScopeName: 'write', ScopeDescription: 'Write' }] }],
      ['ListResourceServers', { ...P, MaxResults: 5 }],
      ['SetUICustomization', { ...P, ClientId: 'ALL', CSS: '.label-customizable { font-weight: 400; }', ImageFile: PNG }],
      ['GetUICustomization', { ...P, ClientId: clientId }],
      ['CreateManagedLoginBranding', { ...P, ClientId: clientId, Settings: { components: { pageBackground: { lightMode: { color: 'ff0000ff' } } } }, Assets: [{ Category: 'FORM_LOGO', ColorMode: 'LIGHT', Extension: 'PNG', Bytes: PNG }] }],
      ['DescribeManagedLoginBranding', { ...P, ManagedLoginBrandingId: NO_ID, ReturnMergedResources: true }],
      ['DescribeManagedLoginBrandingByClient', { ...P, ClientId: clientId, ReturnMergedResources: false }],
      ['UpdateManagedLoginBranding', { ...P, ManagedLoginBrandingId: NO_ID, Settings: { categories: {} } }],
      ['CreateTerms', { ...P, ClientId: clientId, TermsName: 'terms-of-use', TermsSource: 'LINK', Enforcement: 'NONE', Links: { 'cognito:default': 'https://example.com/terms' } }],
      ['DescribeTerms', { ...P, TermsId: NO_ID }],
      ['UpdateTerms', { ...P, TermsId: NO_ID, Links: { 'cognito:english': 'https://example.com/en/terms' } }],
      ['ListTerms', { ...P, MaxResults: 5 }],
      ['AdminCreateUser', { ...P, Username: 'bob', MessageAction: 'SUPPRESS', TemporaryPassword: 'Temp#Pass1', UserAttributes: [{ Name: 'email', Value: 'bob@example.com' }], DesiredDeliveryMediums: ['EMAIL'] }],
      ['AdminGetUser', { ...P, Username: 'alice' }],
      ['AdminSetUserPassword', { ...P, Username: 'alice', Password: 'Alice#Pass1', Permanent: true }],
      ['AdminUpdateUserAttributes', { ...P, Username: 'alice', UserAttributes: [{ Name: 'custom:tier', Value: '2' }] }],
      ['AdminDeleteUserAttributes', { ...P, Username: 'alice', UserAttributeNames: ['custom:tier'] }],
      ['AdminEnableUser', { ...P, Username: 'alice' }],
      ['AdminConfirmSignUp', { ...P, Username: 'alice' }],
      ['ListUsers', { ...P, Filter: 'email ^= "ali"', Limit: 10, AttributesToGet: ['email'] }],
      ['InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_SRP_AUTH', AuthParameters: { USERNAME: 'alice', SRP_A: 'ab'.repeat(384) } }],
      ['InitiateAuth', { ClientId: secretClientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: refreshToken, SECRET_HASH: 'x' } }],
      ['AdminInitiateAuth', { ...P, ClientId: secretClientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'wrong', SECRET_HASH: computeSecretHash(secret, 'alice', secretClientId) } }],
      ['RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 'AYAB' + 'x'.repeat(40), ChallengeResponses: { USERNAME: 'alice', NEW_PASSWORD: 'New#Pass1' } }],
      ['AdminRespondToAuthChallenge', { ...P, ClientId: clientId, ChallengeName: 'PASSWORD_VERIFIER', Session: 'AYAB' + 'y'.repeat(40), ChallengeResponses: { USERNAME: 'alice', PASSWORD_CLAIM_SIGNATURE: 'AAAA', PASSWORD_CLAIM_SECRET_BLOCK: 'AAAA', TIMESTAMP: 'Sun Nov 2 03:04:05 UTC 2025' } }],
      ['SetUserPoolMfaConfig', { ...P, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }],
      ['GetUserPoolMfaConfig', P],
      ['AssociateSoftwareToken', { AccessToken: accessToken }],
      ['VerifySoftwareToken', { AccessToken: accessToken, UserCode: '123456', FriendlyDeviceName: 'phone' }],
      ['SetUserMFAPreference', { AccessToken: accessToken, SMSMfaSettings: { Enabled: false }, SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } }],
      ['AdminSetUserMFAPreference', { ...P, Username: 'alice', EmailMfaSettings: { Enabled: false, PreferredMfa: false } }],
      ['SetUserSettings', { AccessToken: accessToken, MFAOptions: [] }],
      ['AdminSetUserSettings', { ...P, Username: 'alice', MFAOptions: [] }],
      ['RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'AYAB' + 'z'.repeat(40), ChallengeResponses: { USERNAME: 'alice', SOFTWARE_TOKEN_MFA_CODE: '123456' } }],
      ['ConfirmDevice', { AccessToken: accessToken, DeviceKey: DEVICE, DeviceName: 'laptop', DeviceSecretVerifierConfig: { Salt: 'AAECAwQFBgcICQoLDA0ODw==', PasswordVerifier: 'AQID' } }],
      ['GetDevice', { AccessToken: accessToken, DeviceKey: DEVICE }],
      ['ListDevices', { AccessToken: accessToken, Limit: 10 }],
      ['UpdateDeviceStatus', { AccessToken: accessToken, DeviceKey: DEVICE, DeviceRememberedStatus: 'remembered' }],
      ['ForgetDevice', { AccessToken: accessToken, DeviceKey: DEVICE }],
      ['AdminGetDevice', { ...P, Username: 'alice', DeviceKey: DEVICE }],
      ['AdminListDevices', { ...P, Username: 'alice', Limit: 10 }],
      ['AdminUpdateDeviceStatus', { ...P, Username: 'alice', DeviceKey: DEVICE, DeviceRememberedStatus: 'not_remembered' }],
      ['AdminForgetDevice', { ...P, Username: 'alice', DeviceKey: DEVICE }],
      ['RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'DEVICE_SRP_AUTH', Session: 'AYAB' + 'd'.repeat(40), ChallengeResponses: { USERNAME: 'alice', DEVICE_KEY: DEVICE, SRP_A: 'ab'.repeat(384) } }],
      ['RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'DEVICE_PASSWORD_VERIFIER', Session: 'AYAB' + 'e'.repeat(40), ChallengeResponses: { USERNAME: 'alice', DEVICE_KEY: DEVICE, PASSWORD_CLAIM_SIGNATURE: 'AAAA', PASSWORD_CLAIM_SECRET_BLOCK: 'AAAA', TIMESTAMP: 'Sun Nov 2 03:04:05 UTC 2025' } }],
      // Choice-based sign-in and passkeys (test/user-auth.test.ts, test/passkeys-browser.test.ts).
      ['StartWebAuthnRegistration', { AccessToken: accessToken }],
      ['CompleteWebAuthnRegistration', { AccessToken: accessToken, Credential: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } } }],
      ['ListWebAuthnCredentials', { AccessToken: accessToken, MaxResults: 5 }],
      ['DeleteWebAuthnCredential', { AccessToken: accessToken, CredentialId: 'AAAA' }],
      ['GetUserAuthFactors', { AccessToken: accessToken }],
      ['InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_AUTH', AuthParameters: { USERNAME: 'alice', PREFERRED_CHALLENGE: 'EMAIL_OTP' } }],
      ['RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'SELECT_CHALLENGE', Session: 'AYAB' + 's'.repeat(40), ChallengeResponses: { USERNAME: 'alice', ANSWER: 'EMAIL_OTP' } }],
      ['RespondToAuthChallenge', { ClientId: clientId, ChallengeName: 'WEB_AUTHN', Session: 'AYAB' + 'w'.repeat(40), ChallengeResponses: { USERNAME: 'alice', CREDENTIAL: '{}' } }],
      ['GetUser', { AccessToken: accessToken }],
      ['ChangePassword', { AccessToken: accessToken, PreviousPassword: 'wrong-pass', ProposedPassword: 'Alice#Pass2' }],
      ['GetTokensFromRefreshToken', { ClientId: clientId, RefreshToken: refreshToken }],
      ['SignUp', { ClientId: clientId, Username: 'carol', Password: 'Carol#Pass1', UserAttributes: [{ Name: 'email', Value: 'carol@example.com' }], ValidationData: [], ClientMetadata: { a: 'b' } }],
      ['ConfirmSignUp', { ClientId: clientId, Username: 'carol', ConfirmationCode: '123456', ForceAliasCreation: false }],
      ['ResendConfirmationCode', { ClientId: clientId, Username: 'carol' }],
      ['ForgotPassword', { ClientId: clientId, Username: 'alice' }],
      ['ConfirmForgotPassword', { ClientId: clientId, Username: 'alice', ConfirmationCode: '123456', Password: 'Alice#Pass3' }],
      ['AdminResetUserPassword', { ...P, Username: 'bob' }],
      ['GetUserAttributeVerificationCode', { AccessToken: accessToken, AttributeName: 'email' }],
      ['VerifyUserAttribute', { AccessToken: accessToken, AttributeName: 'email', Code: '123456' }],
      ['UpdateUserAttributes', { AccessToken: accessToken, UserAttributes: [{ Name: 'name', Value: 'Alice' }] }],
      ['DeleteUserAttributes', { AccessToken: accessToken, UserAttributeNames: ['name'] }],
      ['AdminDisableUser', { ...P, Username: 'bob' }],
      ['RevokeToken', { ClientId: clientId, Token: refreshToken }],
      ['GlobalSignOut', { AccessToken: accessToken }],
      ['AdminUserGlobalSignOut', { ...P, Username: 'alice' }],
      // Threat protection and log delivery (threat-protection.test.ts, log-delivery.test.ts).
      ['SetRiskConfiguration', { ...P, RiskExceptionConfiguration: { BlockedIPRangeList: ['192.0.2.0/24'], SkippedIPRangeList: ['2001:db8::/32'] }, CompromisedCredentialsRiskConfiguration: { EventFilter: ['SIGN_IN'], Actions: { EventAction: 'BLOCK' } } }],
      ['DescribeRiskConfiguration', { ...P, ClientId: clientId }],
      ['AdminListUserAuthEvents', { ...P, Username: 'alice', MaxResults: 5 }],
      ['AdminUpdateAuthEventFeedback', { ...P, Username: 'alice', EventId: NO_ID, FeedbackValue: 'Valid' }],
      ['UpdateAuthEventFeedback', { ...P, Username: 'alice', EventId: NO_ID, FeedbackToken: 'x'.repeat(40), FeedbackValue: 'Invalid' }],
      ['SetLogDeliveryConfiguration', { ...P, LogConfigurations: [{ LogLevel: 'ERROR', EventSource: 'userNotification', CloudWatchLogsConfiguration: { LogGroupArn: 'arn:aws:logs:us-east-1:000000000000:log-group:robust' } }] }],
      ['GetLogDeliveryConfiguration', P],
      // Federation (federation-oidc.test.ts, federation-saml.test.ts).
      ['GetSigningCertificate', P],
      ['AdminLinkProviderForUser', { ...P, DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: 'alice' }, SourceUser: { ProviderName: 'Google', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: '1234567890' } }],
      ['AdminDisableProviderForUser', { ...P, User: { ProviderName: 'Google', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: '1234567890' } }],
      // User import jobs (import-jobs.test.ts).
      ['GetCSVHeader', P],
      ['CreateUserImportJob', { ...P, JobName: 'robust', CloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/import' }],
      ['ListUserImportJobs', { ...P, MaxResults: 5 }],
      ['DescribeUserImportJob', { ...P, JobId: 'import-AAAAAAAAAA' }],
      ['StartUserImportJob', { ...P, JobId: 'import-AAAAAAAAAA' }],
      ['StopUserImportJob', { ...P, JobId: 'import-AAAAAAAAAA' }],
      // Destructive ones last, on things made for them.
      ['DeleteUser', { AccessToken: 'not-a-token' }],
      ['AdminDeleteUser', { ...P, Username: 'bob' }],
      ['DeleteGroup', { ...P, GroupName: 'admins' }],
      ['DeleteIdentityProvider', { ...P, ProviderName: 'corp' }],
      ['DeleteUserPoolDomain', { ...P, Domain: 'robust-custom' }],
      ['DeleteResourceServer', { ...P, Identifier: 'https://api.example.com' }],
      ['DeleteManagedLoginBranding', { ...P, ManagedLoginBrandingId: NO_ID }],
      ['DeleteTerms', { ...P, TermsId: NO_ID }],
      ['DeleteUserPoolClient', { ...P, ClientId: 'nosuchclient00000000000000' }],
      ['DeleteUserPool', { UserPoolId: 'us-east-1_NoSuchPoo' }],
    );
  });
  after(() => t.close());

  test('the valid requests cover every implemented operation', () => {
    const covered = new Set(base.map(([op]) => op));
    assert.deepEqual(Object.keys(handlers).filter((op) => !covered.has(op)), []);
  });

  test('no request, however bent, gets a 5xx or a body that is not Cognito-style JSON', async () => {
    const failures: string[] = [];
    let sent = 0;
    const check = async (op: string, body: unknown, what: string) => {
      sent++;
      const r = await rawCall(t.url, op, body);
      if (r.status >= 500) failures.push(`${op} ${what}: ${r.status} ${r.text.slice(0, 200)}`);
      else if (r.status !== 200 && (typeof r.json?.__type !== 'string' || typeof r.json?.message !== 'string')) {
        failures.push(`${op} ${what}: ${r.status} without __type/message: ${r.text.slice(0, 200)}`);
      }
    };
    await bendEach(base, check);
    assert.ok(sent > 2000, `only ${sent} requests sent`);
    assert.deepEqual(failures, []);

    // Still up, data intact.
    assert.equal((await fetch(`${t.url}/health`)).status, 200);
    const pool = await ok('DescribeUserPool', { UserPoolId: poolId });
    assert.equal(pool.UserPool.Name, 'robust');
    assert.equal((await ok('AdminGetUser', { UserPoolId: poolId, Username: 'alice' })).Username, 'alice');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

/** A small seeded generator, so a failure names a case that can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { int, pick };
}

/** Random edits of a valid string: flipped, dropped, doubled or inserted characters, cut ends. */
function mutate(r: ReturnType<typeof prng>, s: string): string {
  const alphabet = ['.', '-', '_', '=', '"', '\\', ' ', 'A', '0', 'é', '\u0000', '%', '+', '/'];
  let out = s;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const i = r.int(out.length + 1);
    switch (r.int(5)) {
      case 0: out = out.slice(0, i) + r.pick(alphabet) + out.slice(i + 1); break;
      case 1: out = out.slice(0, i) + out.slice(i + 1); break;
      case 2: out = out.slice(0, i) + r.pick(alphabet) + out.slice(i); break;
      case 3: out = out.slice(0, i); break;
      default: out = out.slice(0, i) + out.slice(i, i + 8) + out.slice(i); break;
    }
  }
  return out;
}

/** A JWT with its signature re-encoded, so two spellings of the same bytes compare equal. */
function canonicalJwt(token: string): string {
  const p = token.split('.');
  return p.length === 3 && /^[\w-]*$/.test(p[2]) ? `${p[0]}.${p[1]}.${Buffer.from(p[2], 'base64url').toString('base64url')}` : token;
}

describe('robustness: parsers of tokens, sessions and filters, fuzzed', () => {
  let t: Running;
  let poolId = '';
  let clientId = '';
  let tokens: { AccessToken: string; RefreshToken: string; IdToken: string };
  let session = '';
  const ok = (op: string, body: unknown) => okCall(t.url, op, body);
  before(async () => {
    t = await startTestServer();
    poolId = (await ok('CreateUserPool', { PoolName: 'fuzz' })).UserPool.Id;
    clientId = (await ok('CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'c', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))
      .UserPoolClient.ClientId;
    await ok('AdminCreateUser', { UserPoolId: poolId, Username: 'zoe', MessageAction: 'SUPPRESS', TemporaryPassword: 'Zoe#Pass12' });
    session = (await ok('InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'zoe', PASSWORD: 'Zoe#Pass12' } })).Session;
    await ok('AdminSetUserPassword', { UserPoolId: poolId, Username: 'zoe', Password: 'Zoe#Pass12', Permanent: true });
    tokens = (await ok('InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'zoe', PASSWORD: 'Zoe#Pass12' } }))
      .AuthenticationResult;
  });
  after(() => t.close());

  test('mutated access, ID and refresh tokens, sessions and filters get 4xx answers, never a 5xx, and never succeed by accident', async () => {
    const r = prng(20261129);
    const failures: string[] = [];
    const expect4xx = async (op: string, body: Record<string, unknown>, what: string) => {
      const res = await rawCall(t.url, op, body);
      if (res.status !== 400 || typeof res.json?.__type !== 'string') failures.push(`${op} ${what}: ${res.status} ${res.text.slice(0, 160)}`);
    };
    for (let i = 0; i < 150; i++) {
      const access = mutate(r, tokens.AccessToken);
      // A changed last character of the signature may carry only its unused low bits: the same
      // signature, rightly accepted. Only tokens that differ in bytes must be refused.
      if (canonicalJwt(access) !== canonicalJwt(tokens.AccessToken)) await expect4xx('GetUser', { AccessToken: access }, `AccessToken #${i} ${JSON.stringify(access.slice(-20))}`);
      const id = mutate(r, tokens.IdToken);
      await expect4xx('GetUser', { AccessToken: id }, `an ID token as access token #${i}`);
      const refresh = mutate(r, tokens.RefreshToken);
      if (refresh !== tokens.RefreshToken) {
        await expect4xx('InitiateAuth', { ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: refresh } }, `RefreshToken #${i}`);
      }
      const s = mutate(r, session);
      if (s !== session) {
        await expect4xx(
          'RespondToAuthChallenge',
          { ClientId: clientId, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: s, ChallengeResponses: { USERNAME: 'zoe', NEW_PASSWORD: 'Zoe#Pass99' } },
          `Session #${i}`,
        );
      }
    }
    // Filters: mutations of valid ones must parse or be refused with InvalidParameterException.
    const filters = ['email = "a@b.c"', 'username ^= "zo"', 'cognito:user_status = "CONFIRMED"', 'status = "Enabled"', 'name ^= "a \\" b"'];
    for (let i = 0; i < 300; i++) {
      const f = mutate(r, r.pick(filters));
      const res = await rawCall(t.url, 'ListUsers', { UserPoolId: poolId, Filter: f });
      if (res.status >= 500 || (res.status === 400 && res.json?.__type !== 'InvalidParameterException')) {
        failures.push(`ListUsers Filter ${JSON.stringify(f)}: ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    assert.deepEqual(failures, []);
    // The real ones still work.
    assert.equal((await ok('GetUser', { AccessToken: tokens.AccessToken })).Username, 'zoe');
  });
});
