// The People page offers only the roles a member may be given (roles.js GRANTABLE_ROLES, the
// protocol's Role.grantable): never owner, neither in the invite form nor in a member's role menu.
// The bug: both menus offered owner, which the server then refused. Rendered here on a minimal
// stand-in for the DOM (dom.js needs only createElement, createTextNode and a few element
// methods) against a stubbed fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRANTABLE_ROLES, leniently } from '../../Sources/MeshServer/Resources/web/roles.js';

class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.attributes = {};
    this.listeners = {};
    this.className = '';
    this.textContent = '';
  }
  setAttribute(name, value) { this.attributes[name] = value; }
  getAttribute(name) { return this.attributes[name] ?? null; }
  addEventListener(type, listener) { (this.listeners[type] ??= []).push(listener); }
  appendChild(child) { this.children.push(child); return child; }
  append(...children) { this.children.push(...children); }
  replaceChildren(...children) { this.children = children; }
}

function* walk(node) {
  if (Array.isArray(node)) {
    for (const child of node) yield* walk(child);
    return;
  }
  yield node;
  for (const child of node.children ?? []) yield* walk(child);
}

/** An owner's People page with an editor and a viewer besides the owner, and no invites. */
async function ownersPeoplePage() {
  const previous = { document: globalThis.document, fetch: globalThis.fetch };
  globalThis.document = {
    cookie: '',
    createElement: (tag) => new FakeElement(tag),
    createTextNode: (text) => ({ nodeType: 3, text }),
  };
  const answers = {
    '/v1/sessions/s1': { id: 's1', name: 'Pairing', role: 'owner' },
    '/v1/sessions/s1/members': [
      { userID: 'u-ada', displayName: 'Ada', email: 'ada@example.com', role: 'owner', online: true },
      { userID: 'u-bob', displayName: 'Bob', email: 'bob@example.com', role: 'editor', online: true },
      { userID: 'u-cy', displayName: 'Cy', email: 'cy@example.com', role: 'viewer', online: false },
    ],
    '/v1/sessions/s1/invites': [],
  };
  globalThis.fetch = async (path) => {
    assert.ok(path in answers, `unexpected request ${path}`);
    return { status: 200, ok: true, headers: { get: () => 'application/json' }, json: async () => answers[path] };
  };
  try {
    const { peoplePage } = await import('../../Sources/MeshServer/Resources/web/people.js');
    const { content, end } = await peoplePage('s1', { me: () => ({ id: 'u-ada' }), go: () => {} });
    end();
    return content;
  } finally {
    globalThis.document = previous.document;
    globalThis.fetch = previous.fetch;
  }
}

test('the grantable roles are every role but owner, least power first', () => {
  assert.deepEqual([...GRANTABLE_ROLES], ['viewer', 'editor']);
  assert.ok(GRANTABLE_ROLES.every((role) => leniently(role) === role), 'roles the protocol names');
  assert.ok(Object.isFrozen(GRANTABLE_ROLES));
});

test('an owner is never offered owner to grant, in the invite form or a member\'s role menu', async () => {
  const content = await ownersPeoplePage();
  const selects = [...walk(content)].filter((node) => node.tagName === 'SELECT');
  const options = (select) => [...walk(select)].filter((node) => node.tagName === 'OPTION');
  const invite = selects.find((select) => select.attributes.name === 'role');
  assert.ok(invite, 'the invite form has a role menu');
  const memberMenus = selects.filter((select) => String(select.attributes['aria-label'] ?? '').startsWith('Role of '));
  assert.deepEqual(memberMenus.map((select) => select.attributes['aria-label']), ['Role of Bob', 'Role of Cy'],
    'a menu for each member but the owner');
  for (const select of [invite, ...memberMenus]) {
    assert.deepEqual(options(select).map((option) => option.value), ['viewer', 'editor'], select.attributes['aria-label'] ?? 'invite');
  }
  assert.deepEqual(options(invite).filter((option) => option.selected).map((option) => option.value), ['editor'], 'invites default to editor');
  assert.deepEqual(memberMenus.map((select) => options(select).find((option) => option.selected)?.value), ['editor', 'viewer'],
    'each menu shows the member\'s role');
});
