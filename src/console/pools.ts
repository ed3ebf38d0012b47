import { html } from '../hosted-ui/html.ts';
import { idp } from './call.ts';
import { checkbox, display, dl, form, href, input, section, select, table, when } from './layout.ts';
import type { ConsolePage } from './page.ts';

/** The user pools: the list with a create form, and one pool's settings (schema, policies, MFA, triggers, domain). */
export const poolPages: ConsolePage[] = [
  {
    path: '',
    async view(cx) {
      const { UserPools = [], NextToken } = await idp(cx, 'ListUserPools', { MaxResults: 60, NextToken: cx.query.get('next') ?? undefined });
      const rows = UserPools.map((p) => [html`<a href="${href('pools', p.Id!)}">${p.Name}</a>`, html`<code>${p.Id}</code>`, p.Status, when(p.CreationDate)]);
      return {
        title: 'User pools',
        body: html`${section('Pools', html`${table('User pools', ['Name', 'Id', 'Status', 'Created'], rows, 'no user pools yet.')}
${NextToken ? html`<p><a href="${href('')}?next=${encodeURIComponent(NextToken)}">Next page</a></p>` : ''}`)}
${section(
  'Create a user pool',
  form(
    cx,
    'create',
    html`${input('PoolName', 'Pool name', { required: true })}
${select('UsernameAttributes', 'Sign-in with', ['username', 'email', 'phone_number', 'email and phone_number'])}
${checkbox('VerifyEmail', 'Verify email addresses automatically', true)}`,
    'Create user pool',
  ),
)}`,
      };
    },
    actions: {
      async create(cx, f) {
        const how = f.get('UsernameAttributes');
        const UsernameAttributes = how === 'email' ? ['email'] : how === 'phone_number' ? ['phone_number'] : how === 'email and phone_number' ? ['email', 'phone_number'] : undefined;
        const { UserPool } = await idp(cx, 'CreateUserPool', {
          PoolName: f.text('PoolName'),
          UsernameAttributes: UsernameAttributes as ('email' | 'phone_number')[] | undefined,
          AutoVerifiedAttributes: f.checked('VerifyEmail') ? ['email'] : undefined,
        });
        return { redirect: href('pools', UserPool!.Id!) };
      },
    },
  },
  {
    path: '/pools/:poolId',
    async view(cx) {
      const UserPoolId = cx.params.poolId!;
      const { UserPool: p = {} } = await idp(cx, 'DescribeUserPool', { UserPoolId });
      const mfa = await idp(cx, 'GetUserPoolMfaConfig', { UserPoolId });
      const schema = (p.SchemaAttributes ?? []).map((a) => [
        a.Name,
        a.AttributeDataType,
        a.Required ? 'yes' : 'no',
        a.Mutable ? 'yes' : 'no',
        a.DeveloperOnlyAttribute ? 'yes' : '',
        display(a.StringAttributeConstraints ?? a.NumberAttributeConstraints ?? ''),
      ]);
      const triggers = Object.entries(p.LambdaConfig ?? {}).map(([k, v]) => [k, html`<code>${display(v)}</code>`]);
      const pw = p.Policies?.PasswordPolicy ?? {};
      return {
        title: `User pool ${p.Name ?? UserPoolId}`,
        body: html`${section(
          'Settings',
          dl([
            ['Id', html`<code>${p.Id}</code>`],
            ['ARN', html`<code>${p.Arn}</code>`],
            ['Created', when(p.CreationDate)],
            ['Last modified', when(p.LastModifiedDate)],
            ['Estimated users', p.EstimatedNumberOfUsers],
            ['Username attributes', p.UsernameAttributes],
            ['Alias attributes', p.AliasAttributes],
            ['Auto-verified attributes', p.AutoVerifiedAttributes],
            ['Case-sensitive usernames', p.UsernameConfiguration ? String(p.UsernameConfiguration.CaseSensitive) : undefined],
            ['Deletion protection', p.DeletionProtection],
            ['Admin-only sign-up', p.AdminCreateUserConfig?.AllowAdminCreateUserOnly === undefined ? undefined : String(p.AdminCreateUserConfig.AllowAdminCreateUserOnly)],
            ['Account recovery', p.AccountRecoverySetting?.RecoveryMechanisms?.map((m) => `${m.Name} (${m.Priority})`)],
            ['Threat protection', p.UserPoolAddOns?.AdvancedSecurityMode],
            ['Tier', p.UserPoolTier],
          ]),
        )}
${section(
  'Policies',
  html`${dl([
    ['Minimum password length', pw.MinimumLength],
    ['Requires uppercase', pw.RequireUppercase === undefined ? undefined : String(pw.RequireUppercase)],
    ['Requires lowercase', pw.RequireLowercase === undefined ? undefined : String(pw.RequireLowercase)],
    ['Requires numbers', pw.RequireNumbers === undefined ? undefined : String(pw.RequireNumbers)],
    ['Requires symbols', pw.RequireSymbols === undefined ? undefined : String(pw.RequireSymbols)],
    ['Password history', pw.PasswordHistorySize],
    ['Temporary password valid (days)', pw.TemporaryPasswordValidityDays],
    ['Sign-in factors', p.Policies?.SignInPolicy?.AllowedFirstAuthFactors],
  ])}`,
)}
${section(
  'MFA',
  html`${dl([
    ['MFA', mfa.MfaConfiguration],
    ['Authenticator apps (TOTP)', mfa.SoftwareTokenMfaConfiguration?.Enabled ? 'enabled' : 'disabled'],
    ['SMS', mfa.SmsMfaConfiguration ? 'configured' : 'not configured'],
    ['Email', mfa.EmailMfaConfiguration ? 'configured' : 'not configured'],
    ['Passkeys', mfa.WebAuthnConfiguration ? display(mfa.WebAuthnConfiguration) : undefined],
  ])}
${form(
  cx,
  'mfa',
  html`<div class="row">${select('MfaConfiguration', 'MFA', ['OFF', 'OPTIONAL', 'ON'], mfa.MfaConfiguration)}${checkbox('Totp', 'Authenticator apps', !!mfa.SoftwareTokenMfaConfiguration?.Enabled)}</div>`,
  'Save MFA settings',
)}`,
)}
${section('Triggers', table('Lambda triggers', ['Trigger', 'Function'], triggers, 'no triggers.'))}
${section(
  'Domain',
  html`${dl([
    ['Prefix domain', p.Domain],
    ['Custom domain', p.CustomDomain],
  ])}
${p.Domain
  ? form(cx, 'delete-domain', html`<input type="hidden" name="Domain" value="${p.Domain}">`, `Delete domain ${p.Domain}`, { button: 'danger', cls: 'inline' })
  : form(cx, 'create-domain', input('Domain', 'Domain prefix', { required: true }), 'Create domain')}`,
)}
${section('Schema', table('Attributes', ['Name', 'Type', 'Required', 'Mutable', 'Developer only', 'Constraints'], schema))}
${section('Delete', form(cx, 'delete', html`<p>Deletes the pool with its users, clients and groups (DeleteUserPool).</p>`, 'Delete this user pool', { button: 'danger' }))}`,
      };
    },
    actions: {
      async mfa(cx, f) {
        const mode = f.get('MfaConfiguration') as 'OFF' | 'ON' | 'OPTIONAL' | undefined;
        await idp(cx, 'SetUserPoolMfaConfig', {
          UserPoolId: cx.params.poolId!,
          MfaConfiguration: mode,
          SoftwareTokenMfaConfiguration: { Enabled: f.checked('Totp') },
        });
        return { notice: 'MFA settings saved.' };
      },
      async 'create-domain'(cx, f) {
        await idp(cx, 'CreateUserPoolDomain', { UserPoolId: cx.params.poolId!, Domain: f.text('Domain') });
        return { notice: 'Domain created.' };
      },
      async 'delete-domain'(cx, f) {
        await idp(cx, 'DeleteUserPoolDomain', { UserPoolId: cx.params.poolId!, Domain: f.text('Domain') });
        return { notice: 'Domain deleted.' };
      },
      async delete(cx) {
        await idp(cx, 'DeleteUserPool', { UserPoolId: cx.params.poolId! });
        return { redirect: href('') };
      },
    },
  },
];
