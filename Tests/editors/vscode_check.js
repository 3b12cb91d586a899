#!/usr/bin/env node
// Loads editors/vscode/extension.js in Node against stand-ins for the `vscode` API and for
// vscode-languageclient 9 (neither can run here: no VS Code, no npm packages). The stand-ins
// copy the two behaviours that matter, from vscode-languageclient's sources
// (client/src/common/client.ts, executeCommand.ts): a LanguageClient registers its built-in
// features from its constructor, and ExecuteCommandFeature registers every command of the
// server's executeCommandProvider as a VS Code command when the client starts; VS Code's
// command registry refuses an id registered twice ("command 'mesh.chat' already exists").
//
// Checks: the stand-in reproduces the failure with two plain clients; the extension starts one
// client for the window (two shared folders and an unshared one here), with every workspace
// folder (no `workspaceFolder` pinned) and a selector of files, and registers every Mesh
// command once; the middleware tells mesh lsp of the files in workspace or shared folders only;
// commands name their folder as a last argument {root: uri}: the active editor's document, the
// only shared folder without an editor, the document of a code action (a root mesh lsp's action
// carries already is not repeated), and fail without guessing when several folders could be
// meant; the inlay-hint middleware drops mesh lsp's cursor hints (the decorations draw them)
// and keeps others; code actions: resolve is a quick fix tied to its diagnostic, reply is
// offered and asks for its text; the palette's reply / resolve find the annotation at the
// cursor; Share goes through mesh lsp for the folder; the client stops when no shared folder is
// left and starts again with one; package.json's commands and the registered ones agree.
// Prints PASS, or FAIL with the reason (exit 1).
'use strict';

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

const REPO = path.resolve(__dirname, '..', '..');
const EXTENSION = path.join(REPO, 'editors', 'vscode', 'extension.js');
const PACKAGE = path.join(REPO, 'editors', 'vscode', 'package.json');

// ---- the vscode stand-in ------------------------------------------------------------------
const registry = new Map();
const shownErrors = [];
const inputAnswers = [];
const diagnosticsByUri = new Map();
const state = { activeTextEditor: undefined, workspaceFolders: [] };

class Position {
  constructor(line, character) { this.line = line; this.character = character; }
  isEqual(other) { return this.line === other.line && this.character === other.character; }
}
class Range {
  constructor(start, end) { this.start = start; this.end = end; }
  get isEmpty() { return this.start.isEqual(this.end); }
}
class CodeActionKind {
  constructor(value) { this.value = value; }
}
CodeActionKind.QuickFix = new CodeActionKind('quickfix');
CodeActionKind.Source = new CodeActionKind('source');
class CodeAction {
  constructor(title, kind) { this.title = title; this.kind = kind; }
}
const Uri = {
  file(fsPath) { return { scheme: 'file', fsPath, toString: () => `file://${fsPath}` }; },
};
const disposable = { dispose() {} };
const event = () => () => disposable;
const folderListeners = [];

const vscode = {
  Position, Range, CodeAction, CodeActionKind, Uri,
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  DecorationRangeBehavior: { ClosedClosed: 1 },
  OverviewRulerLane: { Full: 7 },
  DebugAdapterExecutable: class { constructor(command, args, options) { Object.assign(this, { command, args, options }); } },
  commands: {
    registerCommand(id, callback) {
      if (registry.has(id)) throw new Error(`command '${id}' already exists`);
      registry.set(id, callback);
      return { dispose() { registry.delete(id); } };
    },
    async executeCommand(id, ...args) {
      if (id === 'setContext') return undefined;
      const callback = registry.get(id);
      if (!callback) throw new Error(`command '${id}' not found`);
      return callback(...args);
    },
  },
  workspace: {
    get workspaceFolders() { return state.workspaceFolders; },
    getConfiguration() { return { get: (key) => ({ path: 'mesh', home: '', cursorThrottleMs: 50 })[key] }; },
    onDidChangeWorkspaceFolders(listener) { folderListeners.push(listener); return disposable; },
  },
  window: {
    get activeTextEditor() { return state.activeTextEditor; },
    get visibleTextEditors() { return state.activeTextEditor ? [state.activeTextEditor] : []; },
    createOutputChannel() { return { appendLine() {}, dispose() {} }; },
    showErrorMessage(message) { shownErrors.push(message); return Promise.resolve(undefined); },
    showInformationMessage() { return Promise.resolve(undefined); },
    showWarningMessage() { return Promise.resolve(undefined); },
    showInputBox() { return Promise.resolve(inputAnswers.shift()); },
    showQuickPick(items) { return Promise.resolve(items[0]); },
    showWorkspaceFolderPick() { return Promise.resolve(undefined); },
    createTextEditorDecorationType() { return { dispose() {} }; },
    onDidChangeTextEditorSelection: event(),
    onDidChangeVisibleTextEditors: event(),
  },
  languages: {
    getDiagnostics(uri) { return diagnosticsByUri.get(uri.fsPath) || []; },
  },
  debug: { registerDebugAdapterDescriptorFactory() { return disposable; } },
  env: { clipboard: { writeText: async () => undefined } },
};

// ---- the vscode-languageclient stand-in ---------------------------------------------------
const clients = [];

class ExecuteCommandFeature {
  constructor(client) { this.client = client; this.registrationType = { method: 'workspace/executeCommand' }; }
  initialize(capabilities) {
    for (const command of (capabilities.executeCommandProvider || {}).commands || []) {
      vscode.commands.registerCommand(command, (...args) => this.client.sendRequest('workspace/executeCommand', { command, arguments: args }));
    }
  }
}

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, features: [], requests: [], running: false });
    this.middleware = clientOptions.middleware || {};
    this.code2ProtocolConverter = {
      asUri: (uri) => uri.toString(),
      asPosition: (p) => ({ line: p.line, character: p.character }),
      asRange: (r) => ({ start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } }),
    };
    this.protocol2CodeConverter = { asPosition: (p) => new Position(p.line, p.character) };
    this.registerBuiltinFeatures();
    clients.push(this);
  }
  registerBuiltinFeatures() {
    this.registerFeature(new ExecuteCommandFeature(this));
    this.registerFeature({ registrationType: { method: 'textDocument/inlayHint' }, initialize() {} });
  }
  registerFeature(feature) { this.features.push(feature); }
  onNotification() { return disposable; }
  async start() {
    const capabilities = { executeCommandProvider: { commands: ['mesh.chat', 'mesh.annotate', 'mesh.reply', 'mesh.resolve', 'mesh.follow', 'mesh.who', 'mesh.invite', 'mesh.share', 'mesh.join'] } };
    for (const feature of this.features) feature.initialize(capabilities);
    this.running = true;
  }
  async stop() { this.running = false; }
  isRunning() { return this.running; }
  sendRequest(method, params) { this.requests.push({ method, params }); return Promise.resolve(method === 'workspace/executeCommand' && params.command === 'mesh.who' ? [] : null); }
  // What the sync features do with an opened document: through the middleware, if any.
  async open(document) {
    const send = async (doc) => { this.requests.push({ method: 'textDocument/didOpen', params: { uri: doc.uri.toString() } }); };
    return this.middleware.didOpen ? this.middleware.didOpen(document, send) : send(document);
  }
  sendNotification() {}
}

const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === 'vscode') return vscode;
  if (request === 'vscode-languageclient/node') return { LanguageClient };
  return originalLoad.call(this, request, parent, isMain);
};

// ---- helpers ------------------------------------------------------------------------------
function editorIn(root, line = 0) {
  const uri = Uri.file(path.join(root, 'notes.txt'));
  const position = new Position(line, 0);
  return { document: { uri }, selection: { active: position, isEmpty: true }, selections: [] };
}

function executed(client) {
  return client.requests.filter((r) => r.method === 'workspace/executeCommand').map((r) => [r.params.command, ...r.params.arguments]);
}

function annotation(id, line, wrapCode) {
  return { source: 'mesh', severity: vscode.DiagnosticSeverity.Information, code: wrapCode ? { value: id, target: undefined } : id,
    message: `Ada: look ${id}`, range: new Range(new Position(line, 0), new Position(line, 5)) };
}

async function main() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-vscode-'));
  try {
    const roots = ['alpha', 'beta'].map((name) => {
      const root = path.join(base, name);
      fs.mkdirSync(path.join(root, '.mesh'), { recursive: true });
      fs.writeFileSync(path.join(root, '.mesh', 'session.json'), '{}');
      return root;
    });
    const [alpha, beta] = roots;
    const gamma = path.join(base, 'gamma');   // a workspace folder not shared yet
    fs.mkdirSync(gamma, { recursive: true });
    const folderEntry = (root, index) => ({ uri: Uri.file(root), name: path.basename(root), index });
    const docUri = (root) => Uri.file(path.join(root, 'notes.txt')).toString();
    const named = (root) => ({ root: docUri(root) });

    // 0. The stand-in reproduces the bug: two plain clients register mesh.chat twice.
    const first = new LanguageClient('mesh', 'a', {}, {});
    const second = new LanguageClient('mesh', 'b', {}, {});
    await first.start();
    await assert.rejects(second.start(), /command 'mesh.chat' already exists/);
    registry.clear();
    clients.length = 0;

    // 1. Two shared folders and an unshared one: one client for all, every Mesh command
    //    registered once, no error.
    const extension = require(EXTENSION);
    state.workspaceFolders = [alpha, beta, gamma].map(folderEntry);
    const context = { subscriptions: [] };
    await extension.activate(context);
    assert.deepStrictEqual(shownErrors, [], 'no error at start');
    assert.strictEqual(clients.length, 1, 'one client for the window');
    const [meshClient] = clients;
    assert.ok(meshClient.isRunning(), 'the client started');
    assert.strictEqual(meshClient.clientOptions.workspaceFolder, undefined, 'no folder pinned: the client sends every workspace folder');
    assert.deepStrictEqual(meshClient.clientOptions.documentSelector, [{ scheme: 'file' }]);
    assert.strictEqual(extension._test.sessions.size, 1);
    for (const id of extension._test.SERVER_COMMANDS) assert.ok(registry.has(id), `${id} registered`);
    const log = ['one client for every folder, every command registered once'];

    // 2. mesh lsp hears of the files in workspace folders and shared folders only.
    const outside = path.join(base, 'elsewhere', 'x.txt');
    await meshClient.open({ uri: Uri.file(outside) });
    await meshClient.open(editorIn(gamma).document);
    await meshClient.open(editorIn(beta).document);
    assert.deepStrictEqual(meshClient.requests.filter((r) => r.method === 'textDocument/didOpen').map((r) => r.params.uri),
      [docUri(gamma), docUri(beta)]);
    meshClient.requests.length = 0;
    log.push('files outside the workspace and shared folders are not sent');

    // 3. A palette command names the active editor's folder.
    state.activeTextEditor = editorIn(beta);
    inputAnswers.push('hi from beta');
    await vscode.commands.executeCommand('mesh.editor.chat');
    assert.deepStrictEqual(executed(meshClient), [['mesh.chat', 'hi from beta', named(beta)]]);
    await vscode.commands.executeCommand('mesh.who');
    assert.deepStrictEqual(executed(meshClient).pop(), ['mesh.who', named(beta)]);
    log.push('commands name the active editor\'s folder');

    // 4. Inlay hints: the cursors (‸Name) are dropped, other hints kept.
    const hints = [{ label: '\u2038Ada' }, { label: ': int' }, { label: [{ value: '\u2038' }, { value: 'Bob' }] }];
    const kept = await meshClient.middleware.provideInlayHints({}, new Range(new Position(0, 0), new Position(9, 0)), {}, async () => hints);
    assert.deepStrictEqual(kept.map((h) => h.label), [': int']);
    log.push('inlay hints: mesh lsp\'s cursor hints dropped (drawn as decorations), others kept');

    // 5. Code actions, as an older mesh lsp sends them (resolve as source.mesh) and as the
    //    new one does (quickfix, its root named when there are several): resolve is a quick fix
    //    on its diagnostic, reply is added, commands carry their document's folder.
    const diagnostic = annotation('id-1', 2, false);
    for (const [kind, extra] of [[new CodeActionKind('source.mesh'), []], [CodeActionKind.QuickFix, [named(beta)]]]) {
      meshClient.requests.length = 0;
      const resolve = new CodeAction('Mesh: resolve this annotation', kind);
      resolve.command = { title: resolve.title, command: 'mesh.resolve', arguments: ['id-1', ...extra] };
      const who = new CodeAction('Mesh: who is here', new CodeActionKind('source.mesh'));
      who.command = { title: who.title, command: 'mesh.who', arguments: [...extra] };
      const actions = await meshClient.middleware.provideCodeActions(editorIn(beta).document, diagnostic.range,
        { diagnostics: [diagnostic] }, {}, async () => [resolve, who]);
      const byTitle = new Map(actions.map((a) => [a.title, a]));
      const fixed = byTitle.get('Mesh: resolve this annotation');
      assert.strictEqual(fixed.kind.value, 'quickfix');
      assert.deepStrictEqual(fixed.diagnostics, [diagnostic]);
      assert.deepStrictEqual(fixed.command.arguments, [docUri(beta), 'mesh.resolve', 'id-1']);
      assert.strictEqual(fixed.command.command, 'mesh.editor.run');
      assert.strictEqual(byTitle.get('Mesh: who is here').kind.value, 'source.mesh');
      const reply = byTitle.get('Mesh: reply to this annotation…');
      assert.ok(reply && reply.kind.value === 'quickfix', 'a reply quick fix');
      assert.deepStrictEqual(reply.command.arguments, [docUri(beta), 'id-1']);
      // Run them as VS Code would, with the focus elsewhere: they still name beta.
      state.activeTextEditor = editorIn(alpha);
      await vscode.commands.executeCommand(fixed.command.command, ...fixed.command.arguments);
      inputAnswers.push('fine by me');
      await vscode.commands.executeCommand(reply.command.command, ...reply.command.arguments);
      assert.deepStrictEqual(executed(meshClient), [['mesh.resolve', 'id-1', named(beta)], ['mesh.reply', 'id-1', 'fine by me', named(beta)]]);
      // A command mesh lsp's action named a root for keeps that one, once.
      meshClient.requests.length = 0;
      await vscode.commands.executeCommand('mesh.resolve', 'id-1', named(beta));
      assert.deepStrictEqual(executed(meshClient), [['mesh.resolve', 'id-1', named(beta)]]);
    }
    log.push('code actions: resolve is a quick fix on its diagnostic, reply offered, both name the folder they came from');

    // 6. The palette's reply and resolve act on the annotation under the cursor.
    meshClient.requests.length = 0;
    state.activeTextEditor = editorIn(alpha, 4);
    diagnosticsByUri.set(path.join(alpha, 'notes.txt'), [annotation('id-2', 4, true), { ...annotation('sel', 4, false), severity: vscode.DiagnosticSeverity.Hint }]);
    inputAnswers.push('on it');
    await vscode.commands.executeCommand('mesh.editor.reply');
    await vscode.commands.executeCommand('mesh.editor.resolve');
    assert.deepStrictEqual(executed(meshClient), [['mesh.reply', 'id-2', 'on it', named(alpha)], ['mesh.resolve', 'id-2', named(alpha)]]);
    state.activeTextEditor = editorIn(alpha, 9);
    await vscode.commands.executeCommand('mesh.editor.resolve');
    assert.match(shownErrors.pop() || '', /no Mesh annotation at the cursor/);
    log.push('palette: reply / resolve act on the annotation at the cursor');

    // 7. With two shared folders and no editor, a command says which folder is meant, no guessing.
    state.activeTextEditor = undefined;
    await vscode.commands.executeCommand('mesh.editor.who');
    assert.match(shownErrors.pop() || '', /several shared folders/);

    // 8. Share: the unshared folder of the active editor, through mesh lsp, naming the folder.
    meshClient.requests.length = 0;
    state.activeTextEditor = editorIn(gamma);
    await vscode.commands.executeCommand('mesh.editor.share');
    assert.deepStrictEqual(shownErrors, []);
    assert.deepStrictEqual(executed(meshClient), [['mesh.share', { root: Uri.file(gamma).toString() }]]);
    log.push('share: through mesh lsp, for the folder');

    // 9. Folders removed until none is shared: the client stops; one shared again: it starts,
    //    and with one shared folder and no editor, commands name that folder.
    state.workspaceFolders = [folderEntry(gamma, 0)];
    for (const listener of folderListeners) await listener({ added: [], removed: [] });
    assert.ok(!meshClient.isRunning() && extension._test.sessions.size === 0, 'no shared folder left: the client stopped');
    state.workspaceFolders = [folderEntry(gamma, 0), folderEntry(alpha, 1)];
    for (const listener of folderListeners) await listener({ added: [], removed: [] });
    assert.strictEqual(clients.length, 2);
    const restarted = clients[1];
    assert.ok(restarted.isRunning(), 'a shared folder again: a client runs');
    state.activeTextEditor = undefined;
    await vscode.commands.executeCommand('mesh.editor.who');
    assert.deepStrictEqual(executed(restarted), [['mesh.who', { root: Uri.file(alpha).toString() }]]);
    log.push('the client stops with the last shared folder and starts with the next; one shared folder is the default');

    // 10. package.json and the registrations agree.
    const manifest = JSON.parse(fs.readFileSync(PACKAGE, 'utf8'));
    const contributed = manifest.contributes.commands.map((c) => c.command);
    const registered = [...registry.keys()].filter((id) => id.startsWith('mesh.editor.') && id !== 'mesh.editor.run');
    assert.deepStrictEqual(new Set(contributed), new Set(registered), 'contributed commands = registered mesh.editor.* commands');
    for (const item of manifest.contributes.menus['editor/context']) assert.ok(contributed.includes(item.command));
    assert.ok(manifest.activationEvents.includes('workspaceContains:.mesh/session.json'));
    log.push('package.json: contributed commands = registered ones');

    await extension.deactivate();
    assert.ok(clients.every((client) => !client.isRunning()), 'deactivate stops the client');
    for (const line of log) console.log(`vscode: ${line}`);
    console.log('PASS');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.log(`FAIL: ${error.stack || error}`);
  process.exit(1);
});
