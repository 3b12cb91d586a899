// The session page: file tree, editor, who is here (and following them), annotations, chat,
// and under the editor the run and debug panels (panels.js).
// Everything shown from the server (names, paths, chat, annotation bodies, file text) goes in as
// text nodes (dom.js); a viewer sees all of it read-only.
import { h, replace, COLORS, timeOf } from './dom.js';
import { api } from './api.js';
import { SessionClient } from './client.js';
import { canEdit } from './roles.js';
import { colorIndex } from './hash.js';
import { Editor } from './editor.js';
import { ToolPanel } from './panels.js';
import { copyButton } from './forms.js';

const STATUS_TEXT = {
  idle: 'Not connected', connecting: 'Connecting…', open: 'Connected', reconnecting: 'Reconnecting…',
  closed: 'Disconnected', removed: 'You were removed from this session',
};

export class SessionPage {
  constructor(container, sessionId, me) {
    this.container = container;
    this.sessionId = sessionId;
    this.me = me;
    this.current = null;          // the SharedDocument in the editor
    this.following = null;        // user id
    this.offDocument = [];
    this.expanded = new Set(['']);
  }

  async start() {
    this.info = await api.session(this.sessionId);
    document.title = `${this.info.name} — Mesh`;
    this.status = h('span', { class: 'status' }, STATUS_TEXT.connecting);
    this.roleBadge = h('span', { class: 'badge' }, this.info.role);
    this.fileTitle = h('span', { class: 'file-title' }, 'No file open');
    this.docNotice = h('span', { class: 'doc-notice' });
    this.tree = h('nav', { class: 'tree', 'aria-label': 'Files' });
    this.newFile = h('form', { class: 'new-file' },
      h('input', { name: 'path', placeholder: 'new/file.go', 'aria-label': 'New file path', maxlength: 1024 }),
      h('button', { type: 'submit' }, 'New file'));
    this.newFile.addEventListener('submit', (event) => { event.preventDefault(); this.createFile(); });
    this.people = h('ul', { class: 'people' });
    this.notes = h('div', { class: 'notes' });
    this.noteForm = this.annotationForm();
    this.chatLog = h('ol', { class: 'chat-log' });
    this.chatForm = h('form', { class: 'chat-form' },
      h('input', { name: 'text', placeholder: 'Message everyone', autocomplete: 'off', maxlength: 4000, 'aria-label': 'Chat message' }),
      h('button', { type: 'submit' }, 'Send'));
    this.chatForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = this.chatForm.elements.text;
      this.client.sendChat(input.value);
      input.value = '';
    });
    const editorBox = h('div', { class: 'editor-box' });
    replace(this.container, h('div', { class: 'session' },
      h('header', { class: 'session-bar' },
        h('a', { href: '/#/sessions' }, 'Sessions'), ' / ', h('strong', {}, this.info.name), ' ', this.roleBadge, ' ',
        h('a', { href: `/#/s/${this.sessionId}/people` }, 'People'), this.status),
      h('aside', { class: 'files' }, h('h2', {}, 'Files'), this.tree, this.newFile),
      this.center = h('section', { class: 'center' }, h('div', { class: 'file-bar' }, this.fileTitle, this.docNotice), editorBox),
      h('aside', { class: 'side' },
        h('section', {}, h('h2', {}, 'Who is here'), this.people),
        h('section', {}, h('h2', {}, 'Annotations'), this.notes, this.noteForm),
        h('section', { class: 'chat' }, h('h2', {}, 'Chat'), this.chatLog, this.chatForm))));
    this.editor = new Editor(editorBox);
    this.editor.onGutterClick = (line) => { if (this.current) this.tools.debug.toggle(this.current.path, line); };
    /** Where the debugged program is stopped: {path, line} or null. */
    this.execution = null;

    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.client = new SessionClient({
      session: this.sessionId, url: `${scheme}://${location.host}/v1/ws`, getTicket: () => api.wsTicket(this.sessionId),
    });
    this.client.on('status', (status, detail) => this.showStatus(status, detail));
    this.client.on('welcome', () => { this.renderTree(); this.renderChat(); this.renderRole(); this.openFromHash(); });
    this.client.on('participants', () => this.renderPeople());
    this.client.on('chat', (m) => this.appendChat(m));
    this.client.on('role', () => this.renderRole());
    this.client.on('documents', (m) => {
      // A file created while following someone: open it too, to hear their presence there.
      if (this.following && m.change === 'created') this.client.open(m.path);
      this.renderTree();
    });
    this.client.on('presence', (m) => this.followed(m));
    this.client.on('error', (e) => this.showNotice(e.message));
    this.tools = new ToolPanel(this);
    this.center.append(this.tools.element);
    this.client.connect();
    this.onHash = () => this.openFromHash();
    window.addEventListener('hashchange', this.onHash);
  }

  end() {
    window.removeEventListener('hashchange', this.onHash);
    for (const off of this.offDocument) off();
    this.tools?.end();
    this.editor?.destroy();
    this.client?.close();
  }

  showStatus(status, detail) {
    this.status.textContent = STATUS_TEXT[status] ?? status;
    this.status.title = detail ?? '';
    this.status.className = `status ${status}`;
    if (status === 'closed' && detail) this.showNotice(detail);
  }

  /** Shows `text` above the editor for 8 s; with `action` (a button), until the next notice or
   *  the next file shown, to give the user time to use it. */
  showNotice(text, action = null) {
    replace(this.docNotice, text, action ? ' ' : null, action);
    clearTimeout(this.noticeTimer);
    if (!action) this.noticeTimer = setTimeout(() => replace(this.docNotice), 8000);
  }

  get editable() { return canEdit(this.client.role); }

  renderRole() {
    this.roleBadge.textContent = this.client.role;
    this.newFile.hidden = !this.editable;
    this.editor.updateReadOnly();
    this.renderNotes();
    this.tools?.renderRole();
  }

  // MARK: Files

  /** The document to show, from `#/s/<id>/f/<path>`. */
  openFromHash() {
    const match = /^#\/s\/[^/]+\/f\/(.+)$/.exec(location.hash);
    if (match) this.show(decodeURIComponent(match[1]));
  }

  renderTree() {
    const root = { folders: new Map(), files: [] };
    for (const path of [...this.client.documentPaths].sort()) {
      const parts = path.split('/');
      let node = root;
      for (const folder of parts.slice(0, -1)) {
        if (!node.folders.has(folder)) node.folders.set(folder, { folders: new Map(), files: [] });
        node = node.folders.get(folder);
      }
      node.files.push(path);
    }
    const build = (node, prefix) => h('ul', {},
      [...node.folders].map(([name, child]) => {
        const folderPath = `${prefix}${name}/`;
        const details = h('details', { open: this.expanded.has(folderPath) || this.current?.path.startsWith(folderPath) },
          h('summary', {}, name), build(child, folderPath));
        details.addEventListener('toggle', () => { if (details.open) this.expanded.add(folderPath); else this.expanded.delete(folderPath); });
        return h('li', { class: 'folder' }, details);
      }),
      node.files.map((path) => h('li', { class: 'file' }, h('a', {
        href: `/#/s/${this.sessionId}/f/${encodeURIComponent(path)}`,
        class: path === this.current?.path ? 'current' : '',
        'aria-current': path === this.current?.path ? 'page' : null,
      }, path.slice(path.lastIndexOf('/') + 1)))));
    replace(this.tree, this.client.documentPaths.size === 0 ? h('p', { class: 'dim' }, 'No files yet.') : build(root, ''));
  }

  createFile() {
    const input = this.newFile.elements.path;
    const path = input.value.trim();
    if (!path) return;
    input.value = '';
    const doc = this.client.open(path, { create: '' });
    if (doc.state === 'missing') return;   // refused before it was sent: the notice says why
    location.hash = `#/s/${this.sessionId}/f/${encodeURIComponent(path)}`;
  }

  /** Shows a document in the editor (opening it if needed). */
  show(path) {
    if (this.current?.path === path) return;
    for (const off of this.offDocument) off();
    const doc = this.client.open(path);
    this.current = doc;
    this.fileTitle.textContent = path;
    clearTimeout(this.noticeTimer);
    replace(this.docNotice);
    this.editor.detach();
    const attach = () => { this.editor.attach(doc); this.renderNotes(); };
    this.offDocument = [
      doc.on('ready', attach),
      doc.on('annotations', () => this.renderNotes()),
      // The text that held the refused edits (the page keeps nothing else of it) can be copied.
      doc.on('refused', (e, text) => this.showNotice(`Your edit was not applied: ${e.message}. The file is back to the session’s text.`,
        text == null ? null : copyButton(text, 'Copy your version'))),
      doc.on('resync', () => this.showNotice('Reloading the file from the server…')),
      doc.on('error', (e) => this.showNotice(e.message)),
      doc.on('state', (state) => {
        if (state === 'deleted') this.showNotice('This file was deleted.');
        if (state === 'missing') this.showNotice('This file does not exist (any more).');
      }),
    ];
    if (doc.ot !== null) attach(); else this.editor.reset('');
    this.showBreakpoints(path);
    this.editor.setExecutionLine(this.execution?.path === path ? this.execution.line - 1 : null);
    this.renderTree();
  }

  // MARK: Debugging

  /** The breakpoints of `path` in the gutter when it is the open document. */
  showBreakpoints(path) {
    if (this.current?.path === path) this.editor.setBreakpoints(this.tools.debug.editorBreakpoints(path));
  }

  /** Shows where the debugged program is stopped ({path, line}, or null: nowhere): opens the
   *  file and highlights the line. */
  showExecution(where) {
    this.execution = where?.path ? where : null;
    if (!this.execution) return this.editor.setExecutionLine(null);
    const { path, line } = this.execution;
    if (this.current?.path !== path) {
      location.hash = `#/s/${this.sessionId}/f/${encodeURIComponent(path)}`;
      this.show(path);
    }
    this.editor.setExecutionLine(line - 1);
    const reveal = () => { if (this.execution?.path === path) this.editor.revealLine(this.execution.line - 1); };
    if (this.current.ot === null) { const off = this.current.on('ready', () => { off(); reveal(); }); } else reveal();
  }

  // MARK: People and following

  renderPeople() {
    const people = [...this.client.online.values()].sort((a, b) => a.name.localeCompare(b.name));
    replace(this.people, people.map((p) => {
      const self = p.user === this.client.me?.user;
      const dot = h('span', { class: 'dot online' });
      dot.style.backgroundColor = COLORS[colorIndex(p.user)];
      const item = h('li', {}, dot, h('span', { class: 'name' }, p.name), self ? h('span', { class: 'dim' }, ' (you)') : null,
        p.role ? h('span', { class: 'dim' }, ` · ${p.role}`) : null);
      if (!self) {
        item.append(h('button', {
          type: 'button', class: 'link',
          onclick: () => this.follow(this.following === p.user ? null : p.user),
        }, this.following === p.user ? 'Stop following' : 'Follow'));
      }
      return item;
    }));
  }

  follow(user) {
    this.following = user;
    if (user) {
      // Their cursor may be in any document: follow every one, to hear their presence there.
      for (const path of this.client.documentPaths) this.client.open(path);
    }
    this.renderPeople();
  }

  followed(message) {
    if (message.user !== this.following || message.selections.length === 0) return;
    const go = () => {
      const doc = this.client.documents.get(message.path);
      const peer = doc?.presence.get(message.user);
      if (peer) this.editor.reveal(peer.selections[0].head);
    };
    if (this.current?.path !== message.path) {
      location.hash = `#/s/${this.sessionId}/f/${encodeURIComponent(message.path)}`;
      this.show(message.path);
      if (this.current.ot === null) { const off = this.current.on('ready', () => { off(); go(); }); return; }
    }
    go();
  }

  // MARK: Annotations

  annotationForm() {
    const body = h('textarea', { name: 'body', rows: 2, placeholder: 'Note on the selected text', maxlength: 16384, 'aria-label': 'Annotation' });
    const element = h('form', { class: 'note-form' }, body, h('button', { type: 'submit' }, 'Annotate selection'));
    element.addEventListener('submit', (event) => {
      event.preventDefault();
      const doc = this.current;
      if (!doc || doc.ot === null || body.value.trim() === '') return;
      const [from, to] = this.editor.selectionCp();
      doc.annotate(from, to, body.value);
      body.value = '';
    });
    return element;
  }

  renderNotes() {
    const doc = this.current;
    this.noteForm.hidden = !doc;
    if (!doc) return replace(this.notes);
    const all = [...doc.annotations.values()];
    const top = all.filter((a) => !a.parent);
    const replies = (id) => all.filter((a) => a.parent === id);
    const canDelete = (a) => a.user === this.client.me?.user || this.client.role === 'owner';
    replace(this.notes, top.length === 0 ? h('p', { class: 'dim' }, 'None in this file.') : h('ul', {}, top.map((a) => {
      const reply = h('form', { class: 'reply', hidden: true },
        h('input', { name: 'body', placeholder: 'Reply', maxlength: 16384, 'aria-label': 'Reply' }), h('button', { type: 'submit' }, 'Reply'));
      reply.addEventListener('submit', (event) => {
        event.preventDefault();
        const text = reply.elements.body.value;
        if (text.trim() === '') return;
        doc.annotate(a.from, a.to, text, a.id);
        reply.elements.body.value = '';
      });
      return h('li', { class: a.resolved ? 'note resolved' : 'note' },
        h('button', { type: 'button', class: 'link where', onclick: () => this.editor.reveal(a.from) }, `${a.name}:`),
        ' ', h('span', { class: 'body' }, a.body),
        h('ul', { class: 'replies' }, replies(a.id).map((r) => h('li', {}, h('strong', {}, `${r.name}: `), h('span', { class: 'body' }, r.body),
          canDelete(r) ? h('button', { type: 'button', class: 'link danger', onclick: () => this.client.deleteAnnotation(r.id) }, 'Delete') : null))),
        h('div', { class: 'note-actions' },
          h('button', { type: 'button', class: 'link', onclick: () => { reply.hidden = !reply.hidden; } }, 'Reply'),
          this.editable ? h('button', { type: 'button', class: 'link', onclick: () => this.client.resolve(a.id) }, a.resolved ? 'Reopen' : 'Resolve') : null,
          canDelete(a) ? h('button', { type: 'button', class: 'link danger', onclick: () => this.client.deleteAnnotation(a.id) }, 'Delete') : null),
        reply);
    })));
    this.editor.schedule();
  }

  // MARK: Chat

  renderChat() {
    replace(this.chatLog);
    for (const m of this.client.chat) this.appendChat(m);
  }

  appendChat(m) {
    const self = m.user === this.client.me?.user;
    const name = h('span', { class: 'name' }, m.name);
    name.style.color = COLORS[colorIndex(m.user)];
    this.chatLog.append(h('li', { class: self ? 'mine' : '' }, h('time', { datetime: m.at }, timeOf(m.at)), ' ', name, ' ', h('span', { class: 'text' }, m.text)));
    while (this.chatLog.childElementCount > 500) this.chatLog.firstElementChild.remove();
    this.chatLog.scrollTop = this.chatLog.scrollHeight;
  }
}
