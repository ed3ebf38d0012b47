import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenForDeveloperIdentityCommand,
  GetPrincipalTagAttributeMapCommand,
  SetIdentityPoolRolesCommand,
  SetPrincipalTagAttributeMapCommand,
  type CreateIdentityPoolCommandInput,
  type RoleMapping,
} from '@aws-sdk/client-cognito-identity';
import { AdminAddUserToGroupCommand, CreateGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { OffsetClock } from './helpers/gateway.ts';
import { createPoolAndClient, createUser, decodeJwt, sdkError, signIn } from './helpers/tokens.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import { awsWith } from './helpers/sts.ts';

/**
 * Identity pool credentials end to end, with real clients: @aws-sdk/credential-providers'
 * fromCognitoIdentityPool (the enhanced flow: GetId, GetCredentialsForIdentity) for a user signed
 * in to a Tobira user pool and for a guest; the AWS CLI v2 calling `sts get-caller-identity` on
 * Tobira with those credentials and seeing the role a Rules mapping chose; boto3 driving the
 * classic flow (get_id, get_open_id_token, sts assume_role_with_web_identity); Deny and missing
 * roles refused with Cognito's words; a second Tobira as the external STS.
 */

const role = (name: string) => `arn:aws:iam::000000000000:role/${name}`;
const provider = (poolId: string) => `cognito-idp.us-east-1.amazonaws.com/${poolId}`;
const ADMIN = { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'tobira-test-secret' };

interface Setup {
  userPoolId: string;
  clientId: string;
  tokens: Record<'alice' | 'bob' | 'carol', string>;
}

/** A user pool with alice (group `admins`), bob (email ops-...) and carol (group `editors`, which has a role), signed in. */
async function userPool(url: string): Promise<Setup> {
  const idp = idpClient(url);
  const { poolId, clientId } = await createPoolAndClient(idp);
  await createUser(idp, poolId, 'alice', { email: 'alice@example.com' });
  await createUser(idp, poolId, 'bob', { email: 'ops-bob@example.com' });
  await createUser(idp, poolId, 'carol', { email: 'carol@example.com' });
  await idp.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'admins' }));
  await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'alice', GroupName: 'admins' }));
  // A group with a role: carol's ID token carries cognito:roles and cognito:preferred_role.
  await idp.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'editors', RoleArn: role('app-editors'), Precedence: 1 }));
  await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'carol', GroupName: 'editors' }));
  const tokens = {
    alice: (await signIn(idp, clientId, 'alice')).IdToken,
    bob: (await signIn(idp, clientId, 'bob')).IdToken,
    carol: (await signIn(idp, clientId, 'carol')).IdToken,
  };
  return { userPoolId: poolId, clientId, tokens };
}

const rules = (setup: Setup, ambiguous: 'AuthenticatedRole' | 'Deny'): Record<string, RoleMapping> => ({
  [`${provider(setup.userPoolId)}:${setup.clientId}`]: {
    Type: 'Rules',
    AmbiguousRoleResolution: ambiguous,
    RulesConfiguration: {
      Rules: [
        { Claim: 'cognito:groups', MatchType: 'Contains', Value: 'admins', RoleARN: role('app-admins') },
        { Claim: 'email', MatchType: 'StartsWith', Value: 'ops-', RoleARN: role('app-ops') },
      ],
    },
  },
});

function identityClient(url: string): CognitoIdentityClient {
  return new CognitoIdentityClient({ endpoint: url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
}

async function identityPool(ci: CognitoIdentityClient, setup: Setup, input: Partial<CreateIdentityPoolCommandInput>, roles: Record<string, string>, mappings?: Record<string, RoleMapping>) {
  const { IdentityPoolId } = await ci.send(
    new CreateIdentityPoolCommand({
      IdentityPoolName: 'app',
      AllowUnauthenticatedIdentities: true,
      CognitoIdentityProviders: [{ ProviderName: provider(setup.userPoolId), ClientId: setup.clientId }],
      ...input,
    }),
  );
  await ci.send(new SetIdentityPoolRolesCommand({ IdentityPoolId, Roles: roles, RoleMappings: mappings }));
  return IdentityPoolId!;
}

/** Credentials as the JS SDK's own provider gets them (clientConfig pointing at Tobira). */
function credentialsFor(url: string, identityPoolId: string, logins?: Record<string, string>) {
  return fromCognitoIdentityPool({ identityPoolId, logins, clientConfig: { endpoint: url, region: 'us-east-1', maxAttempts: 1 } })();
}

describe('GetCredentialsForIdentity with fromCognitoIdentityPool, checked by the AWS CLI', () => {
  const clock = new OffsetClock();
  let t: Running;
  let setup: Setup;
  let poolId: string;
  before(async () => {
    t = await startTestServer({}, { clock });
    setup = await userPool(t.url);
    poolId = await identityPool(identityClient(t.url), setup, {}, { authenticated: role('app-users'), unauthenticated: role('app-guests') }, rules(setup, 'AuthenticatedRole'));
  });
  after(() => t.close());

  test('a signed-in user gets the role its cognito:groups claim maps to, for an hour; the AWS CLI sees it; expired credentials are refused', needs('aws'), async () => {
    const before = Date.now();
    const creds = await credentialsFor(t.url, poolId, { [provider(setup.userPoolId)]: setup.tokens.alice });
    assert.match(creds.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(creds.secretAccessKey.length, 40);
    assert.ok(creds.sessionToken);
    // An hour (to the second, as Cognito gives it).
    const lifetime = creds.expiration!.getTime() - before;
    assert.ok(lifetime > 3500_000 && lifetime < 3700_000, `expires in ${lifetime} ms`);

    const me = await awsWith(t.url, creds, ['sts', 'get-caller-identity']);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(me.json.Arn, 'arn:aws:sts::000000000000:assumed-role/app-admins/CognitoIdentityCredentials');
    assert.match(me.json.UserId, /^AROA[A-Z2-7]{17}:CognitoIdentityCredentials$/);

    clock.offsetMs = 3601_000;
    try {
      const expired = await awsWith(t.url, creds, ['sts', 'get-caller-identity']);
      assert.notEqual(expired.code, 0);
      assert.match(expired.stderr, /\(ExpiredToken\) when calling the GetCallerIdentity operation: The security token included in the request is expired/);
    } finally {
      clock.offsetMs = 0;
    }
  });

  test('an attribute claim picks the second rule; no match falls back to the authenticated role', needs('aws'), async () => {
    const bob = await credentialsFor(t.url, poolId, { [provider(setup.userPoolId)]: setup.tokens.bob });
    assert.equal((await awsWith(t.url, bob, ['sts', 'get-caller-identity'])).json.Arn, 'arn:aws:sts::000000000000:assumed-role/app-ops/CognitoIdentityCredentials');
    const carol = await credentialsFor(t.url, poolId, { [provider(setup.userPoolId)]: setup.tokens.carol });
    assert.equal((await awsWith(t.url, carol, ['sts', 'get-caller-identity'])).json.Arn, 'arn:aws:sts::000000000000:assumed-role/app-users/CognitoIdentityCredentials');
  });

  test('a Token mapping takes cognito:preferred_role, or a CustomRoleArn among cognito:roles; another CustomRoleArn is denied', needs('aws'), async () => {
    const ci = identityClient(t.url);
    const token = await identityPool(ci, setup, {}, { authenticated: role('app-users') }, {
      [`${provider(setup.userPoolId)}:${setup.clientId}`]: { Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' },
    });
    const logins = { [provider(setup.userPoolId)]: setup.tokens.carol };
    assert.deepEqual(decodeJwt(setup.tokens.carol).payload['cognito:roles'], [role('app-editors')]);
    const carol = await credentialsFor(t.url, token, logins);
    assert.equal((await awsWith(t.url, carol, ['sts', 'get-caller-identity'])).json.Arn, 'arn:aws:sts::000000000000:assumed-role/app-editors/CognitoIdentityCredentials');
    const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId: token, Logins: logins }));
    const chosen = await ci.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins, CustomRoleArn: role('app-editors') }));
    assert.ok(chosen.Credentials?.SessionToken);
    const other = await sdkError(ci.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins, CustomRoleArn: role('app-admins') })));
    assert.equal(other.name, 'NotAuthorizedException');
  });

  test('a guest gets the unauthenticated role', needs('aws'), async () => {
    const guest = await credentialsFor(t.url, poolId);
    const me = await awsWith(t.url, guest, ['sts', 'get-caller-identity']);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(me.json.Arn, 'arn:aws:sts::000000000000:assumed-role/app-guests/CognitoIdentityCredentials');
  });

  test('principal tags: the default map (client, username) goes on the session', async () => {
    const ci = identityClient(t.url);
    const set = await ci.send(new SetPrincipalTagAttributeMapCommand({ IdentityPoolId: poolId, IdentityProviderName: provider(setup.userPoolId), UseDefaults: true }));
    assert.deepEqual({ ...set, $metadata: undefined }, { $metadata: undefined, IdentityPoolId: poolId, IdentityProviderName: provider(setup.userPoolId), UseDefaults: true, PrincipalTags: {} });
    const got = await ci.send(new GetPrincipalTagAttributeMapCommand({ IdentityPoolId: poolId, IdentityProviderName: provider(setup.userPoolId) }));
    assert.equal(got.UseDefaults, true);
    const creds = await credentialsFor(t.url, poolId, { [provider(setup.userPoolId)]: setup.tokens.alice });
    const stored = (await t.app.store.temporaryCredentials.get(creds.accessKeyId))!;
    assert.deepEqual(stored.principalTags, { client: setup.clientId, username: decodeJwt(setup.tokens.alice).payload.sub });

    await ci.send(new SetPrincipalTagAttributeMapCommand({ IdentityPoolId: poolId, IdentityProviderName: provider(setup.userPoolId), UseDefaults: false, PrincipalTags: { mail: 'email', who: 'cognito:username' } }));
    const custom = await credentialsFor(t.url, poolId, { [provider(setup.userPoolId)]: setup.tokens.bob });
    assert.deepEqual((await t.app.store.temporaryCredentials.get(custom.accessKeyId))!.principalTags, { mail: 'ops-bob@example.com', who: 'bob' });

    const unknownProvider = await sdkError(ci.send(new SetPrincipalTagAttributeMapCommand({ IdentityPoolId: poolId, IdentityProviderName: 'accounts.google.com', UseDefaults: true })));
    assert.equal(unknownProvider.name, 'InvalidParameterException');
    const never = await sdkError(ci.send(new GetPrincipalTagAttributeMapCommand({ IdentityPoolId: poolId, IdentityProviderName: 'accounts.google.com' })));
    assert.equal(never.name, 'ResourceNotFoundException');
  });

  test('the developer-authenticated flow: the OpenID token as a login gets the authenticated role and carries its principal tags', async () => {
    const ci = identityClient(t.url);
    const dev = await identityPool(ci, setup, { DeveloperProviderName: 'login.example.app' }, { authenticated: role('dev-users'), unauthenticated: role('dev-guests') });
    const { IdentityId, Token } = await ci.send(
      new GetOpenIdTokenForDeveloperIdentityCommand({ IdentityPoolId: dev, Logins: { 'login.example.app': 'user-42' }, PrincipalTags: { tenant: 'acme' } }),
    );
    const r = await ci.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: { 'cognito-identity.amazonaws.com': Token! } }));
    const stored = (await t.app.store.temporaryCredentials.get(r.Credentials!.AccessKeyId!))!;
    assert.equal(stored.roleArn, role('dev-users'));
    assert.deepEqual(stored.principalTags, { tenant: 'acme' });
    assert.equal(stored.identityId, IdentityId);
  });

  test("AmbiguousRoleResolution Deny and missing roles are refused with Cognito's words", async () => {
    const ci = identityClient(t.url);
    const deny = await identityPool(ci, setup, {}, { authenticated: role('app-users') }, rules(setup, 'Deny'));
    const logins = { [provider(setup.userPoolId)]: setup.tokens.carol };
    const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId: deny, Logins: logins }));
    assert.deepEqual(await sdkError(ci.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }))), {
      name: 'NotAuthorizedException',
      message: `The ambiguous role mapping rules for: ${provider(setup.userPoolId)}:${setup.clientId} denied this request.`,
    });
    // alice still matches a rule there.
    const alice = { [provider(setup.userPoolId)]: setup.tokens.alice };
    const aliceId = (await ci.send(new GetIdCommand({ IdentityPoolId: deny, Logins: alice }))).IdentityId;
    assert.ok((await ci.send(new GetCredentialsForIdentityCommand({ IdentityId: aliceId, Logins: alice }))).Credentials?.AccessKeyId);

    const noRoles = await identityPool(ci, setup, {}, {});
    const guestId = (await ci.send(new GetIdCommand({ IdentityPoolId: noRoles }))).IdentityId;
    assert.deepEqual(await sdkError(ci.send(new GetCredentialsForIdentityCommand({ IdentityId: guestId }))), {
      name: 'InvalidIdentityPoolConfigurationException',
      message: 'Invalid identity pool configuration. Check assigned IAM roles for this pool.',
    });
  });
});

/** Runs a boto3 script (argv[1] the endpoint); its last line of output is JSON. */
function boto3(script: string, args: string[]): Promise<any> {
  return new Promise((resolve, reject) =>
    execFile(PYTHON, ['-c', script, ...args], { encoding: 'utf8', timeout: 60_000 }, (e, stdout, stderr) =>
      e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!)),
    ),
  );
}

const CLASSIC_FLOW = `import boto3, json, sys
from botocore.exceptions import ClientError
url, pool_id, provider, id_token, role_arn = sys.argv[1:6]
kw = dict(endpoint_url=url, region_name='us-east-1')
ci = boto3.client('cognito-identity', aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='tobira-test-secret', **kw)
logins = {provider: id_token}
identity_id = ci.get_id(IdentityPoolId=pool_id, Logins=logins)['IdentityId']
token = ci.get_open_id_token(IdentityId=identity_id, Logins=logins)['Token']
# AssumeRoleWithWebIdentity is unsigned, as on AWS.
from botocore import UNSIGNED
from botocore.config import Config
sts = boto3.client('sts', config=Config(signature_version=UNSIGNED), **kw)
r = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName='classic-app', WebIdentityToken=token, DurationSeconds=900)
c = r['Credentials']
me = boto3.client('sts', aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], **kw).get_caller_identity()
def err(fn):
    try:
        fn()
        return None
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message']]
denied = err(lambda: sts.assume_role_with_web_identity(RoleArn='arn:aws:iam::000000000000:role/someone-else', RoleSessionName='x1', WebIdentityToken=token))
print(json.dumps({'identityId': identity_id, 'subject': r['SubjectFromWebIdentityToken'], 'audience': r['Audience'], 'provider': r['Provider'],
  'assumed': r['AssumedRoleUser'], 'lifetime': (c['Expiration'].timestamp() - __import__('time').time()), 'key': c['AccessKeyId'],
  'me': {k: me[k] for k in ('Arn', 'UserId', 'Account')}, 'denied': denied}))
`;

describe('the classic flow with boto3', needs('boto3'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('get_id, get_open_id_token, sts assume_role_with_web_identity on Tobira, then get_caller_identity with the result', async () => {
    const setup = await userPool(t.url);
    const poolId = await identityPool(identityClient(t.url), setup, { AllowClassicFlow: true }, { authenticated: role('classic-users'), unauthenticated: role('classic-guests') });
    const out = await boto3(CLASSIC_FLOW, [t.url, poolId, provider(setup.userPoolId), setup.tokens.alice, role('classic-users')]);
    assert.equal(out.subject, out.identityId);
    assert.equal(out.audience, poolId);
    assert.equal(out.provider, `${t.url.replace(/^http:\/\//, '')}/cognito-identity`);
    assert.deepEqual(out.assumed.Arn, 'arn:aws:sts::000000000000:assumed-role/classic-users/classic-app');
    assert.match(out.assumed.AssumedRoleId, /^AROA[A-Z2-7]{17}:classic-app$/);
    assert.ok(out.lifetime > 600 && out.lifetime <= 900, String(out.lifetime));
    assert.deepEqual(out.me, { Arn: 'arn:aws:sts::000000000000:assumed-role/classic-users/classic-app', UserId: out.assumed.AssumedRoleId, Account: '000000000000' });
    assert.deepEqual(out.denied, ['AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity']);
    const stored = (await t.app.store.temporaryCredentials.get(out.key))!;
    assert.equal(stored.identityId, out.identityId);
    assert.equal(stored.identityPoolId, poolId);
  });
});

describe('an external STS: a second Tobira', () => {
  // Two Tobiras on one data directory, as two nodes: B verifies A's OpenID tokens with the keys
  // they share (on AWS, IAM fetches them from the issuer's JWKS).
  const dir = mkdtempSync(join(tmpdir(), 'tobira-sts-'));
  let a: Running;
  let b: Running;
  let bOpen = true;
  before(async () => {
    b = await startTestServer({ dataDir: dir, publicUrl: 'http://tobira.test' });
    a = await startTestServer({ dataDir: dir, publicUrl: 'http://tobira.test', stsEndpoint: b.url });
  });
  after(async () => {
    await a.close();
    if (bOpen) await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("GetCredentialsForIdentity answers what the external STS's AssumeRoleWithWebIdentity answers", needs('aws'), async () => {
    const setup = await userPool(a.url);
    const poolId = await identityPool(identityClient(a.url), setup, {}, { authenticated: role('ext-users'), unauthenticated: role('ext-guests') }, rules(setup, 'AuthenticatedRole'));
    await identityClient(a.url).send(new SetPrincipalTagAttributeMapCommand({ IdentityPoolId: poolId, IdentityProviderName: provider(setup.userPoolId), UseDefaults: true }));
    const creds = await credentialsFor(a.url, poolId, { [provider(setup.userPoolId)]: setup.tokens.alice });
    // The principal tags went to B in the token (the store is shared, so B's record shows them).
    assert.deepEqual((await b.app.store.temporaryCredentials.get(creds.accessKeyId))!.principalTags, { client: setup.clientId, username: decodeJwt(setup.tokens.alice).payload.sub });
    // B minted them: they are B's AssumeRoleWithWebIdentity session for the role rules chose.
    const me = await awsWith(b.url, creds, ['sts', 'get-caller-identity']);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(me.json.Arn, 'arn:aws:sts::000000000000:assumed-role/app-admins/CognitoIdentityCredentials');

    // A Token mapping's group role is one the pool hands out, so B accepts it too.
    const tokenPool = await identityPool(identityClient(a.url), setup, {}, { authenticated: role('ext-users') }, {
      [`${provider(setup.userPoolId)}:${setup.clientId}`]: { Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' },
    });
    const carol = await credentialsFor(a.url, tokenPool, { [provider(setup.userPoolId)]: setup.tokens.carol });
    assert.equal((await awsWith(b.url, carol, ['sts', 'get-caller-identity'])).json?.Arn, 'arn:aws:sts::000000000000:assumed-role/app-editors/CognitoIdentityCredentials');

    // A role B does not accept is Cognito's configuration error: here the pool's roles change
    // between A's choice and B's check (B reads the pool from the shared store; a stand-in for a
    // role whose trust policy does not name the pool).
    const guestPool = await identityPool(identityClient(a.url), setup, {}, { unauthenticated: role('ext-guests') });
    const { IdentityId: guestId } = await identityClient(a.url).send(new GetIdCommand({ IdentityPoolId: guestPool }));
    const realGet = b.app.store.identityPools.get.bind(b.app.store.identityPools);
    b.app.store.identityPools.get = async (id: string) => {
      const p = await realGet(id);
      return p && id === guestPool ? { ...p, roles: { unauthenticated: role('someone-else') } } : p;
    };
    try {
      assert.deepEqual(await sdkError(identityClient(a.url).send(new GetCredentialsForIdentityCommand({ IdentityId: guestId }))), {
        name: 'InvalidIdentityPoolConfigurationException',
        message: 'Invalid identity pool configuration. Check assigned IAM roles for this pool.',
      });
    } finally {
      b.app.store.identityPools.get = realGet;
    }

    // Without B, A cannot answer.
    await b.close();
    bOpen = false;
    const ci = identityClient(a.url);
    const logins = { [provider(setup.userPoolId)]: setup.tokens.alice };
    const { IdentityId } = await ci.send(new GetIdCommand({ IdentityPoolId: poolId, Logins: logins }));
    const refused = await sdkError(ci.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins })));
    assert.equal(refused.name, 'ExternalServiceException');
  });
});
