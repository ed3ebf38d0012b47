import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateManagedLoginBrandingCommand, SetUICustomizationCommand, UpdateUserPoolDomainCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { CALLBACK, hostedPool, type HostedPool } from './helpers/hosted-ui.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/**
 * The look of the pages follows the domain's ManagedLoginVersion as in Cognito: 1 (classic hosted
 * UI) carries the UI customization CSS, 2 (managed login) the client's branding style, its main
 * colours as CSS custom properties and its logo.
 */
describe('hosted UI branding', () => {
  let server: Running;
  let hp: HostedPool;
  let loginUrl: string;

  before(async () => {
    server = await startTestServer();
    hp = await hostedPool(server.url);
    const sdk = idpClient(server.url);
    await sdk.send(
      new CreateManagedLoginBrandingCommand({
        UserPoolId: hp.poolId,
        ClientId: hp.web.clientId,
        Settings: {
          components: {
            primaryButton: { lightMode: { defaults: { backgroundColor: 'ff5500ff', textColor: '101010ff' } } },
            pageBackground: { lightMode: { color: 'eeffeeff' } },
          },
        },
        Assets: [{ Category: 'FORM_LOGO', ColorMode: 'LIGHT', Extension: 'PNG', Bytes: PNG }],
      }),
    );
    await sdk.send(new SetUICustomizationCommand({ UserPoolId: hp.poolId, ClientId: hp.web.clientId, CSS: '.label-customizable { color: #123456; }' }));
    loginUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.web.clientId, response_type: 'code', redirect_uri: CALLBACK })}`;
  });
  after(() => server.close());

  test('classic domain (version 1): the UI customization, not the branding style', async () => {
    const page = await (await fetch(loginUrl)).text();
    assert.match(page, /\.label-customizable \{ color: #123456; \}/);
    assert.doesNotMatch(page, /--button-bg:/);
  });

  test('managed login domain (version 2): the style’s colours and logo; other clients keep the defaults', async () => {
    await idpClient(server.url).send(new UpdateUserPoolDomainCommand({ UserPoolId: hp.poolId, Domain: hp.prefix, ManagedLoginVersion: 2 }));
    const res = await fetch(loginUrl);
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /:root\{[^}]*--button-bg:#ff5500ff;/);
    assert.match(page, /--button-text:#101010ff;/);
    assert.match(page, /--page-bg:#eeffeeff;/);
    assert.match(page, /background:var\(--button-bg,#0972d3\)/);
    assert.ok(page.includes(`src="data:image/png;base64,${PNG.toString('base64')}"`), 'the form logo');
    assert.doesNotMatch(page, /#123456/, 'the classic CSS does not apply on a managed login domain');
    const spaUrl = `${hp.base}/login?${new URLSearchParams({ client_id: hp.spa.clientId, response_type: 'code', redirect_uri: CALLBACK })}`;
    assert.doesNotMatch(await (await fetch(spaUrl)).text(), /--button-bg:/);
  });
});
