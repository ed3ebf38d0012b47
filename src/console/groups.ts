import { html } from '../hosted-ui/html.ts';
import { idp } from './call.ts';
import { dl, form, href, input, section, table, when } from './layout.ts';
import type { ConsolePage } from './page.ts';

/** Groups: the list with a create form, one group with its members. */
export const groupPages: ConsolePage[] = [
  {
    path: '/pools/:poolId/groups',
    async view(cx) {
      const UserPoolId = cx.params.poolId!;
      const { Groups = [], NextToken } = await idp(cx, 'ListGroups', { UserPoolId, Limit: 60, NextToken: cx.query.get('next') ?? undefined });
      const rows = Groups.map((g) => [html`<a href="${href('pools', UserPoolId, 'groups', g.GroupName!)}">${g.GroupName}</a>`, g.Description ?? '', g.Precedence ?? '', g.RoleArn ?? '']);
      return {
        title: 'Groups',
        body: html`${section('Groups', html`${table('Groups', ['Name', 'Description', 'Precedence', 'Role'], rows, 'no groups yet.')}
${NextToken ? html`<p><a href="${href('pools', UserPoolId, 'groups')}?next=${encodeURIComponent(NextToken)}">Next page</a></p>` : ''}`)}
${section(
  'Create a group',
  form(cx, 'create', html`${input('GroupName', 'Group name', { required: true })}${input('Description', 'Description')}${input('Precedence', 'Precedence', { type: 'number' })}${input('RoleArn', 'IAM role ARN')}`, 'Create group'),
)}`,
      };
    },
    actions: {
      async create(cx, f) {
        await idp(cx, 'CreateGroup', {
          UserPoolId: cx.params.poolId!,
          GroupName: f.text('GroupName'),
          Description: f.get('Description'),
          Precedence: f.number('Precedence'),
          RoleArn: f.get('RoleArn'),
        });
        return { notice: 'Group created.' };
      },
    },
  },
  {
    path: '/pools/:poolId/groups/:groupName',
    async view(cx) {
      const { poolId: UserPoolId, groupName: GroupName } = cx.params as { poolId: string; groupName: string };
      const { Group: g = {} } = await idp(cx, 'GetGroup', { UserPoolId, GroupName });
      const { Users = [], NextToken } = await idp(cx, 'ListUsersInGroup', { UserPoolId, GroupName, Limit: 60, NextToken: cx.query.get('next') ?? undefined });
      const rows = Users.map((u) => [html`<a href="${href('pools', UserPoolId, 'users', u.Username!)}">${u.Username}</a>`, u.UserStatus, u.Enabled ? 'Enabled' : 'Disabled']);
      return {
        title: `Group ${GroupName}`,
        body: html`${section('Settings', dl([['Description', g.Description], ['Precedence', g.Precedence], ['Role', g.RoleArn], ['Created', when(g.CreationDate)], ['Last modified', when(g.LastModifiedDate)]]))}
${section('Members', html`${table('Members', ['Username', 'Status', 'Enabled'], rows, 'no members.')}
${NextToken ? html`<p><a href="${href('pools', UserPoolId, 'groups', GroupName)}?next=${encodeURIComponent(NextToken)}">Next page</a></p>` : ''}`)}
${section('Delete', form(cx, 'delete', '', 'Delete this group', { button: 'danger' }))}`,
      };
    },
    actions: {
      async delete(cx) {
        await idp(cx, 'DeleteGroup', { UserPoolId: cx.params.poolId!, GroupName: cx.params.groupName! });
        return { redirect: href('pools', cx.params.poolId!, 'groups') };
      },
    },
  },
];
