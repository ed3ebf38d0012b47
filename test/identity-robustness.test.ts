import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { identityHandlers } from '../src/api/index.ts';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { createPoolAndClient, createUser, signIn } from './helpers/tokens.ts';
import { bendEach, type Request } from './helpers/fuzz.ts';

/**
 * Every cognito-identity operation, called with a valid request and then bent out of shape one
 * member at a time (helpers/fuzz.ts): never a 5xx, always AWS-style JSON errors, and the server up
 * with its data intact afterwards.
 */
async function identityCall(url: string, operation: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${operation}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

describe('robustness: every cognito-identity operation, bent out of shape', () => {
  let t: Running;
  const base: Request[] = [];
  let identityPoolId = '';

  const ok = async (op: string, body: unknown) => {
    const r = await identityCall(t.url, op, body);
    assert.equal(r.status, 200, `${op}: ${r.text}`);
    return r.json;
  };

  before(async () => {
    t = await startTestServer();
    const up = await createPoolAndClient(idpClient(t.url));
    await createUser(idpClient(t.url), up.poolId, 'ivy');
    const { IdToken } = await signIn(idpClient(t.url), up.clientId, 'ivy');
    const provider = `cognito-idp.us-east-1.amazonaws.com/${up.poolId}`;
    const pool = await ok('CreateIdentityPool', {
      IdentityPoolName: 'robust',
      AllowUnauthenticatedIdentities: true,
      AllowClassicFlow: true,
      DeveloperProviderName: 'login.robust.app',
      CognitoIdentityProviders: [{ ProviderName: provider, ClientId: up.clientId, ServerSideTokenCheck: true }],
    });
    identityPoolId = pool.IdentityPoolId;
    const role = (name: string) => `arn:aws:iam::000000000000:role/${name}`;
    await ok('SetIdentityPoolRoles', { IdentityPoolId: identityPoolId, Roles: { authenticated: role('users'), unauthenticated: role('guests') } });
    const logins = { [provider]: IdToken };
    const { IdentityId } = await ok('GetId', { IdentityPoolId: identityPoolId, Logins: logins });
    const guest = (await ok('GetId', { IdentityPoolId: identityPoolId })).IdentityId;
    const dev = await ok('GetOpenIdTokenForDeveloperIdentity', { IdentityPoolId: identityPoolId, Logins: { 'login.robust.app': 'user-1' } });
    const arn = (await ok('DescribeIdentityPool', { IdentityPoolId: identityPoolId })).IdentityPoolId;
    const P = { IdentityPoolId: identityPoolId };
    base.push(
      ['CreateIdentityPool', { IdentityPoolName: 'other', AllowUnauthenticatedIdentities: false, SupportedLoginProviders: { 'accounts.google.com': 'client' } }],
      ['DescribeIdentityPool', P],
      ['ListIdentityPools', { MaxResults: 10 }],
      ['UpdateIdentityPool', { ...P, IdentityPoolName: 'robust', AllowUnauthenticatedIdentities: true, AllowClassicFlow: true, DeveloperProviderName: 'login.robust.app' }],
      ['GetIdentityPoolRoles', P],
      ['SetIdentityPoolRoles', { ...P, Roles: { authenticated: role('users'), unauthenticated: role('guests') }, RoleMappings: { [`${provider}:${up.clientId}`]: { Type: 'Rules', AmbiguousRoleResolution: 'AuthenticatedRole', RulesConfiguration: { Rules: [{ Claim: 'cognito:groups', MatchType: 'Contains', Value: 'staff', RoleARN: role('staff') }] } } } }],
      ['TagResource', { ResourceArn: `arn:aws:cognito-identity:us-east-1:000000000000:identitypool/${arn}`, Tags: { env: 'test' } }],
      ['ListTagsForResource', { ResourceArn: `arn:aws:cognito-identity:us-east-1:000000000000:identitypool/${arn}` }],
      ['UntagResource', { ResourceArn: `arn:aws:cognito-identity:us-east-1:000000000000:identitypool/${arn}`, TagKeys: ['env'] }],
      ['GetId', { ...P, AccountId: '000000000000', Logins: logins }],
      ['GetOpenIdToken', { IdentityId, Logins: logins }],
      ['GetCredentialsForIdentity', { IdentityId, Logins: logins, CustomRoleArn: role('users') }],
      ['GetOpenIdTokenForDeveloperIdentity', { ...P, Logins: { 'login.robust.app': 'user-2' }, PrincipalTags: { team: 'a' }, TokenDuration: 900 }],
      ['LookupDeveloperIdentity', { ...P, DeveloperUserIdentifier: 'user-1', MaxResults: 5 }],
      ['MergeDeveloperIdentities', { ...P, SourceUserIdentifier: 'user-2', DestinationUserIdentifier: 'user-1', DeveloperProviderName: 'login.robust.app' }],
      ['UnlinkDeveloperIdentity', { ...P, IdentityId: dev.IdentityId, DeveloperProviderName: 'login.robust.app', DeveloperUserIdentifier: 'user-9' }],
      ['SetPrincipalTagAttributeMap', { ...P, IdentityProviderName: provider, UseDefaults: false, PrincipalTags: { user: 'sub' } }],
      ['GetPrincipalTagAttributeMap', { ...P, IdentityProviderName: provider }],
      ['ListIdentities', { ...P, MaxResults: 5, HideDisabled: true }],
      ['DescribeIdentity', { IdentityId }],
      ['UnlinkIdentity', { IdentityId, Logins: logins, LoginsToRemove: ['graph.facebook.com'] }],
      // Destructive ones last.
      ['DeleteIdentities', { IdentityIdsToDelete: [guest] }],
      ['DeleteIdentityPool', { IdentityPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000' }],
    );
  });
  after(() => t.close());

  test('the valid requests cover every cognito-identity operation', () => {
    const covered = new Set(base.map(([op]) => op));
    assert.deepEqual(Object.keys(identityHandlers).filter((op) => !covered.has(op)), []);
  });

  test('no request, however bent, gets a 5xx or a body that is not AWS-style JSON', async () => {
    const failures: string[] = [];
    let sent = 0;
    await bendEach(base, async (op, body, what) => {
      sent++;
      const r = await identityCall(t.url, op, body);
      if (r.status >= 500) failures.push(`${op} ${what}: ${r.status} ${r.text.slice(0, 200)}`);
      else if (r.status !== 200 && (typeof r.json?.__type !== 'string' || typeof r.json?.message !== 'string')) {
        failures.push(`${op} ${what}: ${r.status} without __type/message: ${r.text.slice(0, 200)}`);
      }
    });
    assert.ok(sent > 500, `only ${sent} requests sent`);
    assert.deepEqual(failures, []);
    assert.equal((await fetch(`${t.url}/health`)).status, 200);
    assert.equal((await ok('DescribeIdentityPool', { IdentityPoolId: identityPoolId })).IdentityPoolName, 'robust');
  });
});
