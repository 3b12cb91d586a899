// Mesh for VS Code: real-time pair programming through `mesh lsp`, shared debugging through
// `mesh dap`.
//
// - Starts one `mesh lsp` (vscode-languageclient) for the whole window once a workspace folder
//   lies in a shared folder (one holding .mesh/session.json, written by `mesh share` /
//   `mesh join`): mesh lsp serves every workspace folder as a root of its own, each shared one
//   with its own session (possibly on its own server), and follows the folders added and removed
//   (workspace/didChangeWorkspaceFolders). Remote edits arrive as workspace/applyEdit, chat as
//   window/showMessage, annotations as diagnostics with code actions; all of that is plain LSP.
// - The commands (mesh.chat, …) are registered once, by this extension (the client leaves out
//   vscode-languageclient's registration of them); each names its folder to mesh lsp, the
//   active editor's (code actions carry their document's).
// - Draws the other participants' cursors and selections from the `mesh/presence`
//   notification with one TextEditorDecorationType per user (colour index 0..7 from the
//   server); mesh lsp's cursor inlay hints are dropped by a middleware, so each cursor shows once.
// - Sends the local selections as `mesh/cursor` on every selection change (throttled).
// - Annotations: "reply" and "resolve" are quick fixes on the annotation (lightbulb, Ctrl+.)
//   and commands ("Mesh: Reply to the annotation here…", "Mesh: Resolve the annotation here").
// - Contributes the Mesh commands and a `mesh` debugger type that runs `mesh dap`.
// session.js holds the client (middlewares, decorations, mesh/cursor).
'use strict';

const path = require('path');
const { execFile } = require('child_process');
const vscode = require('vscode');
const { Session, SERVER_COMMANDS, settings, sharedRoot, annotationId, isCursorHint, MeshLanguageClient } = require('./session');

/** The window's one `mesh lsp` (one entry, under '' — kept a Map for the tests and old callers). */
const sessions = new Map();
let output;

/** The running client, else undefined. */
function running() {
  return sessions.get('');
}

/** Starts the window's `mesh lsp` unless it runs. */
async function startClient() {
  if (running()) return running();
  const session = new Session(output);
  sessions.set('', session);
  try {
    await session.start();
  } catch (error) {
    sessions.delete('');
    vscode.window.showErrorMessage(`Mesh: could not start mesh lsp: ${error.message || error}`);
    return undefined;
  }
  vscode.commands.executeCommand('setContext', 'mesh.active', true);
  return session;
}

async function stopClient() {
  const session = running();
  sessions.delete('');
  if (session) await session.stop();
  vscode.commands.executeCommand('setContext', 'mesh.active', false);
}

/** The shared folders the workspace folders lie in (fsPaths). */
function sharedFolders() {
  const roots = new Set();
  for (const folder of vscode.workspace.workspaceFolders || []) {
    const root = sharedRoot(folder.uri.fsPath);
    if (root) roots.add(root);
  }
  return roots;
}

/**
 * Runs `mesh lsp` while a workspace folder lies in a shared folder, and stops it when none does.
 * The folders themselves reach it from the client (initialize, didChangeWorkspaceFolders).
 */
async function startForWorkspace() {
  if (sharedFolders().size > 0) await startClient();
  else if (running()) await stopClient();
}

/** The running client; an error that says what to do when there is none. */
function client() {
  const session = running();
  if (!session) throw new Error('no Mesh session is running here (open a shared folder, or run Mesh: Share)');
  return session;
}

/**
 * The folder a command is for, as the URI mesh lsp routes by: the active editor's document,
 * else the only shared folder; with several and no editor of one, an error (no guessing).
 */
function target(session) {
  const editor = vscode.window.activeTextEditor;
  if (editor && session.owns(editor.document)) return session.uri(editor.document);
  const roots = [...sharedFolders()];
  if (roots.length === 1) return session.client.code2ProtocolConverter.asUri(vscode.Uri.file(roots[0]));
  if (roots.length === 0) throw new Error('no shared folder is open here (open one, or run Mesh: Share)');
  throw new Error('several shared folders are open: focus an editor of the one you mean');
}

/** Runs a command of mesh lsp for the active editor's folder (see target). */
function run(id, args = []) {
  const session = client();
  return session.execute(id, args, target(session));
}

/** The annotations under the active editor's cursor: [{uri, id, message}]. */
function annotationsHere() {
  const editor = vscode.window.activeTextEditor;
  const session = running();
  if (!editor || !session || !session.owns(editor.document)) return [];
  const line = editor.selection.active.line;
  return vscode.languages.getDiagnostics(editor.document.uri)
    .filter((d) => annotationId(d) && d.range.start.line <= line && line <= d.range.end.line)
    .map((d) => ({ uri: session.uri(editor.document), id: annotationId(d), message: d.message }));
}

/** The annotation to act on: given by a code action (its document's uri, id), else the one at the cursor. */
async function pickAnnotation(uri, id) {
  if (uri && id) return { uri, id };
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
 * `mesh.join` failed for want of a login to the link's server: asks whether to log in or sign up
 * there, then the email (and display name) and password. Returns the `mesh login` / `mesh signup`
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
  return { args: [choice === 'Sign up' ? 'signup' : 'login', '--server', server, ...args, '--password-stdin'], password };
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

  // mesh lsp's own commands, registered once: for the active editor's folder, or (from a code
  // action, which names it) for the folder of the action's document.
  for (const id of SERVER_COMMANDS) {
    context.subscriptions.push(command(id, (...args) => run(id, args)));
  }
  context.subscriptions.push(
    command('mesh.editor.run', (uri, id, ...args) => client().execute(id, args, uri)),
    command('mesh.editor.reply', async (root, id) => {
      const annotation = await pickAnnotation(root, id);
      if (!annotation) return;
      const body = await vscode.window.showInputBox({ prompt: 'Reply to the annotation' });
      if (body) await client().execute('mesh.reply', [annotation.id, body], annotation.uri);
    }),
    command('mesh.editor.resolve', async (root, id) => {
      const annotation = await pickAnnotation(root, id);
      if (annotation) await client().execute('mesh.resolve', [annotation.id], annotation.uri);
    }),
    // Share and join go through mesh lsp (mesh.share / mesh.join for the folder): its root for
    // the folder joins the session in place, with the files already open in it.
    command('mesh.editor.share', async () => {
      const dir = await unsharedFolder('Share which folder?');
      if (!dir) return;
      const session = await startClient();
      if (!session) return;
      const shared = await session.execute('mesh.share', [], session.client.code2ProtocolConverter.asUri(vscode.Uri.file(dir)));
      const invite = shared && (shared.url || shared.code);
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
      const session = await startClient();
      if (!session) return;
      const folder = session.client.code2ProtocolConverter.asUri(vscode.Uri.file(dir));
      try {
        await session.execute('mesh.join', [invite], folder);
      } catch (error) {
        // A link to a server with no login here: log in or sign up there, then join.
        const missing = /not logged in to (\S+), the server of this invite/.exec(error.message);
        const account = missing && await askAccount(missing[1]);
        if (!account) throw error;
        await cli(account.args, `${account.password}\n`);
        await session.execute('mesh.join', [invite], folder);
      }
    }),
    command('mesh.editor.chat', async () => {
      const text = await vscode.window.showInputBox({ prompt: 'Mesh chat' });
      if (text) await run('mesh.chat', [text]);
    }),
    command('mesh.editor.annotate', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const session = client();
      const body = await vscode.window.showInputBox({ prompt: 'Annotation' });
      if (!body) return;
      const convert = session.client.code2ProtocolConverter;
      const range = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
      await run('mesh.annotate', [convert.asUri(editor.document.uri), convert.asRange(range), body]);
    }),
    command('mesh.editor.follow', async () => {
      const session = client();
      const folder = target(session);
      const people = await session.execute('mesh.who', [], folder);
      const picked = await vscode.window.showQuickPick((people || []).map((p) => ({ label: p.name, description: p.path || '', user: p.user })),
        { placeHolder: 'Follow whom?' });
      if (picked) await session.execute('mesh.follow', [picked.user], folder);
    }),
    command('mesh.editor.unfollow', () => run('mesh.follow')),
    command('mesh.editor.who', () => run('mesh.who')),
    // Your own changes only: VS Code's undo (Ctrl+Z) takes back whatever changed last in the
    // buffer, a peer's typing included.
    command('mesh.editor.undo', () => {
      const editor = vscode.window.activeTextEditor;
      if (editor) return run('mesh.undo', [editor.document.uri.toString()]);
    }),
    command('mesh.editor.redo', () => {
      const editor = vscode.window.activeTextEditor;
      if (editor) return run('mesh.redo', [editor.document.uri.toString()]);
    }),
    command('mesh.editor.invite', async () => {
      const session = client();
      const folder = target(session);
      const role = await vscode.window.showQuickPick(['editor', 'viewer', 'owner'], { placeHolder: 'Role of the invitee' });
      if (!role) return;
      const invite = await session.execute('mesh.invite', [role], folder);
      if (invite && invite.code) await vscode.env.clipboard.writeText(`mesh join ${invite.url || invite.code}`);
    }),
    command('mesh.editor.restart', async () => {
      await stopClient();
      await startForWorkspace();
    }),
  );

  context.subscriptions.push(
    vscode.window.onDidChangeTextEditorSelection((event) => {
      const session = running();
      if (session && session.owns(event.textEditor.document)) session.cursorMoved(event.textEditor);
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      const session = running();
      for (const editor of editors) if (session && session.owns(editor.document)) session.draw(editor);
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
  const session = running();
  sessions.delete('');
  if (session) await session.stop();
}

module.exports = { activate, deactivate, _test: { sessions, isCursorHint, annotationId, MeshLanguageClient, SERVER_COMMANDS } };
