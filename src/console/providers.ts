import { html } from '../hosted-ui/html.ts';
import { idp } from './call.ts';
import { dl, form, href, input, section, table, when } from './layout.ts';
import type { ConsolePage } from './page.ts';

// Provider details that are secrets; shown as "set", like the client secret, never in a page.
const SECRET_DETAILS = new Set(['client_secret', 'private_key']);

/** Identity providers of a pool (OIDC, social, SAML): the list and one provider's settings. */
export const providerPages: ConsolePage[] = [
  {
    path: '/pools/:poolId/providers',
    async view(cx) {
      const UserPoolId = cx.params.poolId!;
      const { Providers = [], NextToken } = await idp(cx, 'ListIdentityProviders', { UserPoolId, MaxResults: 60, NextToken: cx.query.get('next') ?? undefined });
      const rows = Providers.map((p) => [html`<a href="${href('pools', UserPoolId, 'providers', p.ProviderName!)}">${p.ProviderName}</a>`, p.ProviderType, when(p.CreationDate)]);
      return {
        title: 'Identity providers',
        body: html`${section('Identity providers', html`${table('Identity providers', ['Name', 'Type', 'Created'], rows, 'no identity providers. Add one with CreateIdentityProvider.')}
${NextToken ? html`<p><a href="${href('pools', UserPoolId, 'providers')}?next=${encodeURIComponent(NextToken)}">Next page</a></p>` : ''}`)}
${section(
  'Add an OpenID Connect provider',
  form(
    cx,
    'create-oidc',
    html`${input('ProviderName', 'Provider name', { required: true })}
${input('oidc_issuer', 'Issuer URL', { required: true, placeholder: 'https://accounts.example.com' })}
${input('client_id', 'Client id', { required: true })}
${input('client_secret', 'Client secret', { type: 'password', autocomplete: 'new-password' })}
${input('authorize_scopes', 'Scopes', { value: 'openid email profile' })}`,
    'Add provider',
  ),
)}`,
      };
    },
    actions: {
      async 'create-oidc'(cx, f) {
        const details: Record<string, string> = { attributes_request_method: 'GET' };
        for (const k of ['oidc_issuer', 'client_id', 'client_secret', 'authorize_scopes']) if (f.get(k)) details[k] = f.text(k);
        await idp(cx, 'CreateIdentityProvider', {
          UserPoolId: cx.params.poolId!,
          ProviderName: f.text('ProviderName'),
          ProviderType: 'OIDC',
          ProviderDetails: details,
          AttributeMapping: { email: 'email' },
        });
        return { redirect: href('pools', cx.params.poolId!, 'providers', f.text('ProviderName')) };
      },
    },
  },
  {
    path: '/pools/:poolId/providers/:providerName',
    async view(cx) {
      const { poolId: UserPoolId, providerName: ProviderName } = cx.params as { poolId: string; providerName: string };
      const { IdentityProvider: p = {} } = await idp(cx, 'DescribeIdentityProvider', { UserPoolId, ProviderName });
      const details = Object.entries(p.ProviderDetails ?? {}).map(([k, v]) => [html`<code>${k}</code>`, SECRET_DETAILS.has(k) ? 'set (hidden)' : html`<code>${v}</code>`]);
      const mapping = Object.entries(p.AttributeMapping ?? {}).map(([k, v]) => [k, v]);
      return {
        title: `Identity provider ${ProviderName}`,
        body: html`${section('Settings', dl([['Type', p.ProviderType], ['Identifiers', p.IdpIdentifiers], ['Created', when(p.CreationDate)], ['Last modified', when(p.LastModifiedDate)]]))}
${section('Provider details', table('Provider details', ['Name', 'Value'], details))}
${section('Attribute mapping', table('Attribute mapping', ['User pool attribute', 'Provider attribute'], mapping))}
${section('Delete', form(cx, 'delete', '', 'Delete this identity provider', { button: 'danger' }))}`,
      };
    },
    actions: {
      async delete(cx) {
        await idp(cx, 'DeleteIdentityProvider', { UserPoolId: cx.params.poolId!, ProviderName: cx.params.providerName! });
        return { redirect: href('pools', cx.params.poolId!, 'providers') };
      },
    },
  },
];
