import { html } from '../hosted-ui/html.ts';
import { identity } from './call.ts';
import { checkbox, display, dl, form, href, input, section, table } from './layout.ts';
import type { ConsolePage } from './page.ts';

/** Identity pools (cognito-identity): the list with a create form, one pool's settings and roles. */
export const identityPoolPages: ConsolePage[] = [
  {
    path: '/identity-pools',
    async view(cx) {
      const { IdentityPools = [], NextToken } = await identity(cx, 'ListIdentityPools', { MaxResults: 60, NextToken: cx.query.get('next') ?? undefined });
      const rows = IdentityPools.map((p) => [html`<a href="${href('identity-pools', p.IdentityPoolId!)}">${p.IdentityPoolName}</a>`, html`<code>${p.IdentityPoolId}</code>`]);
      return {
        title: 'Identity pools',
        body: html`${section('Identity pools', html`${table('Identity pools', ['Name', 'Id'], rows, 'no identity pools yet.')}
${NextToken ? html`<p><a href="${href('identity-pools')}?next=${encodeURIComponent(NextToken)}">Next page</a></p>` : ''}`)}
${section('Create an identity pool', form(cx, 'create', html`${input('IdentityPoolName', 'Name', { required: true })}${checkbox('AllowUnauthenticatedIdentities', 'Allow unauthenticated (guest) identities')}`, 'Create identity pool'))}`,
      };
    },
    actions: {
      async create(cx, f) {
        const p = await identity(cx, 'CreateIdentityPool', { IdentityPoolName: f.text('IdentityPoolName'), AllowUnauthenticatedIdentities: f.checked('AllowUnauthenticatedIdentities') });
        return { redirect: href('identity-pools', p.IdentityPoolId) };
      },
    },
  },
  {
    path: '/identity-pools/:identityPoolId',
    async view(cx) {
      const IdentityPoolId = cx.params.identityPoolId!;
      const p = await identity(cx, 'DescribeIdentityPool', { IdentityPoolId });
      const roles = await identity(cx, 'GetIdentityPoolRoles', { IdentityPoolId });
      return {
        title: `Identity pool ${p.IdentityPoolName}`,
        body: html`${section(
          'Settings',
          dl([
            ['Id', html`<code>${p.IdentityPoolId}</code>`],
            ['Guest identities', String(p.AllowUnauthenticatedIdentities)],
            ['Classic flow', p.AllowClassicFlow === undefined ? undefined : String(p.AllowClassicFlow)],
            ['Login providers', p.SupportedLoginProviders && Object.keys(p.SupportedLoginProviders).length ? display(p.SupportedLoginProviders) : undefined],
            ['Developer provider', p.DeveloperProviderName],
            ['User pools', p.CognitoIdentityProviders?.map((c) => `${c.ProviderName} (${c.ClientId})`)],
            ['OpenID Connect providers', p.OpenIdConnectProviderARNs],
            ['SAML providers', p.SamlProviderARNs],
          ]),
        )}
${section('Roles', dl([['Roles', roles.Roles && Object.keys(roles.Roles).length ? display(roles.Roles) : 'none'], ['Role mappings', roles.RoleMappings ? display(roles.RoleMappings) : undefined]]))}
${section('Delete', form(cx, 'delete', '', 'Delete this identity pool', { button: 'danger' }))}`,
      };
    },
    actions: {
      async delete(cx) {
        await identity(cx, 'DeleteIdentityPool', { IdentityPoolId: cx.params.identityPoolId! });
        return { redirect: href('identity-pools') };
      },
    },
  },
];
