// Mesh for VS Code: real-time pair programming through `mesh lsp`, shared debugging through
// `mesh dap`.
//
// - Starts one `mesh lsp` (vscode-languageclient) per shared folder that a workspace folder
//   lies in (a shared folder holds .mesh/session.json, written by `mesh share` / `mesh join`).
//   Remote edits arrive as workspace/applyEdit, chat as window/showMessage, annotations as
//   diagnostics with code actions; all of that is plain LSP.
// - vscode-languageclient would register the server's commands (mesh.chat, …) as VS Code
//   commands once per client, and VS Code refuses the second ("command 'mesh.chat' already
//   exists"): each client leaves that feature out, and this extension registers the commands
//   once, sending each to the client of the right folder (code actions carry the folder).
// - Draws the other participants' cursors and selections from the `mesh/presence`
//   notification with one TextEditorDecorationType per user (colour index 0..7 from the
//   server); mesh lsp's cursor inlay hints are dropped by a middleware, so each cursor shows once.
// - Sends the local selections as `mesh/cursor` on every selection change (throttled).
// - Annotations: "reply" and "resolve" are quick fixes on the annotation (lightbulb, Ctrl+.)
//   and commands ("Mesh: Reply to the annotation here…", "Mesh: Resolve the annotation here").
// - Contributes the Mesh commands and a `mesh` debugger type that runs `mesh dap`.
// session.js holds the per-folder part (client, middlewares, decorations, mesh/cursor).
'use strict';

const path = require('path');
const { execFile } = require('child_process');
const vscode = require('vscode');
const { Session, SERVER_COMMANDS, settings, sharedRoot, annotationId, isCursorHint, MeshLanguageClient } = require('./session');

/** @type {Map<string, Session>} one per shared root (fsPath) */
const sessions = new Map();
let output;

async function startSession(root) {
  if (sessions.has(root)) return sessions.get(root);
  const session = new Session(root, output);
  sessions.set(root, session);
  try {
    await session.start();
  } catch (error) {
    sessions.delete(root);
    vscode.window.showErrorMessage(`Mesh: could not start mesh lsp for ${root}: ${error.message || error}`);
    return undefined;
  }
  vscode.commands.executeCommand('setContext', 'mesh.active', true);
  return session;
}

/** Starts a session for every shared root of the workspace folders; stops those left. */
async function startForWorkspace() {
  const roots = new Set();
  for (const folder of vscode.workspace.workspaceFolders || []) {
    const root = sharedRoot(folder.uri.fsPath);
    if (root) roots.add(root);
  }
  for (const [root, session] of [...sessions]) {
    if (!roots.has(root)) {
      sessions.delete(root);
      await session.stop();
    }
  }
  for (const root of roots) await startSession(root);
  vscode.commands.executeCommand('setContext', 'mesh.active', sessions.size > 0);
}

/** The session of the active editor, else the only one running. */
function currentSession() {
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    for (const session of sessions.values()) if (session.owns(editor.document)) return session;
  }
  if (sessions.size === 0) throw new Error('no Mesh session is running here (open a shared folder, or run Mesh: Share)');
  if (sessions.size > 1) throw new Error('several shared folders are open: focus an editor of the one you mean');
  return sessions.values().next().value;
}

function sessionFor(root) {
  const session = sessions.get(root);
  if (!session) throw new Error(`no Mesh session runs for ${root}`);
  return session;
}

/** The annotations under the active editor's cursor: [{session, id, message}]. */
function annotationsHere() {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return [];
  const session = [...sessions.values()].find((s) => s.owns(editor.document));
  if (!session) return [];
  const line = editor.selection.active.line;
  return vscode.languages.getDiagnostics(editor.document.uri)
    .filter((d) => annotationId(d) && d.range.start.line <= line && line <= d.range.end.line)
    .map((d) => ({ session, id: annotationId(d), message: d.message }));
}

/** The annotation to act on: given by a code action (root, id), else the one at the cursor. */
async function pickAnnotation(root, id) {
  if (root && id) return { session: sessionFor(root), id };
  const here = annotationsHere();
  if (here.length === 0) throw new Error('no Mesh annotation at the cursor');
  if (here.length === 1) return here[0];
  const picked = await vscode.window.showQuickPick(here.map((a) => ({ label: a.message.split('\n')[0], detail: a.message, annotation: a })),
    { placeHolder: 'Which annotation?' });
  return picked && picked.annotation;
}

/** A workspace folder that is not shared yet (the active editor's, else the only one, else asked). */
async function unsharedFolder(purpose) {
  const folders = (vscode.workspace.workspaceFolders || []).filter((f) => !sharedRoot(f.uri.fsPath));
  if (folders.length === 0) throw new Error('open a folder that is not shared yet first');
  const editor = vscode.window.activeTextEditor;
  const active = editor && folders.find((f) => editor.document.uri.fsPath.startsWith(f.uri.fsPath + path.sep));
  if (active) return active.uri.fsPath;
  if (folders.length === 1) return folders[0].uri.fsPath;
  const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: purpose });
  return picked && folders.includes(picked) ? picked.uri.fsPath : undefined;
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

/** Wraps a command body: errors become error messages. */
function command(id, body) {
  return vscode.commands.registerCommand(id, async (...args) => {
    try {
      return await body(...args);
    } catch (error) {
      vscode.window.showErrorMessage(`Mesh: ${error.message || error}`);
      return undefined;
    }
  });
}

function activate(context) {
  output = vscode.window.createOutputChannel('Mesh');
  context.subscriptions.push(output);

  // mesh lsp's own commands, once for every client: to the active editor's session, or (from
  // a code action) to the folder it names.
  for (const id of SERVER_COMMANDS) {
    context.subscriptions.push(command(id, (...args) => currentSession().execute(id, args)));
  }
  context.subscriptions.push(
    command('mesh.editor.run', (root, id, ...args) => sessionFor(root).execute(id, args)),
    command('mesh.editor.reply', async (root, id) => {
      const annotation = await pickAnnotation(root, id);
      if (!annotation) return;
      const body = await vscode.window.showInputBox({ prompt: 'Reply to the annotation' });
      if (body) await annotation.session.execute('mesh.reply', [annotation.id, body]);
    }),
    command('mesh.editor.resolve', async (root, id) => {
      const annotation = await pickAnnotation(root, id);
      if (annotation) await annotation.session.execute('mesh.resolve', [annotation.id]);
    }),
    command('mesh.editor.share', async () => {
      const dir = await unsharedFolder('Share which folder?');
      if (!dir) return;
      const shared = await cli(['share', dir]);
      await startSession(dir);
      const invite = shared.url || (shared.invite && shared.invite.code);
      if (invite) {
        await vscode.env.clipboard.writeText(`mesh join ${invite}`);
        vscode.window.showInformationMessage(`Mesh: shared ${dir}. Invite copied: mesh join ${invite}`);
      }
    }),
    command('mesh.editor.join', async () => {
      const dir = await unsharedFolder('Join into which folder?');
      if (!dir) return;
      const invite = await vscode.window.showInputBox({ prompt: 'Mesh invite link (http://server/join/…) or code' });
      if (!invite) return;
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
      const session = currentSession();
      const text = await vscode.window.showInputBox({ prompt: 'Mesh chat' });
      if (text) await session.execute('mesh.chat', [text]);
    }),
    command('mesh.editor.annotate', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const session = currentSession();
      const body = await vscode.window.showInputBox({ prompt: 'Annotation' });
      if (!body) return;
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
    // Your own changes only: VS Code's undo (Ctrl+Z) takes back whatever changed last in the
    // buffer, a peer's typing included.
    command('mesh.editor.undo', () => {
      const editor = vscode.window.activeTextEditor;
      if (editor) return currentSession().execute('mesh.undo', [editor.document.uri.toString()]);
    }),
    command('mesh.editor.redo', () => {
      const editor = vscode.window.activeTextEditor;
      if (editor) return currentSession().execute('mesh.redo', [editor.document.uri.toString()]);
    }),
    command('mesh.editor.invite', async () => {
      const session = currentSession();
      const role = await vscode.window.showQuickPick(['editor', 'viewer', 'owner'], { placeHolder: 'Role of the invitee' });
      if (!role) return;
      const invite = await session.execute('mesh.invite', [role]);
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

module.exports = { activate, deactivate, _test: { sessions, isCursorHint, annotationId, MeshLanguageClient, SERVER_COMMANDS } };
