import { html } from '../hosted-ui/html.ts';
import { idp } from './call.ts';
import { checkbox, dl, form, href, input, section, table, when } from './layout.ts';
import type { ConsolePage } from './page.ts';

/** App clients: the list, a create form, one client's settings; its secret only on an explicit "Show secret". */
export const clientPages: ConsolePage[] = [
  {
    path: '/pools/:poolId/clients',
    async view(cx) {
      const UserPoolId = cx.params.poolId!;
      const { UserPoolClients = [], NextToken } = await idp(cx, 'ListUserPoolClients', { UserPoolId, MaxResults: 60, NextToken: cx.query.get('next') ?? undefined });
      const rows = UserPoolClients.map((c) => [html`<a href="${href('pools', UserPoolId, 'clients', c.ClientId!)}">${c.ClientName}</a>`, html`<code>${c.ClientId}</code>`]);
      return {
        title: 'App clients',
        body: html`${section('App clients', html`${table('App clients', ['Name', 'Client id'], rows, 'no app clients yet.')}
${NextToken ? html`<p><a href="${href('pools', UserPoolId, 'clients')}?next=${encodeURIComponent(NextToken)}">Next page</a></p>` : ''}`)}
${section(
  'Create an app client',
  form(
    cx,
    'create',
    html`${input('ClientName', 'Client name', { required: true })}
${checkbox('GenerateSecret', 'Generate a client secret')}
${input('CallbackURLs', 'Callback URLs (space-separated, optional)')}`,
    'Create app client',
  ),
)}`,
      };
    },
    actions: {
      async create(cx, f) {
        const callbacks = f.get('CallbackURLs')?.split(/\s+/).filter(Boolean);
        const { UserPoolClient } = await idp(cx, 'CreateUserPoolClient', {
          UserPoolId: cx.params.poolId!,
          ClientName: f.text('ClientName'),
          GenerateSecret: f.checked('GenerateSecret'),
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
          ...(callbacks?.length
            ? { CallbackURLs: callbacks, AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthScopes: ['openid', 'email', 'profile'], SupportedIdentityProviders: ['COGNITO'] }
            : {}),
        });
        return { redirect: href('pools', cx.params.poolId!, 'clients', UserPoolClient!.ClientId!) };
      },
    },
  },
  {
    path: '/pools/:poolId/clients/:clientId',
    async view(cx) {
      const { poolId: UserPoolId, clientId: ClientId } = cx.params as { poolId: string; clientId: string };
      const { UserPoolClient: c = {} } = await idp(cx, 'DescribeUserPoolClient', { UserPoolId, ClientId });
      const hasSecret = c.ClientSecret !== undefined;
      return {
        title: `App client ${c.ClientName ?? ClientId}`,
        body: html`${section(
          'Settings',
          dl([
            ['Client id', html`<code>${c.ClientId}</code>`],
            ['Client secret', hasSecret ? 'set (hidden)' : 'none'],
            ['Created', when(c.CreationDate)],
            ['Last modified', when(c.LastModifiedDate)],
            ['Auth flows', c.ExplicitAuthFlows],
            ['Token validity (access / id / refresh)', `${c.AccessTokenValidity ?? '-'} / ${c.IdTokenValidity ?? '-'} / ${c.RefreshTokenValidity ?? '-'}`],
            ['Token validity units', c.TokenValidityUnits],
            ['Read attributes', c.ReadAttributes],
            ['Write attributes', c.WriteAttributes],
            ['Identity providers', c.SupportedIdentityProviders],
            ['Callback URLs', c.CallbackURLs],
            ['Logout URLs', c.LogoutURLs],
            ['OAuth flows', c.AllowedOAuthFlows],
            ['OAuth scopes', c.AllowedOAuthScopes],
            ['Prevent user existence errors', c.PreventUserExistenceErrors],
            ['Token revocation', c.EnableTokenRevocation === undefined ? undefined : String(c.EnableTokenRevocation)],
          ]),
        )}
${hasSecret ? section('Client secret', form(cx, 'show-secret', html`<p>The secret is shown once, on this page only.</p>`, 'Show secret')) : ''}
${section('Delete', form(cx, 'delete', '', 'Delete this app client', { button: 'danger' }))}`,
      };
    },
    actions: {
      // A POST, so the secret is never in a URL, a history entry or a prefetched page.
      async 'show-secret'(cx) {
        const { UserPoolClient } = await idp(cx, 'DescribeUserPoolClient', { UserPoolId: cx.params.poolId!, ClientId: cx.params.clientId! });
        return { notice: html`Client secret: <code id="client-secret">${UserPoolClient?.ClientSecret ?? '(none)'}</code>` };
      },
      async delete(cx) {
        await idp(cx, 'DeleteUserPoolClient', { UserPoolId: cx.params.poolId!, ClientId: cx.params.clientId! });
        return { redirect: href('pools', cx.params.poolId!, 'clients') };
      },
    },
  },
];
