import { CognitoError } from '../errors.ts';
import { html, type SafeHtml } from '../hosted-ui/html.ts';
import { idp } from './call.ts';
import { checkbox, cognitoErrorBox, dl, form, href, input, section, table, when } from './layout.ts';
import type { ConsoleContext, ConsolePage } from './page.ts';
import { attr } from './users.ts';

const ids = (cx: ConsoleContext) => ({ UserPoolId: cx.params.poolId!, Username: cx.params.username! });

/**
 * A user's recent sign-in events, from threat protection's AdminListUserAuthEvents
 * (domain/threat/events.ts). A pool without threat protection answers with Cognito's
 * UserPoolAddOnNotEnabledException, shown as such.
 */
async function authEvents(cx: ConsoleContext): Promise<SafeHtml> {
  try {
    const { AuthEvents = [] } = await idp(cx, 'AdminListUserAuthEvents', { ...ids(cx), MaxResults: 20 });
    const rows = AuthEvents.map((e) => [
      when(e.CreationDate),
      e.EventType,
      e.EventResponse,
      e.EventRisk ? `${e.EventRisk.RiskDecision ?? ''} ${e.EventRisk.RiskLevel ?? ''}`.trim() : '',
      e.EventContextData ? [e.EventContextData.IpAddress, e.EventContextData.DeviceName, e.EventContextData.City, e.EventContextData.Country].filter(Boolean).join(', ') : '',
      (e.ChallengeResponses ?? []).map((c) => `${c.ChallengeName}: ${c.ChallengeResponse}`).join(', '),
      e.EventFeedback?.FeedbackValue ?? '',
    ]);
    return table('Sign-in events, newest first', ['When', 'Event', 'Response', 'Risk', 'Where', 'Challenges', 'Feedback'], rows, 'no sign-in events recorded.');
  } catch (err) {
    if (err instanceof CognitoError) return html`<p class="muted">Sign-in events are kept when the pool's threat protection (UserPoolAddOns) is on.</p>${cognitoErrorBox(err, { inline: true })}`;
    throw err;
  }
}

/** One user: attributes, status, groups, devices, sign-in events, and every admin action on them. */
export const userPages: ConsolePage[] = [
  {
    path: '/pools/:poolId/users/:username',
    async view(cx) {
      const { UserPoolId, Username } = ids(cx);
      const u = await idp(cx, 'AdminGetUser', { UserPoolId, Username });
      const { Groups = [] } = await idp(cx, 'AdminListGroupsForUser', { UserPoolId, Username, Limit: 60 });
      const { Devices = [] } = await idp(cx, 'AdminListDevices', { UserPoolId, Username, Limit: 60 });
      const attrRows = (u.UserAttributes ?? []).map((a) => [
        html`<code>${a.Name}</code>`,
        a.Value,
        a.Name === 'sub' ? '' : form(cx, 'delete-attribute', html`<input type="hidden" name="Name" value="${a.Name}">`, 'Delete', { cls: 'inline', button: 'secondary', label: `Delete attribute ${a.Name}` }),
      ]);
      const groupRows = Groups.map((g) => [
        html`<a href="${href('pools', UserPoolId, 'groups', g.GroupName!)}">${g.GroupName}</a>`,
        g.Precedence ?? '',
        form(cx, 'remove-group', html`<input type="hidden" name="GroupName" value="${g.GroupName}">`, 'Remove', { cls: 'inline', button: 'secondary', label: `Remove from group ${g.GroupName}` }),
      ]);
      const deviceRows = Devices.map((d) => [
        html`<code>${d.DeviceKey}</code>`,
        attr(d.DeviceAttributes, 'device_name') ?? '',
        attr(d.DeviceAttributes, 'device_status') ?? '',
        when(d.DeviceLastAuthenticatedDate),
        form(cx, 'forget-device', html`<input type="hidden" name="DeviceKey" value="${d.DeviceKey}">`, 'Forget', { cls: 'inline', button: 'secondary', label: `Forget device ${d.DeviceKey}` }),
      ]);
      return {
        title: `User ${u.Username}`,
        body: html`${section(
          'Status',
          html`${dl([
            ['Username', u.Username],
            ['Status', u.UserStatus],
            ['Enabled', u.Enabled ? 'Enabled' : 'Disabled'],
            ['Created', when(u.UserCreateDate)],
            ['Last modified', when(u.UserLastModifiedDate)],
            ['MFA', u.UserMFASettingList?.length ? u.UserMFASettingList : 'none'],
            ['Preferred MFA', u.PreferredMfaSetting],
          ])}
<div class="row">
${u.Enabled ? form(cx, 'disable', '', 'Disable user', { cls: 'inline', button: 'secondary' }) : form(cx, 'enable', '', 'Enable user', { cls: 'inline' })}
${u.UserStatus === 'UNCONFIRMED' ? form(cx, 'confirm', '', 'Confirm sign-up', { cls: 'inline' }) : ''}
${form(cx, 'reset-password', '', 'Reset password', { cls: 'inline', button: 'secondary' })}
${form(cx, 'sign-out', '', 'Sign out everywhere', { cls: 'inline', button: 'secondary' })}
</div>`,
        )}
${section(
  'Set a password',
  form(cx, 'set-password', html`${input('Password', 'New password', { type: 'password', required: true, autocomplete: 'new-password' })}${checkbox('Permanent', 'Permanent (otherwise the user must change it at sign-in)')}`, 'Set password'),
)}
${section(
  'Attributes',
  html`${table('Attributes', ['Name', 'Value', ''], attrRows)}
${form(cx, 'update-attribute', html`<div class="row">${input('Name', 'Attribute name', { required: true })}${input('Value', 'Value')}</div>`, 'Save attribute')}`,
)}
${section(
  'Groups',
  html`${table('Groups', ['Group', 'Precedence', ''], groupRows, 'in no group.')}
${form(cx, 'add-group', input('GroupName', 'Add to group', { required: true }), 'Add to group')}`,
)}
${section('Devices', table('Remembered devices', ['Device key', 'Name', 'Status', 'Last sign-in', ''], deviceRows, 'no remembered devices.'))}
${section('Recent sign-in events', await authEvents(cx))}
${section('Delete', form(cx, 'delete', html`<p>Deletes the user (AdminDeleteUser).</p>`, 'Delete this user', { button: 'danger' }))}`,
      };
    },
    actions: {
      async disable(cx) {
        await idp(cx, 'AdminDisableUser', ids(cx));
        return { notice: 'User disabled.' };
      },
      async enable(cx) {
        await idp(cx, 'AdminEnableUser', ids(cx));
        return { notice: 'User enabled.' };
      },
      async confirm(cx) {
        await idp(cx, 'AdminConfirmSignUp', ids(cx));
        return { notice: 'Sign-up confirmed.' };
      },
      async 'reset-password'(cx) {
        await idp(cx, 'AdminResetUserPassword', ids(cx));
        return { notice: 'Password reset: the user gets a code to choose a new one (see the outbox).' };
      },
      async 'sign-out'(cx) {
        await idp(cx, 'AdminUserGlobalSignOut', ids(cx));
        return { notice: 'Signed out everywhere: every refresh token of the user is revoked.' };
      },
      async 'set-password'(cx, f) {
        await idp(cx, 'AdminSetUserPassword', { ...ids(cx), Password: f.text('Password'), Permanent: f.checked('Permanent') });
        return { notice: 'Password set.' };
      },
      async 'update-attribute'(cx, f) {
        await idp(cx, 'AdminUpdateUserAttributes', { ...ids(cx), UserAttributes: [{ Name: f.text('Name'), Value: f.raw.get('Value') ?? '' }] });
        return { notice: 'Attribute saved.' };
      },
      async 'delete-attribute'(cx, f) {
        await idp(cx, 'AdminDeleteUserAttributes', { ...ids(cx), UserAttributeNames: [f.text('Name')] });
        return { notice: 'Attribute deleted.' };
      },
      async 'add-group'(cx, f) {
        await idp(cx, 'AdminAddUserToGroup', { ...ids(cx), GroupName: f.text('GroupName') });
        return { notice: 'Added to the group.' };
      },
      async 'remove-group'(cx, f) {
        await idp(cx, 'AdminRemoveUserFromGroup', { ...ids(cx), GroupName: f.text('GroupName') });
        return { notice: 'Removed from the group.' };
      },
      async 'forget-device'(cx, f) {
        await idp(cx, 'AdminForgetDevice', { ...ids(cx), DeviceKey: f.text('DeviceKey') });
        return { notice: 'Device forgotten.' };
      },
      async delete(cx) {
        await idp(cx, 'AdminDeleteUser', ids(cx));
        return { redirect: href('pools', cx.params.poolId!, 'users') };
      },
    },
  },
];
