// Mesh for VS Code: real-time pair programming through `mesh lsp`, shared debugging through
// `mesh dap`.
//
// - Starts `mesh lsp` (vscode-languageclient) for every workspace folder inside a shared
//   folder (one holding .mesh/session.json, written by `mesh share` / `mesh join`). Remote
//   edits arrive as workspace/applyEdit, chat as window/showMessage, annotations as
//   diagnostics with code actions; all of that is plain LSP.
// - Draws the other participants' cursors and selections from the `mesh/presence`
//   notification with one TextEditorDecorationType per user (colour index 0..7 from the server).
// - Sends the local selections as `mesh/cursor` on every selection change (throttled).
// - Contributes the Mesh commands (they call workspace/executeCommand) and a `mesh` debugger
//   type that runs `mesh dap`.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const COLORS = ['#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#d19a66', '#ff79c6'];

/** @type {Map<string, Session>} one per shared root (fsPath) */
const sessions = new Map();
let output;

function settings() {
  const config = vscode.workspace.getConfiguration('mesh');
  const home = config.get('home');
  return {
    command: config.get('path') || 'mesh',
    env: home ? { ...process.env, MESH_HOME: home } : process.env,
    throttle: config.get('cursorThrottleMs') ?? 50,
  };
}

/** The folder holding .mesh/session.json at or above `dir`, or undefined. */
function sharedRoot(dir) {
  for (let current = dir; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, '.mesh', 'session.json'))) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

/** One running `mesh lsp` and the decorations it draws. */
class Session {
  constructor(root) {
    this.root = root;
    /** @type {Map<string, {cursor: vscode.TextEditorDecorationType, selection: vscode.TextEditorDecorationType, name: string}>} */
    this.styles = new Map();
    /** uri → participants last received */
    this.presence = new Map();
    this.cursorTimer = undefined;
    this.lastCursor = '';
    const { command, env } = settings();
    this.client = new LanguageClient('mesh', 'Mesh', {
      command, args: ['lsp'], options: { env, cwd: root },
    }, {
      documentSelector: [{ scheme: 'file', pattern: `${root.replace(/\\/g, '/')}/**/*` }],
      workspaceFolder: { uri: vscode.Uri.file(root), name: path.basename(root), index: 0 },
      outputChannel: output,
    });
  }

  async start() {
    this.client.onNotification('mesh/presence', (params) => this.onPresence(params));
    await this.client.start();
  }

  async stop() {
    clearTimeout(this.cursorTimer);
    for (const style of this.styles.values()) {
      style.cursor.dispose();
      style.selection.dispose();
    }
    this.styles.clear();
    await this.client.stop();
  }

  owns(document) {
    return document.uri.scheme === 'file' && document.uri.fsPath.startsWith(this.root + path.sep);
  }

  /** The decoration types of one participant, created on first sight. */
  style(participant) {
    let style = this.styles.get(participant.user);
    if (style && style.name === participant.name) return style;
    if (style) { style.cursor.dispose(); style.selection.dispose(); }
    const color = COLORS[((participant.color ?? 0) % 8 + 8) % 8];
    style = {
      name: participant.name,
      // The caret is an empty range: a thin bar drawn by a zero-width `before` attachment,
      // the name tag by an `after` attachment.
      cursor: vscode.window.createTextEditorDecorationType({
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        overviewRulerColor: color,
        overviewRulerLane: vscode.OverviewRulerLane.Full,
        before: {
          contentText: '\u200b', border: `solid ${color}`, borderWidth: '0 1px 0 1px', margin: '0 -1px 0 -1px',
        },
        after: {
          contentText: ` ${participant.name} `, color: '#000000', backgroundColor: color,
          fontWeight: 'bold', margin: '0 0 0 2px',
        },
      }),
      selection: vscode.window.createTextEditorDecorationType({
        backgroundColor: color + '40',
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    };
    this.styles.set(participant.user, style);
    return style;
  }

  onPresence(params) {
    if (!params || typeof params.uri !== 'string') return;
    const participants = params.participants || [];
    if (participants.length === 0) this.presence.delete(params.uri);
    else this.presence.set(params.uri, participants);
    for (const editor of vscode.window.visibleTextEditors) {
      if (this.client.code2ProtocolConverter.asUri(editor.document.uri) === params.uri) this.draw(editor);
    }
  }

  /** Redraws every participant in one editor from the last presence of its document. */
  draw(editor) {
    const uri = this.client.code2ProtocolConverter.asUri(editor.document.uri);
    const participants = this.presence.get(uri) || [];
    const convert = this.client.protocol2CodeConverter;
    const drawn = new Set();
    for (const participant of participants) {
      const style = this.style(participant);
      const carets = [];
      const ranges = [];
      for (const selection of participant.selections || []) {
        const anchor = editor.document.validatePosition(convert.asPosition(selection.anchor));
        const head = editor.document.validatePosition(convert.asPosition(selection.head));
        carets.push(new vscode.Range(head, head));
        if (!anchor.isEqual(head)) ranges.push(new vscode.Range(anchor, head));
      }
      // The name once, at the first caret; further carets get only the bar.
      editor.setDecorations(style.cursor, carets.slice(0, 1).map((range) => ({ range }))
        .concat(carets.slice(1).map((range) => ({ range, renderOptions: { after: { contentText: '' } } }))));
      editor.setDecorations(style.selection, ranges);
      drawn.add(participant.user);
    }
    for (const [user, style] of this.styles) {
      if (!drawn.has(user)) {
        editor.setDecorations(style.cursor, []);
        editor.setDecorations(style.selection, []);
      }
    }
  }

  /** Sends the editor's selections as mesh/cursor, at most once per throttle period. */
  cursorMoved(editor) {
    if (this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      const current = vscode.window.activeTextEditor || editor;
      if (!this.owns(current.document) || !this.client.isRunning()) return;
      const convert = this.client.code2ProtocolConverter;
      const params = {
        textDocument: { uri: convert.asUri(current.document.uri) },
        selections: current.selections.map((s) => ({ anchor: convert.asPosition(s.anchor), head: convert.asPosition(s.active) })),
      };
      const key = JSON.stringify(params);
      if (key === this.lastCursor) return;
      this.lastCursor = key;
      this.client.sendNotification('mesh/cursor', params);
    }, settings().throttle);
  }

  execute(command, args = []) {
    return this.client.sendRequest('workspace/executeCommand', { command, arguments: args });
  }
}

async function startSession(root) {
  if (sessions.has(root)) return sessions.get(root);
  const session = new Session(root);
  sessions.set(root, session);
  try {
    await session.start();
  } catch (error) {
    sessions.delete(root);
    vscode.window.showErrorMessage(`Mesh: could not start mesh lsp: ${error.message || error}`);
    return undefined;
  }
  vscode.commands.executeCommand('setContext', 'mesh.active', true);
  return session;
}

async function startForWorkspace() {
  for (const folder of vscode.workspace.workspaceFolders || []) {
    const root = sharedRoot(folder.uri.fsPath);
    if (root) await startSession(root);
  }
}

/** The session of the active editor, else the only one running. */
function currentSession() {
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    for (const session of sessions.values()) if (session.owns(editor.document)) return session;
  }
  const first = sessions.values().next();
  if (first.done) throw new Error('no Mesh session is running here (open a shared folder, or run Mesh: Share)');
  return first.value;
}

function cli(args, input) {
  const { command, env } = settings();
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args, '--json'], { env }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message));
      else resolve(JSON.parse(stdout));
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/**
 * `mesh join <link>` failed for want of a login to the link's server: asks whether to log in or
 * sign up there, then the email (and display name) and password. Returns the extra `mesh join`
 * arguments and the password for stdin, or undefined when the user cancels.
 */
async function askAccount(server) {
  const choice = await vscode.window.showWarningMessage(`Mesh: you are not logged in to ${server}.`, 'Log in', 'Sign up');
  if (!choice) return undefined;
  const email = await vscode.window.showInputBox({ prompt: `Your email on ${server}` });
  if (!email) return undefined;
  const args = ['--email', email];
  if (choice === 'Sign up') {
    const name = await vscode.window.showInputBox({ prompt: 'Your display name (what other participants see)' });
    if (!name) return undefined;
    args.push('--name', name);
  }
  const password = await vscode.window.showInputBox({ prompt: `Your password on ${server}`, password: true });
  if (!password) return undefined;
  return { args: [...args, '--password-stdin'], password };
}

function workspacePath() {
  const folder = (vscode.workspace.workspaceFolders || [])[0];
  if (!folder) throw new Error('open a folder first');
  return folder.uri.fsPath;
}

/** Wraps a command body: errors become error messages. */
function command(id, body) {
  return vscode.commands.registerCommand(id, async (...args) => {
    try {
      await body(...args);
    } catch (error) {
      vscode.window.showErrorMessage(`Mesh: ${error.message || error}`);
    }
  });
}

function activate(context) {
  output = vscode.window.createOutputChannel('Mesh');
  context.subscriptions.push(output);

  context.subscriptions.push(
    command('mesh.editor.share', async () => {
      if (sessions.size > 0) return currentSession().execute('mesh.share');
      const dir = workspacePath();
      const shared = await cli(['share', dir]);
      await startSession(dir);
      const invite = shared.url || (shared.invite && shared.invite.code);
      if (invite) {
        await vscode.env.clipboard.writeText(`mesh join ${invite}`);
        vscode.window.showInformationMessage(`Mesh: shared ${dir}. Invite copied: mesh join ${invite}`);
      }
    }),
    command('mesh.editor.join', async () => {
      const invite = await vscode.window.showInputBox({ prompt: 'Mesh invite link (http://server/join/…) or code' });
      if (!invite) return;
      if (sessions.size > 0) return currentSession().execute('mesh.join', [invite]);
      const dir = workspacePath();
      let joined;
      try {
        joined = await cli(['join', invite, dir]);
      } catch (error) {
        // A link to a server with no login here: log in or sign up there, then join.
        const missing = /not logged in to (\S+), the server of this invite/.exec(error.message);
        const account = missing && await askAccount(missing[1]);
        if (!account) throw error;
        joined = await cli(['join', invite, dir, ...account.args], `${account.password}\n`);
      }
      await startSession(dir);
      vscode.window.showInformationMessage(`Mesh: joined ${joined.session.name} (${joined.files.length} files)`);
    }),
    command('mesh.editor.chat', async () => {
      const text = await vscode.window.showInputBox({ prompt: 'Mesh chat' });
      if (text) await currentSession().execute('mesh.chat', [text]);
    }),
    command('mesh.editor.annotate', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const body = await vscode.window.showInputBox({ prompt: 'Annotation' });
      if (!body) return;
      const session = currentSession();
      const convert = session.client.code2ProtocolConverter;
      const range = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
      await session.execute('mesh.annotate', [convert.asUri(editor.document.uri), convert.asRange(range), body]);
    }),
    command('mesh.editor.follow', async () => {
      const session = currentSession();
      const people = await session.execute('mesh.who');
      const picked = await vscode.window.showQuickPick((people || []).map((p) => ({ label: p.name, description: p.path || '', user: p.user })),
        { placeHolder: 'Follow whom?' });
      if (picked) await session.execute('mesh.follow', [picked.user]);
    }),
    command('mesh.editor.unfollow', () => currentSession().execute('mesh.follow')),
    command('mesh.editor.who', () => currentSession().execute('mesh.who')),
    command('mesh.editor.invite', async () => {
      const role = await vscode.window.showQuickPick(['editor', 'viewer', 'owner'], { placeHolder: 'Role of the invitee' });
      if (!role) return;
      const invite = await currentSession().execute('mesh.invite', [role]);
      if (invite && invite.code) await vscode.env.clipboard.writeText(`mesh join ${invite.url || invite.code}`);
    }),
    command('mesh.editor.restart', async () => {
      for (const session of sessions.values()) await session.stop();
      sessions.clear();
      await startForWorkspace();
    }),
  );

  context.subscriptions.push(
    vscode.window.onDidChangeTextEditorSelection((event) => {
      for (const session of sessions.values()) {
        if (session.owns(event.textEditor.document)) session.cursorMoved(event.textEditor);
      }
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const editor of editors) {
        for (const session of sessions.values()) if (session.owns(editor.document)) session.draw(editor);
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => startForWorkspace()),
  );

  // `mesh dap` over stdio: the server runs the session's code under Delve in a sandbox.
  context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory('mesh', {
    createDebugAdapterDescriptor(session) {
      const { command: executable, env } = settings();
      // `mesh dap` finds the session from its workspace folder upwards.
      const folder = session.workspaceFolder ? session.workspaceFolder.uri.fsPath : undefined;
      const root = (folder && sharedRoot(folder)) || folder;
      const args = root ? ['dap', '--root', root] : ['dap'];
      return new vscode.DebugAdapterExecutable(executable, args, { env, cwd: root });
    },
  }));

  return startForWorkspace();
}

async function deactivate() {
  await Promise.all([...sessions.values()].map((session) => session.stop()));
  sessions.clear();
}

module.exports = { activate, deactivate };
