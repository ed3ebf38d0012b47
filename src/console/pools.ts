import { html } from '../hosted-ui/html.ts';
import type { UpdateUserPoolRequest, UserPoolType } from '../generated/cognito-idp.ts';
import { idp } from './call.ts';
import { toAuthEventType } from '../domain/threat/events.ts';
import { checkbox, display, dl, form, href, input, section, select, table, when } from './layout.ts';
import type { ConsoleContext, ConsolePage } from './page.ts';

// What UpdateUserPool takes. It resets every setting left out to its default (as Cognito
// documents), so an edit of one of them sends all the others as they are.
const UPDATABLE = [
  'Policies', 'DeletionProtection', 'LambdaConfig', 'AutoVerifiedAttributes', 'SmsVerificationMessage', 'EmailVerificationMessage',
  'EmailVerificationSubject', 'VerificationMessageTemplate', 'SmsAuthenticationMessage', 'UserAttributeUpdateSettings', 'MfaConfiguration',
  'DeviceConfiguration', 'EmailConfiguration', 'SmsConfiguration', 'UserPoolTags', 'AdminCreateUserConfig', 'UserPoolAddOns',
  'AccountRecoverySetting', 'UserPoolTier',
] as const satisfies readonly (keyof UpdateUserPoolRequest & keyof UserPoolType)[];

/** UpdateUserPool with `change` applied to the pool's current settings. */
async function updatePool(cx: ConsoleContext, change: (u: UpdateUserPoolRequest) => void): Promise<void> {
  const UserPoolId = cx.params.poolId!;
  const { UserPool: current = {} } = await idp(cx, 'DescribeUserPool', { UserPoolId });
  const update: UpdateUserPoolRequest = { UserPoolId };
  for (const key of UPDATABLE) if (current[key] !== undefined) (update as unknown as Record<string, unknown>)[key] = current[key];
  // DescribeUserPool reports the deprecated UnusedAccountValidityDays beside the password
  // policy's TemporaryPasswordValidityDays, and UpdateUserPool refuses the two together.
  if (update.AdminCreateUserConfig) {
    const { UnusedAccountValidityDays: _, ...rest } = update.AdminCreateUserConfig;
    update.AdminCreateUserConfig = rest;
  }
  change(update);
  await idp(cx, 'UpdateUserPool', update);
}

// The triggers that take one function; the sender triggers (with a KMS key) are UpdateUserPool's.
const TRIGGERS = [
  'PreSignUp', 'CustomMessage', 'PostConfirmation', 'PreAuthentication', 'PostAuthentication', 'DefineAuthChallenge',
  'CreateAuthChallenge', 'VerifyAuthChallengeResponse', 'PreTokenGeneration', 'UserMigration',
] as const;

const yes = (b: boolean | undefined) => (b === undefined ? undefined : b ? 'yes' : 'no');

/** The user pools: the list with a create form, and one pool's settings (schema, policies, MFA, triggers, domain). */
/** The pool's newest sign-in events, whoever they concern (threat protection's records). */
const poolEvents: ConsolePage = {
  path: '/pools/:poolId/events',
  // Read from the store, not through an operation Cognito has (it lists events per user only).
  unrestricted: true,
  async view(cx) {
    const poolId = cx.params.poolId!;
    const events = await cx.app.store.authEvents.recentInPool(poolId, 50);
    const rows = events.map((e) => {
      const t = toAuthEventType(e);
      return [
        html`<a href="${href('pools', poolId, 'users', e.usernameKey)}">${e.usernameKey}</a>`,
        when(t.CreationDate),
        t.EventType,
        t.EventResponse,
        t.EventRisk ? `${t.EventRisk.RiskDecision ?? ''} ${t.EventRisk.RiskLevel ?? ''}`.trim() : '',
        t.EventContextData ? [t.EventContextData.IpAddress, t.EventContextData.DeviceName].filter(Boolean).join(', ') : '',
      ];
    });
    return {
      title: 'Recent sign-in events',
      body: html`<p><a href="${href('pools', poolId)}">Back to the pool</a></p>
${section('Recent sign-in events', table('The newest 50 events of the pool, newest first', ['User', 'When', 'Event', 'Response', 'Risk', 'Where'], rows, 'none recorded (threat protection records them when it is on).'))}`,
    };
  },
};

export const poolPages: ConsolePage[] = [
  poolEvents,
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
            ['Case-sensitive usernames', yes(p.UsernameConfiguration?.CaseSensitive)],
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
    ['Requires uppercase', yes(pw.RequireUppercase)],
    ['Requires lowercase', yes(pw.RequireLowercase)],
    ['Requires numbers', yes(pw.RequireNumbers)],
    ['Requires symbols', yes(pw.RequireSymbols)],
    ['Password history', pw.PasswordHistorySize],
    ['Temporary password valid (days)', pw.TemporaryPasswordValidityDays],
    ['Sign-in factors', p.Policies?.SignInPolicy?.AllowedFirstAuthFactors],
  ])}
<details><summary>Change the password policy</summary>
${form(
  cx,
  'password-policy',
  html`${input('MinimumLength', 'Minimum length', { type: 'number', value: String(pw.MinimumLength ?? 8) })}
${checkbox('RequireUppercase', 'Require uppercase letters', !!pw.RequireUppercase)}
${checkbox('RequireLowercase', 'Require lowercase letters', !!pw.RequireLowercase)}
${checkbox('RequireNumbers', 'Require numbers', !!pw.RequireNumbers)}
${checkbox('RequireSymbols', 'Require symbols', !!pw.RequireSymbols)}
${input('TemporaryPasswordValidityDays', 'Temporary password valid (days)', { type: 'number', value: String(pw.TemporaryPasswordValidityDays ?? 7) })}`,
  'Save password policy',
)}</details>`,
)}
${section(
  'Threat protection',
  html`<p>Sign-in events are recorded (and shown on each user's page and in <a href="${href('pools', p.Id!, 'events')}">the pool's recent events</a>) when threat protection is on.</p>
${form(cx, 'threat-protection', select('AdvancedSecurityMode', 'Threat protection mode', ['OFF', 'AUDIT', 'ENFORCED'], p.UserPoolAddOns?.AdvancedSecurityMode ?? 'OFF'), 'Save threat protection')}`,
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
${section(
  'Triggers',
  html`${table('Lambda triggers', ['Trigger', 'Function'], triggers, 'no triggers.')}
${form(cx, 'trigger', html`<div class="row">${select('Trigger', 'Trigger', [...TRIGGERS])}${input('Function', 'Function name or ARN (empty: remove)', { placeholder: 'arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up' })}</div>`, 'Save trigger')}`,
)}
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
${section(
  'Schema',
  html`${table('Attributes', ['Name', 'Type', 'Required', 'Mutable', 'Developer only', 'Constraints'], schema)}
${form(cx, 'add-attribute', html`<div class="row">${input('Name', 'Custom attribute name (without custom:)', { required: true })}${select('AttributeDataType', 'Type', ['String', 'Number', 'DateTime', 'Boolean'])}</div>`, 'Add custom attribute')}`,
)}
${section(
  'Delete',
  form(
    cx,
    'delete',
    html`<p>Deletes the pool with its users, clients and groups (DeleteUserPool).</p><label for="confirm-delete"><input id="confirm-delete" type="checkbox" name="confirm" value="true" required> Yes, delete ${p.Name ?? UserPoolId} and everything in it</label>`,
    'Delete this user pool',
    { button: 'danger' },
  ),
)}`,
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
      async 'password-policy'(cx, f) {
        await updatePool(cx, (u) => {
          u.Policies = {
            ...u.Policies,
            PasswordPolicy: {
              ...u.Policies?.PasswordPolicy,
              MinimumLength: f.number('MinimumLength'),
              RequireUppercase: f.checked('RequireUppercase'),
              RequireLowercase: f.checked('RequireLowercase'),
              RequireNumbers: f.checked('RequireNumbers'),
              RequireSymbols: f.checked('RequireSymbols'),
              TemporaryPasswordValidityDays: f.number('TemporaryPasswordValidityDays'),
            },
          };
        });
        return { notice: 'Password policy saved.' };
      },
      async trigger(cx, f) {
        const name = f.get('Trigger') as (typeof TRIGGERS)[number] | undefined;
        if (!name || !TRIGGERS.includes(name)) return { notice: 'Choose a trigger.' };
        const fn = f.get('Function')?.trim();
        await updatePool(cx, (u) => {
          const lc = { ...u.LambdaConfig };
          if (fn) lc[name] = fn;
          else delete lc[name];
          // The versioned form of PreTokenGeneration must name the same function (UpdateUserPool checks).
          if (name === 'PreTokenGeneration') {
            if (fn) lc.PreTokenGenerationConfig = { LambdaArn: fn, LambdaVersion: lc.PreTokenGenerationConfig?.LambdaVersion ?? 'V1_0' };
            else delete lc.PreTokenGenerationConfig;
          }
          u.LambdaConfig = lc;
        });
        return { notice: fn ? `${name} trigger saved.` : `${name} trigger removed.` };
      },
      async 'threat-protection'(cx, f) {
        await updatePool(cx, (u) => {
          u.UserPoolAddOns = { AdvancedSecurityMode: (f.get('AdvancedSecurityMode') ?? 'OFF') as 'OFF' | 'AUDIT' | 'ENFORCED' };
        });
        return { notice: 'Threat protection saved.' };
      },
      async 'add-attribute'(cx, f) {
        await idp(cx, 'AddCustomAttributes', {
          UserPoolId: cx.params.poolId!,
          CustomAttributes: [{ Name: f.text('Name'), AttributeDataType: f.get('AttributeDataType') as 'String' | 'Number' | 'DateTime' | 'Boolean', Mutable: true }],
        });
        return { notice: 'Custom attribute added.' };
      },
      async 'create-domain'(cx, f) {
        await idp(cx, 'CreateUserPoolDomain', { UserPoolId: cx.params.poolId!, Domain: f.text('Domain') });
        return { notice: 'Domain created.' };
      },
      async 'delete-domain'(cx, f) {
        await idp(cx, 'DeleteUserPoolDomain', { UserPoolId: cx.params.poolId!, Domain: f.text('Domain') });
        return { notice: 'Domain deleted.' };
      },
      async delete(cx, f) {
        // The box is required in the page; a form sent without it (no browser check) deletes nothing.
        if (!f.checked('confirm')) return { notice: 'Nothing deleted: tick the box to confirm.' };
        await idp(cx, 'DeleteUserPool', { UserPoolId: cx.params.poolId! });
        return { redirect: href('') };
      },
    },
  },
];
