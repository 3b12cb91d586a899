// The People page of a session (`/#/s/<session>/people`): members with role and online state,
// role changes, removing and leaving, and an owner's invites (create, copy the link, revoke).
import { h, replace } from './dom.js';
import { api, inviteLink } from './api.js';
import { message, describe, form, field, copyButton } from './forms.js';
import { GRANTABLE_ROLES } from './roles.js';

/** The People page of a session: members (an owner changes roles and removes members; a
 *  member leaves) and, for an owner, invites. `me()` is the logged-in user, `go(hash)`
 *  navigates. Resolves to the page's `content` and `end`, which stops following who is
 *  online. */
export async function peoplePage(sessionId, { me, go }) {
  const session = await api.session(sessionId);
  const owner = session.role === 'owner';
  const membersBox = h('div', {}, h('p', {}, 'Loading…'));
  const invitesBox = h('div');
  const refreshMembers = async () => {
    try {
      const members = await api.members(sessionId);
      replace(membersBox, h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Email'), h('th', {}, 'Role'), h('th', {}, 'Online'), h('th', {}, ''))),
        h('tbody', {}, members.map((m) => memberRow(session, m, refreshMembers, { me, go })))));
    } catch (error) {
      replace(membersBox, message(describe(error)));
    }
  };
  const refreshInvites = async () => {
    try {
      const invites = await api.invites(sessionId);
      replace(invitesBox, invites.length === 0 ? h('p', {}, 'No invites.') : h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Link'), h('th', {}, 'Role'), h('th', {}, 'Uses'), h('th', {}, 'Expires'), h('th', {}, ''))),
        h('tbody', {}, invites.map((i) => inviteRow(session, i, refreshInvites)))));
    } catch (error) {
      replace(invitesBox, message(describe(error)));
    }
  };
  await refreshMembers();
  const content = [
    h('p', { class: 'crumbs' }, h('a', { href: '/#/sessions' }, 'Sessions'), ' / ', h('a', { href: `/#/s/${session.id}` }, session.name)),
    h('h1', {}, `People in ${session.name}`),
    membersBox,
  ];
  if (owner) {
    await refreshInvites();
    content.push(
      h('h2', {}, 'Invites'),
      invitesBox,
      h('h3', {}, 'New invite'),
      form([
        h('label', { class: 'field' }, h('span', {}, 'Role'), h('select', { name: 'role' },
          GRANTABLE_ROLES.map((r) => h('option', { value: r, selected: r === 'editor' }, r)))),
        field('Uses', 'maxUses', { type: 'number', min: 1, max: 1000, value: '10' }),
        field('Valid for (days)', 'days', { type: 'number', min: 1, max: 365, value: '7' }),
      ], 'Create invite', async (data) => {
        await api.createInvite(session.id, {
          role: String(data.get('role')), maxUses: Number(data.get('maxUses')), expiresInSeconds: Number(data.get('days')) * 86400,
        });
        await refreshInvites();
      }, { class: 'inline-form' }));
  }
  // Others go online and offline: the list follows every 15 s while the page is shown.
  const timer = setInterval(refreshMembers, 15000);
  return { content, end: () => clearInterval(timer) };
}

function memberRow(session, member, refresh, { me, go }) {
  const owner = session.role === 'owner';
  const self = member.userID === me()?.id;
  let role = h('span', {}, member.role);
  if (owner && !self) {
    role = h('select', {
      'aria-label': `Role of ${member.displayName}`,
      onchange: async (event) => {
        try { await api.setRole(session.id, member.userID, event.target.value); } catch (error) { alert(describe(error)); }
        await refresh();
      },
    }, GRANTABLE_ROLES.map((r) => h('option', { value: r, selected: r === member.role }, r)));
  }
  const actions = h('td', { class: 'actions' });
  if (owner && !self) {
    actions.append(h('button', {
      type: 'button', class: 'link danger',
      onclick: async () => {
        if (!confirm(`Remove ${member.displayName} from the session?`)) return;
        try { await api.removeMember(session.id, member.userID); } catch (error) { alert(describe(error)); }
        await refresh();
      },
    }, 'Remove'));
  } else if (self && !owner) {
    actions.append(h('button', {
      type: 'button', class: 'link danger',
      onclick: async () => {
        if (!confirm('Leave this session?')) return;
        try { await api.removeMember(session.id, member.userID); go('#/sessions'); } catch (error) { alert(describe(error)); }
      },
    }, 'Leave'));
  }
  return h('tr', {}, h('td', {}, member.displayName, self ? ' (you)' : ''), h('td', {}, member.email ?? ''), h('td', {}, role),
    h('td', {}, h('span', { class: member.online ? 'dot online' : 'dot', title: member.online ? 'online' : 'offline' })), actions);
}

function inviteRow(session, invite, refresh) {
  const link = inviteLink(invite.code);
  const expired = new Date(invite.expiresAt) < new Date();
  const usable = !invite.revoked && !expired && invite.uses < invite.maxUses;
  const actions = h('td', { class: 'actions' });
  if (usable) {
    actions.append(copyButton(link, 'Copy link'), h('button', {
      type: 'button', class: 'link danger',
      onclick: async () => {
        try { await api.revokeInvite(session.id, invite.code); } catch (error) { alert(describe(error)); }
        await refresh();
      },
    }, 'Revoke'));
  }
  return h('tr', { class: usable ? '' : 'dim' }, h('td', {}, h('code', { class: 'link-text' }, link)), h('td', {}, invite.role),
    h('td', {}, `${invite.uses} / ${invite.maxUses}`),
    h('td', {}, invite.revoked ? 'revoked' : expired ? 'expired' : new Date(invite.expiresAt).toLocaleString()), actions);
}
