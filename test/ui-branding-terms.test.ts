import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateManagedLoginBrandingCommand,
  CreateTermsCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteManagedLoginBrandingCommand,
  DeleteTermsCommand,
  DeleteUserPoolClientCommand,
  DescribeManagedLoginBrandingByClientCommand,
  DescribeManagedLoginBrandingCommand,
  DescribeTermsCommand,
  GetUICustomizationCommand,
  ListTermsCommand,
  SetUICustomizationCommand,
  UpdateManagedLoginBrandingCommand,
  UpdateTermsCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { PYTHON, needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';
import { effectiveUICustomization } from '../src/domain/pools/ui-customization.ts';
import { managedLoginBrandingForClient } from '../src/domain/pools/managed-login-branding.ts';
import { termsLinksForClient } from '../src/domain/pools/terms.ts';

/** A 1x1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);

describe('UI customization, managed login branding and terms', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  let n = 0;

  /** A pool with a client; with a domain unless told not to. */
  async function setup(opts: { domain?: boolean } = {}) {
    const pool = (await sdk.send(new CreateUserPoolCommand({ PoolName: `ui-${++n}` }))).UserPool!.Id!;
    const client = (await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: 'web' }))).UserPoolClient!.ClientId!;
    if (opts.domain !== false) await sdk.send(new CreateUserPoolDomainCommand({ UserPoolId: pool, Domain: `ui-test-${n}` }));
    return { pool, client };
  }

  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
  });
  after(() => t.close());

  describe('SetUICustomization / GetUICustomization', () => {
    test('pool-wide (ALL) and per client, with CSS and a logo; the client falls back to ALL', async () => {
      const { pool, client } = await setup();
      const css = '.label-customizable { font-weight: 400; }\n.submitButton-customizable:hover, .banner-customizable { background-color: #336699; }';
      const set = await sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, ClientId: 'ALL', CSS: css, ImageFile: PNG }));
      const ui = set.UICustomization!;
      assert.equal(ui.UserPoolId, pool);
      assert.equal(ui.ClientId, 'ALL');
      assert.equal(ui.CSS, css);
      assert.match(ui.CSSVersion!, /^\d{14}$/);
      assert.ok(ui.CreationDate instanceof Date && ui.LastModifiedDate instanceof Date);
      assert.ok(ui.ImageUrl!.startsWith(t.url));

      // The ImageUrl serves the logo's bytes.
      const logo = await fetch(ui.ImageUrl!);
      assert.equal(logo.status, 200);
      assert.equal(logo.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await logo.arrayBuffer()), PNG);

      // The client has none of its own: it gets the pool's.
      const fallback = (await sdk.send(new GetUICustomizationCommand({ UserPoolId: pool, ClientId: client }))).UICustomization!;
      assert.equal(fallback.CSS, css);
      assert.equal(fallback.ClientId, 'ALL');
      const shown = await effectiveUICustomization(t.app.store, pool, client);
      assert.equal(shown!.css, css);
      assert.deepEqual(shown!.logo, { bytes: PNG, contentType: 'image/png' });

      // Its own replaces it, and ALL stays for others.
      const own = await sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, ClientId: client, CSS: '.logo-customizable { max-width: 60%; }', ImageFile: JPEG }));
      assert.equal(own.UICustomization!.ClientId, client);
      const got = (await sdk.send(new GetUICustomizationCommand({ UserPoolId: pool, ClientId: client }))).UICustomization!;
      assert.equal(got.CSS, '.logo-customizable { max-width: 60%; }');
      assert.equal((await fetch(got.ImageUrl!)).headers.get('content-type'), 'image/jpeg');
      assert.equal((await sdk.send(new GetUICustomizationCommand({ UserPoolId: pool }))).UICustomization!.CSS, css);

      // Set replaces CSS and logo together: CSS alone drops the logo.
      const cssOnly = await sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, ClientId: client, CSS: '.label-customizable { color: red; }' }));
      assert.equal(cssOnly.UICustomization!.ImageUrl, undefined);
      assert.equal(cssOnly.UICustomization!.CreationDate!.getTime(), own.UICustomization!.CreationDate!.getTime());
      assert.equal((await effectiveUICustomization(t.app.store, pool, client))!.logo, null);

      // A deleted client's customization goes with it.
      await sdk.send(new DeleteUserPoolClientCommand({ UserPoolId: pool, ClientId: client }));
      assert.equal(await t.app.store.uiCustomizations.get(pool, client), undefined);
    });

    test('nothing set: only the pool and client are answered', async () => {
      const { pool, client } = await setup();
      assert.deepEqual((await sdk.send(new GetUICustomizationCommand({ UserPoolId: pool, ClientId: client }))).UICustomization, { UserPoolId: pool, ClientId: client });
      assert.equal(await effectiveUICustomization(t.app.store, pool, client), null);
    });

    test("refusals: no domain, unknown pool or client, CSS outside Cognito's classes, a logo that is not PNG or JPEG", async () => {
      const bare = await setup({ domain: false });
      assert.deepEqual(await sdkError(sdk.send(new SetUICustomizationCommand({ UserPoolId: bare.pool, CSS: '.label-customizable { color: red; }' }))), {
        name: 'InvalidParameterException',
        message: 'A domain must be associated with this user pool.',
      });
      const { pool } = await setup();
      assert.deepEqual(await sdkError(sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, ClientId: 'nosuchclient00000000000000' }))), {
        name: 'ResourceNotFoundException',
        message: 'User pool client nosuchclient00000000000000 does not exist.',
      });
      assert.equal((await sdkError(sdk.send(new GetUICustomizationCommand({ UserPoolId: 'us-east-1_NoSuchPoo' })))).name, 'ResourceNotFoundException');
      for (const css of [
        'body { color: red; }',
        '.notAClass-customizable { color: red; }',
        '.label-customizable { color: red; } @media print { .label-customizable { color: blue; } }',
        '@import url(https://evil.example/x.css);',
        '.label-customizable { background: url(javascript:alert(1)); }',
        '.label-customizable { color: red; } </style><script>alert(1)</script>',
        '.label-customizable { color: red;',
        '.label-customizable, div { color: red; }',
      ]) {
        const e = await sdkError(sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, CSS: css })));
        assert.equal(e.name, 'InvalidParameterException', css);
      }
      // Comments are fine; CSS at the model's 131072 characters is checked at once, whatever its shape.
      await sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, CSS: '/* brand */ .label-customizable { color: red; /* why */ }' }));
      for (const css of ['a'.repeat(131072), '/*a'.repeat(43690), '.label-customizable{' + 'a'.repeat(131000)]) {
        const started = Date.now();
        assert.equal((await sdkError(sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, CSS: css })))).name, 'InvalidParameterException');
        assert.ok(Date.now() - started < 2000, `${css.slice(0, 10)}... took ${Date.now() - started} ms`);
      }
      const gif = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
      assert.equal((await sdkError(sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, ImageFile: gif })))).name, 'InvalidParameterException');
      // Not base64 on the wire.
      const raw = await rawCall(t.url, 'SetUICustomization', { UserPoolId: pool, ImageFile: '***' });
      assert.equal(raw.status, 400);
      assert.equal(raw.json.__type, 'InvalidParameterException');
      // The logo limit counts bytes, not base64 text: 100 KB passes, one byte over 131072 does not.
      const big = Buffer.concat([PNG, Buffer.alloc(100 * 1024 - PNG.length)]);
      const ok = await sdk.send(new SetUICustomizationCommand({ UserPoolId: pool, ImageFile: big }));
      assert.deepEqual(Buffer.from(await (await fetch(ok.UICustomization!.ImageUrl!)).arrayBuffer()), big);
      const huge = await rawCall(t.url, 'SetUICustomization', { UserPoolId: pool, ImageFile: Buffer.concat([PNG, Buffer.alloc(131073 - PNG.length)]).toString('base64') });
      assert.equal(huge.json.__type, 'InvalidParameterException');
      assert.match(huge.json.message, /imageFile.*131072/i);
      // An unknown logo path is a 404.
      assert.equal((await fetch(`${t.url}/_tobira/ui-assets/${pool}/nosuchclient/1/logo`)).status, 404);
    });

    test('the AWS CLI: set-ui-customization with --image-file fileb:// and get-ui-customization', needs('aws'), async () => {
      const { pool, client } = await setup();
      const dir = mkdtempSync(join(tmpdir(), 'tobira-ui-'));
      writeFileSync(join(dir, 'logo.png'), PNG);
      const set = await aws(t.url, [
        'cognito-idp', 'set-ui-customization', '--user-pool-id', pool, '--client-id', client,
        '--css', '.label-customizable{ color: #123456;}', '--image-file', `fileb://${join(dir, 'logo.png')}`,
      ]);
      assert.equal(set.code, 0, set.stderr);
      assert.equal(set.json.UICustomization.CSS, '.label-customizable{ color: #123456;}');
      const get = await aws(t.url, ['cognito-idp', 'get-ui-customization', '--user-pool-id', pool, '--client-id', client]);
      assert.equal(get.code, 0, get.stderr);
      assert.deepEqual(Buffer.from(await (await fetch(get.json.UICustomization.ImageUrl)).arrayBuffer()), PNG);
      const bad = await aws(t.url, ['cognito-idp', 'set-ui-customization', '--user-pool-id', pool, '--css', 'h1 { color: red; }']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /InvalidParameterException/);
    });
  });

  describe('managed login branding', () => {
    test('create, describe (merged or not), by client, update, delete', async () => {
      const { pool, client } = await setup();
      const settings = { components: { primaryButton: { lightMode: { defaults: { backgroundColor: 'ff9900ff' } } } } };
      const created = (
        await sdk.send(
          new CreateManagedLoginBrandingCommand({
            UserPoolId: pool,
            ClientId: client,
            Settings: settings,
            Assets: [{ Category: 'FORM_LOGO', ColorMode: 'LIGHT', Extension: 'PNG', Bytes: PNG }],
          }),
        )
      ).ManagedLoginBranding!;
      assert.match(created.ManagedLoginBrandingId!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(created.UserPoolId, pool);
      assert.equal(created.UseCognitoProvidedValues, false);
      assert.deepEqual(created.Settings, settings);
      assert.equal(created.Assets!.length, 1);
      assert.deepEqual(Buffer.from(created.Assets![0].Bytes!), PNG);
      const id = created.ManagedLoginBrandingId!;

      const plain = (await sdk.send(new DescribeManagedLoginBrandingCommand({ UserPoolId: pool, ManagedLoginBrandingId: id }))).ManagedLoginBranding!;
      assert.deepEqual(plain.Settings, settings);
      const mergedDoc = (await sdk.send(new DescribeManagedLoginBrandingCommand({ UserPoolId: pool, ManagedLoginBrandingId: id, ReturnMergedResources: true })))
        .ManagedLoginBranding!.Settings as any;
      assert.equal(mergedDoc.components.primaryButton.lightMode.defaults.backgroundColor, 'ff9900ff');
      assert.ok(mergedDoc.components.pageBackground, 'defaults fill in what was not customized');
      const byClient = (await sdk.send(new DescribeManagedLoginBrandingByClientCommand({ UserPoolId: pool, ClientId: client }))).ManagedLoginBranding!;
      assert.equal(byClient.ManagedLoginBrandingId, id);

      // What the hosted UI renders.
      const look = await managedLoginBrandingForClient(t.app.store, client);
      assert.equal(look!.colours.primaryButton, '#ff9900ff');
      assert.deepEqual(look!.logo, { bytes: PNG, contentType: 'image/png' });

      // One style per client.
      const twice = await sdkError(sdk.send(new CreateManagedLoginBrandingCommand({ UserPoolId: pool, ClientId: client, UseCognitoProvidedValues: true })));
      assert.equal(twice.name, 'ManagedLoginBrandingExistsException');

      // Settings replace; UseCognitoProvidedValues returns to the defaults.
      const updated = (
        await sdk.send(new UpdateManagedLoginBrandingCommand({ UserPoolId: pool, ManagedLoginBrandingId: id, Settings: { categories: { global: { colorSchemeMode: 'DARK' } } } }))
      ).ManagedLoginBranding!;
      assert.deepEqual(updated.Settings, { categories: { global: { colorSchemeMode: 'DARK' } } });
      assert.equal(updated.Assets!.length, 1);
      const reset = (await sdk.send(new UpdateManagedLoginBrandingCommand({ UserPoolId: pool, ManagedLoginBrandingId: id, UseCognitoProvidedValues: true })))
        .ManagedLoginBranding!;
      assert.equal(reset.UseCognitoProvidedValues, true);
      assert.deepEqual(reset.Settings, {});
      assert.deepEqual(reset.Assets, []);

      await sdk.send(new DeleteManagedLoginBrandingCommand({ UserPoolId: pool, ManagedLoginBrandingId: id }));
      assert.equal((await sdkError(sdk.send(new DescribeManagedLoginBrandingCommand({ UserPoolId: pool, ManagedLoginBrandingId: id })))).name, 'ResourceNotFoundException');
      assert.equal((await sdkError(sdk.send(new DescribeManagedLoginBrandingByClientCommand({ UserPoolId: pool, ClientId: client })))).name, 'ResourceNotFoundException');
      assert.equal(await managedLoginBrandingForClient(t.app.store, client), null);
      // The client may have a new one.
      await sdk.send(new CreateManagedLoginBrandingCommand({ UserPoolId: pool, ClientId: client, UseCognitoProvidedValues: true }));
    });

    test('refusals', async () => {
      const { pool, client } = await setup();
      const noId = '00000000-0000-4000-8000-000000000000';
      assert.equal((await sdkError(sdk.send(new CreateManagedLoginBrandingCommand({ UserPoolId: pool, ClientId: 'nosuchclient00000000000000' })))).name, 'ResourceNotFoundException');
      assert.equal(
        (await sdkError(sdk.send(new CreateManagedLoginBrandingCommand({ UserPoolId: pool, ClientId: client, UseCognitoProvidedValues: true, Settings: {} })))).name,
        'InvalidParameterException',
      );
      const dupAssets = [
        { Category: 'FORM_LOGO' as const, ColorMode: 'LIGHT' as const, Extension: 'PNG' as const, Bytes: PNG },
        { Category: 'FORM_LOGO' as const, ColorMode: 'LIGHT' as const, Extension: 'PNG' as const, Bytes: PNG },
      ];
      assert.equal((await sdkError(sdk.send(new CreateManagedLoginBrandingCommand({ UserPoolId: pool, ClientId: client, Assets: dupAssets })))).name, 'InvalidParameterException');
      assert.equal(
        (await sdkError(sdk.send(new DeleteManagedLoginBrandingCommand({ UserPoolId: pool, ManagedLoginBrandingId: noId })))).name,
        'ResourceNotFoundException',
      );
      assert.equal((await sdkError(sdk.send(new UpdateManagedLoginBrandingCommand({ UserPoolId: pool })))).name, 'InvalidParameterException');
      // The model: ids are UUIDs, Settings a document (an object), categories from its enum.
      assert.equal((await rawCall(t.url, 'DescribeManagedLoginBranding', { UserPoolId: pool, ManagedLoginBrandingId: 'x' })).json.__type, 'InvalidParameterException');
      const badSettings = await rawCall(t.url, 'CreateManagedLoginBranding', { UserPoolId: pool, ClientId: client, Settings: 'red' });
      assert.equal(badSettings.status, 400);
      const badCategory = await rawCall(t.url, 'CreateManagedLoginBranding', { UserPoolId: pool, ClientId: client, Assets: [{ Category: 'NOPE', ColorMode: 'LIGHT', Extension: 'PNG', Bytes: 'AA==' }] });
      assert.equal(badCategory.json.__type, 'InvalidParameterException');
    });

    test('concurrent creates for one client: one wins, the others get ManagedLoginBrandingExistsException', async () => {
      const { pool, client } = await setup();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => rawCall(t.url, 'CreateManagedLoginBranding', { UserPoolId: pool, ClientId: client, UseCognitoProvidedValues: true })),
      );
      assert.equal(results.filter((r) => r.status === 200).length, 1);
      for (const r of results.filter((r) => r.status !== 200)) assert.equal(r.json.__type, 'ManagedLoginBrandingExistsException');
    });
  });

  describe('terms', () => {
    test('create, describe, list, update and delete; the links the hosted UI shows', async () => {
      const { pool, client } = await setup();
      const made = (
        await sdk.send(
          new CreateTermsCommand({
            UserPoolId: pool,
            ClientId: client,
            TermsName: 'terms-of-use',
            TermsSource: 'LINK',
            Enforcement: 'NONE',
            Links: { 'cognito:default': 'https://example.com/terms', 'cognito:spanish': 'https://example.com/es/terms' },
          }),
        )
      ).Terms!;
      assert.match(made.TermsId!, /^[0-9a-f-]{36}$/);
      assert.equal(made.UserPoolId, pool);
      assert.equal(made.ClientId, client);
      assert.equal(made.TermsName, 'terms-of-use');
      assert.equal(made.TermsSource, 'LINK');
      assert.equal(made.Enforcement, 'NONE');
      assert.deepEqual(made.Links, { 'cognito:default': 'https://example.com/terms', 'cognito:spanish': 'https://example.com/es/terms' });
      const privacy = (
        await sdk.send(
          new CreateTermsCommand({ UserPoolId: pool, ClientId: client, TermsName: 'privacy-policy', TermsSource: 'LINK', Enforcement: 'NONE', Links: { 'cognito:default': 'https://example.com/privacy' } }),
        )
      ).Terms!;

      assert.deepEqual((await sdk.send(new DescribeTermsCommand({ UserPoolId: pool, TermsId: made.TermsId! }))).Terms, made);
      const listed = await sdk.send(new ListTermsCommand({ UserPoolId: pool, MaxResults: 1 }));
      assert.equal(listed.Terms!.length, 1);
      const rest = await sdk.send(new ListTermsCommand({ UserPoolId: pool, MaxResults: 1, NextToken: listed.NextToken }));
      assert.deepEqual(new Set([...listed.Terms!, ...rest.Terms!].map((x) => x.TermsName)), new Set(['terms-of-use', 'privacy-policy']));
      assert.deepEqual(Object.keys(listed.Terms![0]).sort(), ['CreationDate', 'Enforcement', 'LastModifiedDate', 'TermsId', 'TermsName']);

      assert.deepEqual(await termsLinksForClient(t.app.store, client), { 'privacy-policy': 'https://example.com/privacy', 'terms-of-use': 'https://example.com/terms' });
      assert.equal((await termsLinksForClient(t.app.store, client, 'spanish'))['terms-of-use'], 'https://example.com/es/terms');

      // One of each name per client: renaming onto the other is refused.
      const again = await sdkError(
        sdk.send(new CreateTermsCommand({ UserPoolId: pool, ClientId: client, TermsName: 'terms-of-use', TermsSource: 'LINK', Enforcement: 'NONE', Links: { 'cognito:default': 'https://e.example' } })),
      );
      assert.equal(again.name, 'TermsExistsException');
      assert.equal((await sdkError(sdk.send(new UpdateTermsCommand({ UserPoolId: pool, TermsId: privacy.TermsId!, TermsName: 'terms-of-use' })))).name, 'TermsExistsException');

      const updated = (await sdk.send(new UpdateTermsCommand({ UserPoolId: pool, TermsId: made.TermsId!, Links: { 'cognito:default': 'https://example.com/v2/terms' } }))).Terms!;
      assert.deepEqual(updated.Links, { 'cognito:default': 'https://example.com/v2/terms' });
      assert.equal(updated.TermsName, 'terms-of-use');

      await sdk.send(new DeleteTermsCommand({ UserPoolId: pool, TermsId: made.TermsId! }));
      assert.equal((await sdkError(sdk.send(new DescribeTermsCommand({ UserPoolId: pool, TermsId: made.TermsId! })))).name, 'ResourceNotFoundException');
      assert.deepEqual(await termsLinksForClient(t.app.store, client), { 'privacy-policy': 'https://example.com/privacy' });

      // Terms go with their client.
      await sdk.send(new DeleteUserPoolClientCommand({ UserPoolId: pool, ClientId: client }));
      assert.deepEqual((await sdk.send(new ListTermsCommand({ UserPoolId: pool }))).Terms, []);
    });

    test('refusals', async () => {
      const { pool, client } = await setup();
      const base = { UserPoolId: pool, ClientId: client, TermsName: 'terms-of-use', TermsSource: 'LINK' as const, Enforcement: 'NONE' as const };
      assert.equal((await sdkError(sdk.send(new CreateTermsCommand({ ...base, ClientId: 'nosuchclient00000000000000', Links: { 'cognito:default': 'https://e.example' } })))).name, 'ResourceNotFoundException');
      assert.equal((await sdkError(sdk.send(new CreateTermsCommand(base)))).name, 'InvalidParameterException');
      assert.equal((await sdkError(sdk.send(new CreateTermsCommand({ ...base, Links: { 'cognito:default': 'javascript:alert(1)' } })))).name, 'InvalidParameterException');
      assert.equal((await sdkError(sdk.send(new CreateTermsCommand({ ...base, Links: { 'cognito:default': 'http://example.com/terms' } })))).name, 'InvalidParameterException');
      // The model: names, sources, enforcement and language keys from its lists.
      for (const bad of [{ TermsName: 'cookies' }, { TermsSource: 'FILE' }, { Enforcement: 'REQUIRED' }, { Links: { 'en-US': 'https://e.example' } }]) {
        const r = await rawCall(t.url, 'CreateTerms', { ...base, Links: { 'cognito:default': 'https://e.example' }, ...bad });
        assert.equal(r.json.__type, 'InvalidParameterException', JSON.stringify(bad));
      }
      assert.equal((await sdkError(sdk.send(new DescribeTermsCommand({ UserPoolId: pool, TermsId: '00000000-0000-4000-8000-000000000000' })))).name, 'ResourceNotFoundException');
      assert.equal((await sdkError(sdk.send(new DeleteTermsCommand({ UserPoolId: pool, TermsId: '00000000-0000-4000-8000-000000000000' })))).name, 'ResourceNotFoundException');
      assert.equal((await sdkError(sdk.send(new ListTermsCommand({ UserPoolId: 'us-east-1_NoSuchPoo' })))).name, 'ResourceNotFoundException');
      // Loopback links may use http, as callback URLs may.
      await sdk.send(new CreateTermsCommand({ ...base, Links: { 'cognito:default': 'http://localhost:3000/terms' } }));
    });

    test('concurrent creates of one name for one client: one wins', async () => {
      const { pool, client } = await setup();
      const body = { UserPoolId: pool, ClientId: client, TermsName: 'privacy-policy', TermsSource: 'LINK', Enforcement: 'NONE', Links: { 'cognito:default': 'https://e.example' } };
      const results = await Promise.all(Array.from({ length: 6 }, () => rawCall(t.url, 'CreateTerms', body)));
      assert.equal(results.filter((r) => r.status === 200).length, 1);
      for (const r of results.filter((r) => r.status !== 200)) assert.equal(r.json.__type, 'TermsExistsException');
    });
  });

  // Debian's AWS CLI v2 (2.9.19) has no branding or terms commands (shared reference, appendix
  // C); boto3 has them.
  test('boto3: branding style and terms round trip, and their exceptions as classes', needs('boto3'), async () => {
    const { pool, client } = await setup();
    const script = `
import boto3, botocore, json, sys
c = boto3.client('cognito-idp', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='x')
pool, client = sys.argv[2], sys.argv[3]
out = {}
b = c.create_managed_login_branding(UserPoolId=pool, ClientId=client,
    Settings={'components': {'pageBackground': {'lightMode': {'color': '112233ff'}}}},
    Assets=[{'Category': 'PAGE_HEADER_LOGO', 'ColorMode': 'LIGHT', 'Extension': 'PNG', 'Bytes': b'\\x89PNG\\r\\n\\x1a\\n'}])['ManagedLoginBranding']
out['brandingBytes'] = b['Assets'][0]['Bytes'].hex()
out['created'] = type(b['CreationDate']).__name__
try:
    c.create_managed_login_branding(UserPoolId=pool, ClientId=client, UseCognitoProvidedValues=True)
except c.exceptions.ManagedLoginBrandingExistsException as e:
    out['exists'] = e.response['Error']['Code']
d = c.describe_managed_login_branding_by_client(UserPoolId=pool, ClientId=client, ReturnMergedResources=True)['ManagedLoginBranding']
out['merged'] = d['Settings']['components']['pageBackground']['lightMode']['color']
t = c.create_terms(UserPoolId=pool, ClientId=client, TermsName='privacy-policy', TermsSource='LINK', Enforcement='NONE',
    Links={'cognito:default': 'https://example.com/privacy'})['Terms']
try:
    c.create_terms(UserPoolId=pool, ClientId=client, TermsName='privacy-policy', TermsSource='LINK', Enforcement='NONE',
        Links={'cognito:default': 'https://example.com/privacy'})
except c.exceptions.TermsExistsException as e:
    out['termsExist'] = e.response['Error']['Code']
out['listed'] = [x['TermsName'] for x in c.list_terms(UserPoolId=pool)['Terms']]
c.delete_terms(UserPoolId=pool, TermsId=t['TermsId'])
c.delete_managed_login_branding(UserPoolId=pool, ManagedLoginBrandingId=b['ManagedLoginBrandingId'])
try:
    c.describe_terms(UserPoolId=pool, TermsId=t['TermsId'])
except c.exceptions.ResourceNotFoundException as e:
    out['gone'] = e.response['Error']['Code']
print(json.dumps(out))
`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, ['-c', script, t.url, pool, client], { timeout: 60_000 }, (err, out, errText) => (err ? reject(new Error(errText)) : resolve(out))),
    );
    assert.deepEqual(JSON.parse(stdout), {
      brandingBytes: '89504e470d0a1a0a',
      created: 'datetime',
      exists: 'ManagedLoginBrandingExistsException',
      merged: '112233ff',
      termsExist: 'TermsExistsException',
      listed: ['privacy-policy'],
      gone: 'ResourceNotFoundException',
    });
  });
});
