import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateIdentityProviderCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteIdentityProviderCommand,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  GetIdentityProviderByIdentifierCommand,
  ListIdentityProvidersCommand,
  UpdateIdentityProviderCommand,
  UpdateUserPoolClientCommand,
  UpdateUserPoolDomainCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';

const OIDC = { client_id: 'c', attributes_request_method: 'GET', oidc_issuer: 'https://idp.example.com', authorize_scopes: 'openid' };

describe('identity providers and domains (seed 003)', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  const newPool = async (name: string) => (await sdk.send(new CreateUserPoolCommand({ PoolName: name }))).UserPool!.Id!;

  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
  });
  after(() => t.close());

  test("seed 003's commands: Google provider, a client that supports it, the hosted UI domain", needs('aws'), async () => {
    const pool = await newPool('app-users-prod');
    // Before Google exists the client is refused, in Cognito's words.
    const early = await aws(t.url, ['cognito-idp', 'create-user-pool-client', '--user-pool-id', pool, '--client-name', 'web-app', '--supported-identity-providers', 'COGNITO', 'Google']);
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, new RegExp(`InvalidParameterException.*The provider Google does not exist for User Pool ${pool}`));

    const idp = await aws(t.url, [
      'cognito-idp', 'create-identity-provider',
      '--user-pool-id', pool,
      '--provider-name', 'Google',
      '--provider-type', 'Google',
      '--provider-details', '{"client_id": "your-google-client-id.apps.googleusercontent.com", "client_secret": "your-google-secret", "authorize_scopes": "openid email profile"}',
      '--attribute-mapping', '{"email": "email", "name": "name", "username": "sub"}',
    ]);
    assert.equal(idp.code, 0, idp.stderr);
    const p = idp.json.IdentityProvider;
    assert.equal(p.UserPoolId, pool);
    assert.equal(p.ProviderName, 'Google');
    assert.equal(p.ProviderType, 'Google');
    assert.deepEqual(p.AttributeMapping, { email: 'email', name: 'name', username: 'sub' });
    assert.equal(p.ProviderDetails.client_id, 'your-google-client-id.apps.googleusercontent.com');
    assert.equal(p.ProviderDetails.authorize_scopes, 'openid email profile');
    assert.equal(p.ProviderDetails.oidc_issuer, 'https://accounts.google.com');
    assert.equal(p.ProviderDetails.authorize_url, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(p.ProviderDetails.token_request_method, 'POST');
    assert.deepEqual(p.IdpIdentifiers, []);
    assert.ok(!Number.isNaN(Date.parse(p.CreationDate)));

    const client = await aws(t.url, [
      'cognito-idp', 'create-user-pool-client',
      '--user-pool-id', pool,
      '--client-name', 'web-app',
      '--no-generate-secret',
      '--explicit-auth-flows', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH',
      '--supported-identity-providers', 'COGNITO', 'Google',
      '--callback-urls', '["https://app.example.com/callback","http://localhost:3000/callback"]',
      '--logout-urls', '["https://app.example.com/logout"]',
      '--allowed-o-auth-flows', 'code',
      '--allowed-o-auth-scopes', 'openid', 'email', 'profile',
      '--allowed-o-auth-flows-user-pool-client',
    ]);
    assert.equal(client.code, 0, client.stderr);
    assert.deepEqual(client.json.UserPoolClient.SupportedIdentityProviders, ['COGNITO', 'Google']);

    const domain = await aws(t.url, ['cognito-idp', 'create-user-pool-domain', '--user-pool-id', pool, '--domain', 'my-app-auth']);
    assert.equal(domain.code, 0, domain.stderr);
    const described = await aws(t.url, ['cognito-idp', 'describe-user-pool-domain', '--domain', 'my-app-auth']);
    assert.equal(described.json.DomainDescription.UserPoolId, pool);
    assert.equal(described.json.DomainDescription.Domain, 'my-app-auth');
    assert.equal(described.json.DomainDescription.Status, 'ACTIVE');
    const poolNow = await aws(t.url, ['cognito-idp', 'describe-user-pool', '--user-pool-id', pool]);
    assert.equal(poolNow.json.UserPool.Domain, 'my-app-auth');
  });

  test('provider rules: duplicates, names, required details, not found', async () => {
    const pool = await newPool('rules');
    const create = (input: Record<string, unknown>) =>
      sdk.send(new CreateIdentityProviderCommand({ UserPoolId: pool, ProviderName: 'Google', ProviderType: 'Google', ProviderDetails: { client_id: 'a', client_secret: 'b', authorize_scopes: 'openid' }, ...input }));
    await create({});
    assert.deepEqual(await sdkError(create({})), { name: 'DuplicateProviderException', message: `Google already exists in user pool ${pool}` });
    assert.deepEqual(await sdkError(create({ ProviderName: 'MyGoogle' })), { name: 'InvalidParameterException', message: 'Provider MyGoogle cannot be of type Google.' });
    assert.deepEqual(await sdkError(create({ ProviderName: 'Facebook', ProviderType: 'Facebook', ProviderDetails: { client_id: 'a' } })), {
      name: 'InvalidParameterException',
      message: 'client_id, client_secret and authorize_scopes are all required idp details.',
    });
    assert.equal((await sdkError(create({ ProviderName: 'COGNITO', ProviderType: 'OIDC', ProviderDetails: OIDC }))).name, 'InvalidParameterException');
    assert.equal((await sdkError(create({ ProviderName: 'corp', ProviderType: 'OIDC', ProviderDetails: { client_id: 'c' } }))).name, 'InvalidParameterException');
    // Cognito's words (hashicorp/terraform-provider-aws#4815).
    assert.deepEqual(await sdkError(create({ ProviderName: 'saml', ProviderType: 'SAML', ProviderDetails: {} })), {
      name: 'InvalidParameterException',
      message: 'At least one of the MetadataURL or MetadataFile should be provided.',
    });
    // Facebook's URLs carry the API version; username maps to Facebook's id.
    const fb = (await create({ ProviderName: 'Facebook', ProviderType: 'Facebook', ProviderDetails: { client_id: 'a', client_secret: 'b', authorize_scopes: 'email', api_version: 'v17.0' } })).IdentityProvider!;
    assert.equal(fb.ProviderDetails!.authorize_url, 'https://www.facebook.com/v17.0/dialog/oauth');
    assert.deepEqual(fb.AttributeMapping, { username: 'id' });
    // OIDC and SAML get what was given, nothing added.
    const oidc = (await create({ ProviderName: 'corp', ProviderType: 'OIDC', ProviderDetails: OIDC, AttributeMapping: { email: 'email' }, IdpIdentifiers: ['corp.example'] })).IdentityProvider!;
    assert.deepEqual(oidc.ProviderDetails, OIDC);
    assert.deepEqual(oidc.AttributeMapping, { email: 'email' });
    const saml = (await create({ ProviderName: 'okta', ProviderType: 'SAML', ProviderDetails: { MetadataURL: 'https://okta.example/metadata' } })).IdentityProvider!;
    assert.equal(saml.ProviderType, 'SAML');
    assert.equal((await sdkError(create({ ProviderName: 'okta2', ProviderType: 'SAML', ProviderDetails: { MetadataURL: 'https://x.example/m' }, IdpIdentifiers: ['corp.example'] }))).name, 'InvalidParameterException');

    const byId = await sdk.send(new GetIdentityProviderByIdentifierCommand({ UserPoolId: pool, IdpIdentifier: 'corp.example' }));
    assert.equal(byId.IdentityProvider!.ProviderName, 'corp');
    assert.equal((await sdkError(sdk.send(new GetIdentityProviderByIdentifierCommand({ UserPoolId: pool, IdpIdentifier: 'nope' })))).name, 'ResourceNotFoundException');
    assert.equal((await sdkError(sdk.send(new DescribeIdentityProviderCommand({ UserPoolId: pool, ProviderName: 'nope' })))).name, 'ResourceNotFoundException');
    assert.deepEqual(await sdkError(sdk.send(new DescribeIdentityProviderCommand({ UserPoolId: 'us-east-1_NoSuchPoo', ProviderName: 'Google' }))), {
      name: 'ResourceNotFoundException',
      message: 'User pool us-east-1_NoSuchPoo does not exist.',
    });
  });

  test('update, list with paging, delete; pool deletion takes the providers', async () => {
    const pool = await newPool('crud');
    for (const name of ['idp1', 'idp2', 'idp3', 'idp4', 'idp5']) {
      await sdk.send(new CreateIdentityProviderCommand({ UserPoolId: pool, ProviderName: name, ProviderType: 'OIDC', ProviderDetails: OIDC }));
    }
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await sdk.send(new ListIdentityProvidersCommand({ UserPoolId: pool, MaxResults: 2, NextToken: token }));
      assert.ok(r.Providers!.length <= 2);
      for (const p of r.Providers!) {
        assert.deepEqual(Object.keys(p).sort(), ['CreationDate', 'LastModifiedDate', 'ProviderName', 'ProviderType']);
        seen.push(p.ProviderName!);
      }
      token = r.NextToken;
    } while (token);
    assert.deepEqual(seen, ['idp1', 'idp2', 'idp3', 'idp4', 'idp5']);

    const updated = (await sdk.send(new UpdateIdentityProviderCommand({ UserPoolId: pool, ProviderName: 'idp1', AttributeMapping: { email: 'mail' }, IdpIdentifiers: ['a.example'] }))).IdentityProvider!;
    assert.deepEqual(updated.AttributeMapping, { email: 'mail' });
    assert.deepEqual(updated.ProviderDetails, OIDC);
    assert.deepEqual(updated.IdpIdentifiers, ['a.example']);
    assert.equal((await sdkError(sdk.send(new UpdateIdentityProviderCommand({ UserPoolId: pool, ProviderName: 'idp1', ProviderDetails: { client_id: 'x' } })))).name, 'InvalidParameterException');

    // A client listing a provider; deleting the provider then makes the same settings refused.
    const client = (await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: 'c', SupportedIdentityProviders: ['idp2'] }))).UserPoolClient!;
    await sdk.send(new DeleteIdentityProviderCommand({ UserPoolId: pool, ProviderName: 'idp2' }));
    assert.equal((await sdkError(sdk.send(new DeleteIdentityProviderCommand({ UserPoolId: pool, ProviderName: 'idp2' })))).name, 'ResourceNotFoundException');
    assert.equal(
      (await sdkError(sdk.send(new UpdateUserPoolClientCommand({ UserPoolId: pool, ClientId: client.ClientId!, SupportedIdentityProviders: ['idp2'] })))).message,
      `The provider idp2 does not exist for User Pool ${pool}`,
    );

    await sdk.send(new DeleteUserPoolCommand({ UserPoolId: pool }));
    assert.equal(await t.app.store.identityProviders.count(pool), 0);
  });

  test('domains: unique per region, one prefix domain per pool, describe, update, delete', async () => {
    const a = await newPool('dom-a');
    const b = await newPool('dom-b');
    const created = await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: a, Domain: 'shared-name' }));
    assert.equal(created.CloudFrontDomain, undefined);
    assert.deepEqual(await sdkError(sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: b, Domain: 'shared-name' }))), {
      name: 'InvalidParameterException',
      message: 'Domain already associated with another user pool.',
    });
    // Cognito's words for a second prefix domain (aws/aws-cdk#10062).
    assert.deepEqual(await sdkError(sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: a, Domain: 'second-name' }))), {
      name: 'InvalidParameterException',
      message: 'User pool already has a domain configured.',
    });
    // Another region is another namespace.
    const west = idpClient(t.url, 'us-west-2');
    const c = (await west.send(new CreateUserPoolCommand({ PoolName: 'dom-c' }))).UserPool!.Id!;
    await west.send(new CreateUserPoolDomainCommand({ UserPoolId: c, Domain: 'shared-name' }));

    assert.deepEqual((await sdk.send(new DescribeUserPoolDomainCommand({ Domain: 'no-such-domain' }))).DomainDescription, {});
    const d = (await sdk.send(new DescribeUserPoolDomainCommand({ Domain: 'shared-name' }))).DomainDescription!;
    assert.equal(d.UserPoolId, a);
    assert.equal(d.AWSAccountId, t.app.config.accountId);
    assert.equal(d.ManagedLoginVersion, 1);

    // A custom domain beside the prefix one, with its certificate stored.
    const cert = 'arn:aws:acm:us-east-1:000000000000:certificate/abc';
    const custom = await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: a, Domain: 'auth.example.com', CustomDomainConfig: { CertificateArn: cert } }));
    assert.match(custom.CloudFrontDomain!, /^d[0-9a-f]{13}\.cloudfront\.net$/);
    // A dotted name is a custom domain: without its certificate it is refused.
    const bare = await sdkError(sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: b, Domain: 'login.example.org' })));
    assert.equal(bare.name, 'InvalidParameterException');
    assert.match(bare.message, /custom domain: give CustomDomainConfig/);
    assert.equal((await sdkError(sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: b, Domain: 'bad..name' })))).name, 'InvalidParameterException');
    const pool = (await sdk.send(new DescribeUserPoolCommand({ UserPoolId: a }))).UserPool!;
    assert.equal(pool.Domain, 'shared-name');
    assert.equal(pool.CustomDomain, 'auth.example.com');
    const cert2 = 'arn:aws:acm:us-east-1:000000000000:certificate/def';
    await sdk.send(new UpdateUserPoolDomainCommand({ UserPoolId: a, Domain: 'auth.example.com', CustomDomainConfig: { CertificateArn: cert2 } }));
    assert.deepEqual((await sdk.send(new DescribeUserPoolDomainCommand({ Domain: 'auth.example.com' }))).DomainDescription!.CustomDomainConfig, { CertificateArn: cert2 });
    await sdk.send(new UpdateUserPoolDomainCommand({ UserPoolId: a, Domain: 'shared-name', ManagedLoginVersion: 2 }));
    assert.equal((await sdk.send(new DescribeUserPoolDomainCommand({ Domain: 'shared-name' }))).DomainDescription!.ManagedLoginVersion, 2);

    const noSuch = { name: 'InvalidParameterException', message: 'No such domain or user pool exists.' };
    assert.deepEqual(await sdkError(sdk.send(new DeleteUserPoolDomainCommand({ UserPoolId: b, Domain: 'shared-name' }))), noSuch);
    assert.deepEqual(await sdkError(sdk.send(new UpdateUserPoolDomainCommand({ UserPoolId: b, Domain: 'shared-name', ManagedLoginVersion: 2 }))), noSuch);

    // Cognito refuses to delete a pool that still has a domain.
    assert.deepEqual(await sdkError(sdk.send(new DeleteUserPoolCommand({ UserPoolId: a }))), {
      name: 'InvalidParameterException',
      message: 'User pool cannot be deleted. It has a domain configured that should be deleted first.',
    });
    await sdk.send(new DeleteUserPoolDomainCommand({ UserPoolId: a, Domain: 'shared-name' }));
    await sdk.send(new DeleteUserPoolDomainCommand({ UserPoolId: a, Domain: 'auth.example.com' }));
    await sdk.send(new DeleteUserPoolCommand({ UserPoolId: a }));
    // The name is free again.
    await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: b, Domain: 'shared-name' }));
  });
});
