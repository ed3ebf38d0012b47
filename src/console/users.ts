import { html } from '../hosted-ui/html.ts';
import type { AttributeType } from '../generated/cognito-idp.ts';
import { idp } from './call.ts';
import { checkbox, form, href, input, section, table, when } from './layout.ts';
import type { ConsolePage } from './page.ts';

const TRAIL = 30;

export const attr = (attrs: AttributeType[] | undefined, name: string) => attrs?.find((a) => a.Name === name)?.Value;

/**
 * The users of a pool: ListUsers with its Filter language and its PaginationToken, so page 1,000
 * of 100,000 users costs what page 1 does (the store seeks past the token, no OFFSET).
 */
export const userListPages: ConsolePage[] = [
  {
    path: '/pools/:poolId/users',
    async view(cx) {
      const UserPoolId = cx.params.poolId!;
      const filter = cx.query.get('filter') ?? '';
      const token = cx.query.get('token') || undefined;
      const page = Math.max(1, Math.floor(Number(cx.query.get('page') ?? '1') || 1));
      const { Users = [], PaginationToken } = await idp(cx, 'ListUsers', { UserPoolId, Filter: filter || undefined, Limit: 60, PaginationToken: token });
      const base = href('pools', UserPoolId, 'users');
      const rows = Users.map((u) => [
        html`<a href="${href('pools', UserPoolId, 'users', u.Username!)}">${u.Username}</a>`,
        attr(u.Attributes, 'email') ?? '',
        attr(u.Attributes, 'phone_number') ?? '',
        u.UserStatus,
        u.Enabled ? 'Enabled' : 'Disabled',
        when(u.UserCreateDate),
      ]);
      const q = (extra: Record<string, string>) => `${base}?${new URLSearchParams({ ...(filter ? { filter } : {}), ...extra })}`;
      // The tokens of the pages before this one ride in the link, so "Previous page" is one
      // ListUsers call too; only the last TRAIL of them, past which the way back is "First page".
      const trail = (cx.query.get('trail') ?? '').split(',').filter((t) => /^[\w-]+=*$/.test(t));
      const next = PaginationToken ? q({ token: PaginationToken, page: String(page + 1), trail: [...trail, ...(token ? [token] : [])].slice(-TRAIL).join(',') }) : undefined;
      const previous =
        page <= 1 ? undefined : page === 2 ? q({}) : trail.length ? q({ token: trail.at(-1)!, page: String(page - 1), trail: trail.slice(0, -1).join(',') }) : undefined;
      return {
        title: 'Users',
        body: html`${section(
          'Search',
          html`<form method="get" action="${base}" role="search" class="row">
<label for="filter">ListUsers filter<input id="filter" name="filter" value="${filter}" size="40" placeholder='email ^= "ann"'></label>
<button type="submit">Search</button></form>
<p class="muted">Filter syntax as ListUsers takes it: <code>attribute = "value"</code> or <code>attribute ^= "prefix"</code> on username, email, phone_number, name, given_name, family_name, preferred_username, cognito:user_status, status or sub.</p>`,
        )}
${section(
  'Users',
  html`<p class="muted">Page ${page}, ${Users.length} user(s)${filter ? html` matching <code>${filter}</code>` : ''}.</p>
${table('Users', ['Username', 'Email', 'Phone', 'Status', 'Enabled', 'Created'], rows, 'no users found.')}
<nav aria-label="Pages" class="row">${page > 2 ? html`<a href="${q({})}">First page</a>` : ''}${previous ? html`<a href="${previous}" rel="prev">Previous page</a>` : ''}${next ? html`<a href="${next}" rel="next">Next page</a>` : ''}</nav>`,
)}
${section(
  'Create a user',
  form(
    cx,
    'create',
    html`${input('Username', 'Username', { required: true })}
${input('email', 'Email (optional)', { type: 'email' })}
${input('phone_number', 'Phone number (optional, +15555550100)', { type: 'tel' })}
${input('TemporaryPassword', 'Temporary password (optional: Tobira makes one)', { type: 'text' })}
${checkbox('Suppress', 'Do not send the invitation (MessageAction SUPPRESS)')}
${checkbox('EmailVerified', 'Mark the email address verified', true)}`,
    'Create user',
  ),
)}`,
      };
    },
    actions: {
      async create(cx, f) {
        const attrs: AttributeType[] = [];
        if (f.get('email')) attrs.push({ Name: 'email', Value: f.text('email') });
        if (f.get('email') && f.checked('EmailVerified')) attrs.push({ Name: 'email_verified', Value: 'true' });
        if (f.get('phone_number')) attrs.push({ Name: 'phone_number', Value: f.text('phone_number') });
        const { User } = await idp(cx, 'AdminCreateUser', {
          UserPoolId: cx.params.poolId!,
          Username: f.text('Username'),
          UserAttributes: attrs.length ? attrs : undefined,
          TemporaryPassword: f.get('TemporaryPassword'),
          MessageAction: f.checked('Suppress') ? 'SUPPRESS' : undefined,
          DesiredDeliveryMediums: f.get('email') ? ['EMAIL'] : f.get('phone_number') ? ['SMS'] : undefined,
        });
        return { redirect: href('pools', cx.params.poolId!, 'users', User!.Username!) };
      },
    },
  },
];
