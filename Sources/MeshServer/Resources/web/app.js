// The single-page app: routes, the account pages, sessions, people (members, roles, invites)
// and the invite link page. `/join/<code>` (what `mesh share` prints) is a path route; the rest
// are hash routes (`#/sessions`, `#/s/<id>`, …) so that `mesh serve` serves one page at `/`.
import { h, replace } from './dom.js';
import { api, ApiError, inviteLink, isInviteCode } from './api.js';
import { message, describe, form, field, copyButton } from './forms.js';
import { peoplePage } from './people.js';
import { SessionPage } from './session.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let me = null;
let page = null;          // the live page (a SessionPage), ended on navigation

function go(hash) {
  if (location.pathname !== '/') location.assign(`/${hash}`);
  else location.hash = hash;
}

/** Where to go after logging in (an invite page, say). */
function rememberNext(path) { sessionStorage.setItem('mesh.next', path); }
function takeNext() {
  const next = sessionStorage.getItem('mesh.next');
  sessionStorage.removeItem('mesh.next');
  // Only our own pages: a path on this origin.
  return next && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

function renderNav() {
  if (!me) {
    // From an invite page, logging in or signing up comes back to it.
    const back = () => { if (location.pathname.startsWith('/join/')) rememberNext(location.pathname); };
    replace(nav, h('a', { href: '/#/login', onclick: back }, 'Log in'), h('a', { href: '/#/signup', onclick: back }, 'Sign up'));
    return;
  }
  replace(nav,
    h('a', { href: '/#/sessions' }, 'Sessions'),
    h('span', { class: 'who' }, me.displayName, me.emailVerified ? null : h('a', { href: '/#/verify', class: 'unverified' }, ' (verify your email)')),
    h('button', {
      class: 'link', type: 'button',
      onclick: async () => {
        try { await api.logout(); } catch { /* logged out either way */ }
        me = null;
        go('#/login');
      },
    }, 'Log out'));
}

// MARK: Account pages

function loginPage() {
  return [
    h('h1', {}, 'Log in to Mesh'),
    form([
      field('Email', 'email', { type: 'email', autocomplete: 'username', required: true }),
      field('Password', 'password', { type: 'password', autocomplete: 'current-password', required: true }),
    ], 'Log in', async (data) => {
      await api.login(String(data.get('email')).trim(), String(data.get('password')));
      me = await api.me();
      const next = takeNext();
      if (next) location.assign(next); else go('#/sessions');
    }),
    h('p', {}, 'No account yet? ', h('a', { href: '/#/signup' }, 'Sign up')),
  ];
}

function signupPage() {
  return [
    h('h1', {}, 'Create a Mesh account'),
    form([
      field('Name others see', 'displayName', { autocomplete: 'name', required: true, maxlength: 100 }),
      field('Email', 'email', { type: 'email', autocomplete: 'username', required: true }),
      field('Password (8 to 72 characters)', 'password', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 72, required: true }),
    ], 'Sign up', async (data) => {
      await api.signup(String(data.get('email')).trim(), String(data.get('displayName')).trim(), String(data.get('password')));
      me = await api.me();
      const next = takeNext();
      if (next) location.assign(next); else go('#/verify');
    }),
    h('p', {}, 'Have an account? ', h('a', { href: '/#/login' }, 'Log in')),
  ];
}

function verifyPage(token) {
  const content = [
    h('h1', {}, 'Verify your email'),
    h('p', {}, 'We sent you a token by email. Paste it here (or run ', h('code', {}, 'mesh verify-email TOKEN'), ').'),
    form([field('Token', 'token', { required: true, autocomplete: 'off', value: token ?? '' })], 'Verify', async (data) => {
      await api.verifyEmail(String(data.get('token')).trim());
      if (me) me = await api.me();
      renderNav();
      return 'Your email is verified.';
    }),
  ];
  if (me && !me.emailVerified) {
    content.push(form([], 'Send a new token', async () => {
      await api.resendVerification();
      return `A new token is on its way to ${me.email}.`;
    }, { class: 'inline-form' }));
  }
  return content;
}

// MARK: Sessions

async function sessionsPage() {
  const list = h('div', { class: 'sessions' }, h('p', {}, 'Loading…'));
  const refresh = async () => {
    try {
      const sessions = await api.sessions();
      replace(list, sessions.length === 0 ? h('p', {}, 'No sessions yet. Create one, or share a folder with ', h('code', {}, 'mesh share'), '.')
        : h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Your role'), h('th', {}, 'Created'), h('th', {}, ''))),
          h('tbody', {}, sessions.map((s) => sessionRow(s, refresh)))));
    } catch (error) {
      replace(list, message(describe(error)));
    }
  };
  await refresh();
  return [
    h('h1', {}, 'Your sessions'),
    list,
    h('h2', {}, 'New session'),
    form([field('Name', 'name', { required: true, maxlength: 200 })], 'Create', async (data) => {
      const session = await api.createSession(String(data.get('name')).trim());
      go(`#/s/${session.id}`);
    }, { class: 'inline-form' }),
  ];
}

function sessionRow(session, refresh) {
  const owner = session.role === 'owner';
  const nameCell = h('td', {}, h('a', { href: `/#/s/${session.id}` }, session.name));
  const actions = h('td', { class: 'actions' }, h('a', { href: `/#/s/${session.id}/people` }, 'People'));
  if (owner) {
    actions.append(
      h('button', {
        type: 'button', class: 'link',
        onclick: () => {
          const input = h('input', { value: session.name, maxlength: 200, 'aria-label': 'New name' });
          const save = form([input], 'Save', async () => {
            await api.renameSession(session.id, input.value.trim());
            await refresh();
          }, { class: 'inline-form' });
          replace(nameCell, save);
          input.focus();
        },
      }, 'Rename'),
      h('button', {
        type: 'button', class: 'link danger',
        onclick: async () => {
          if (!confirm(`Delete the session “${session.name}” and all its documents for everyone?`)) return;
          try { await api.deleteSession(session.id); await refresh(); } catch (error) { alert(describe(error)); }
        },
      }, 'Delete'));
  }
  return h('tr', {}, nameCell, h('td', {}, session.role), h('td', {}, new Date(session.createdAt).toLocaleDateString()), actions);
}
// MARK: The invite link page

async function invitePage(code) {
  const link = inviteLink(code);
  const joinBox = h('div', { class: 'card' });
  if (me) {
    joinBox.append(
      h('h2', {}, 'Join in the browser'),
      h('p', {}, `You are logged in as ${me.displayName}.`),
      form([], 'Join the session', async () => {
        try {
          const result = await api.join(code);
          location.assign(`/#/s/${result.session.id}`);
        } catch (error) {
          if (error.status === 404) throw new ApiError(404, 'not_found', 'This invite does not exist (or was revoked).');
          if (error.status === 410) throw new ApiError(410, 'gone', 'This invite has expired or has been used up. Ask for a new one.');
          throw error;
        }
      }, { class: 'inline-form' }));
  } else {
    joinBox.append(
      h('h2', {}, 'Join in the browser'),
      h('p', {}, 'Log in or sign up on this server first; you come back here afterwards.'),
      h('p', {},
        h('a', { href: '/#/login', class: 'button', onclick: () => rememberNext(location.pathname) }, 'Log in'), ' ',
        h('a', { href: '/#/signup', class: 'button', onclick: () => rememberNext(location.pathname) }, 'Sign up')));
  }
  const command = `mesh join ${link}`;
  return [
    h('h1', {}, 'You are invited to a Mesh session'),
    joinBox,
    h('div', { class: 'card' },
      h('h2', {}, 'Or from your editor'),
      h('p', {}, 'In a terminal, in the folder to write the session’s files into:'),
      h('pre', { class: 'command' }, command), copyButton(command),
      h('p', {}, 'With no account on this server yet, ', h('code', {}, 'mesh join'), ' offers to sign up or log in first. Someone already logged in to this server can use the code alone: ',
        h('code', {}, `mesh join ${code}`), '.'),
      h('p', {}, 'Then open that folder in Neovim, Helix, VS Code or Emacs with ', h('code', {}, 'mesh lsp'),
        ' as a language server (docs/editors.md in the Mesh repository has each editor’s set-up). Edits, cursors, chat and annotations are shared with everyone here, in the browser too.')),
  ];
}

// MARK: Routing

async function route() {
  const path = location.pathname;
  const hash = location.hash.replace(/^#/, '') || '/';
  const parts = hash.split('/').filter(Boolean);
  // Within one session (another file), the session page follows the hash itself.
  if (page instanceof SessionPage && path === '/' && parts[0] === 's' && parts[1] === page.sessionId && parts[2] !== 'people') return;
  page?.end?.();
  page = null;
  document.body.classList.remove('wide');
  try {
    if (me === null) me = await api.me();
  } catch (error) {
    renderNav();
    return replace(main, message(`The server cannot be reached: ${describe(error)}`));
  }
  renderNav();
  let content;
  const join = /^\/join\/([^/]+)$/.exec(path);
  if (join) {
    if (!isInviteCode(join[1])) content = [h('h1', {}, 'Not an invite link'), h('p', {}, 'Check the link you were sent.')];
    else content = await invitePage(join[1]);
    document.title = 'Mesh invite';
    return replace(main, content);
  }
  if (parts[0] === 'signup') content = signupPage();
  else if (parts[0] === 'verify') content = verifyPage(parts[1] ? decodeURIComponent(parts[1]) : null);
  else if (!me || parts[0] === 'login') {
    if (!me && parts.length > 0 && parts[0] !== 'login') rememberNext(`/#${hash}`);
    content = loginPage();
  }
  else if (parts[0] === 's' && parts[1] && parts[2] === 'people') {
    const people = await peoplePage(parts[1], { me: () => me, go });
    page = { end: people.end };
    content = people.content;
  }
  else if (parts[0] === 's' && parts[1]) {
    document.body.classList.add('wide');
    replace(main);
    page = new SessionPage(main, parts[1], me);
    return page.start();
  } else content = await sessionsPage();
  document.title = 'Mesh';
  replace(main, content);
}

window.addEventListener('hashchange', () => { route().catch(showFailure); });
function showFailure(error) { replace(main, message(describe(error))); }
route().catch(showFailure);
