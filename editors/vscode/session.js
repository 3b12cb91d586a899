// The one `mesh lsp` of a VS Code window for the Mesh extension (extension.js): its
// LanguageClient for every workspace folder (mesh lsp serves each shared folder as a root of
// its own, with its own session, and follows workspace/didChangeWorkspaceFolders), without
// vscode-languageclient's command registration (extension.js registers the commands once and
// names the folder each is for), the middlewares that send mesh lsp only the files of the
// workspace and of shared folders, keep one rendering of the cursors and route code actions to
// their folder, the decorations drawn from `mesh/presence`, and the local cursor sent as
// `mesh/cursor`.
'use strict';

const fs = require('fs');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const COLORS = ['#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#d19a66', '#ff79c6'];

/** The commands `mesh lsp` accepts (workspace/executeCommand); extension.js registers them once. */
const SERVER_COMMANDS = ['mesh.chat', 'mesh.annotate', 'mesh.reply', 'mesh.resolve', 'mesh.follow',
  'mesh.who', 'mesh.invite', 'mesh.share', 'mesh.join', 'mesh.undo', 'mesh.redo'];

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

/** Whether an inlay hint is one of mesh lsp's cursors (labelled `‸Name`). */
function isCursorHint(hint) {
  const label = typeof hint.label === 'string' ? hint.label : (hint.label || []).map((part) => part.value).join('');
  return label.startsWith('\u2038');
}

/** The annotation id of a diagnostic mesh lsp published for an annotation, else undefined. */
function annotationId(diagnostic) {
  if (diagnostic.source !== 'mesh' || diagnostic.severity !== vscode.DiagnosticSeverity.Information) return undefined;
  const code = diagnostic.code && typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
  return typeof code === 'string' && code ? code : undefined;
}

/** Whether `folder` is `file` or holds it. */
function holds(folder, file) {
  return file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}

/** Whether an argument of a command is the one naming its folder: `{root: <file URI>}`. */
function isRootArgument(value) {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && typeof value.root === 'string';
}

/**
 * A LanguageClient without vscode-languageclient's ExecuteCommandFeature: that feature
 * registers each command of the server's executeCommandProvider as a VS Code command, which
 * fails when anything registered the id before ("command 'mesh.chat' already exists", as with
 * a client per folder). The extension registers them once instead (activate), each adding the
 * folder it is for.
 */
class MeshLanguageClient extends LanguageClient {
  registerFeature(feature) {
    if (feature && feature.registrationType && feature.registrationType.method === 'workspace/executeCommand') return;
    super.registerFeature(feature);
  }
}

/** The window's one running `mesh lsp` and the decorations it draws. */
class Session {
  /** @param {vscode.OutputChannel} output */
  constructor(output) {
    /** uri → whether mesh lsp was told of the document (didOpen) */
    this.sent = new Map();
    /** @type {Map<string, {cursor: vscode.TextEditorDecorationType, selection: vscode.TextEditorDecorationType, name: string}>} */
    this.styles = new Map();
    /** uri → participants last received */
    this.presence = new Map();
    this.cursorTimer = undefined;
    this.lastCursor = '';
    const { command, env } = settings();
    const folders = vscode.workspace.workspaceFolders || [];
    this.client = new MeshLanguageClient('mesh', 'Mesh', {
      command, args: ['lsp'], options: { env, cwd: folders.length > 0 ? folders[0].uri.fsPath : undefined },
    }, {
      // No `workspaceFolder`: the client sends every workspace folder in `initialize`, and each
      // change of them. Which files are shared changes while it runs (a folder shared, joined or
      // added) and a selector is fixed when the client starts: so every file, and the middleware
      // tells mesh lsp only of those in a workspace folder or in a shared folder.
      documentSelector: [{ scheme: 'file' }],
      outputChannel: output,
      middleware: {
        didOpen: (document, next) => {
          const owned = this.owns(document);
          this.sent.set(document.uri.toString(), owned);
          return owned ? next(document) : Promise.resolve();
        },
        didChange: (event, next) => (this.sent.get(event.document.uri.toString()) ? next(event) : Promise.resolve()),
        didClose: (document, next) => {
          const key = document.uri.toString();
          const owned = this.sent.get(key);
          this.sent.delete(key);
          return owned ? next(document) : Promise.resolve();
        },
        // The cursors are drawn as decorations (mesh/presence): mesh lsp's `‸Name` inlay
        // hints would show each of them a second time.
        provideInlayHints: async (document, viewPort, token, next) => {
          const hints = await next(document, viewPort, token);
          return hints ? hints.filter((hint) => !isCursorHint(hint)) : hints;
        },
        provideCodeActions: async (document, range, context, token, next) =>
          this.codeActions(document, (await next(document, range, context, token)) || [], context),
      },
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

  /** Whether mesh lsp serves `document`: a file in a workspace folder, or in a shared folder. */
  owns(document) {
    if (!document || document.uri.scheme !== 'file') return false;
    const file = document.uri.fsPath;
    if ((vscode.workspace.workspaceFolders || []).some((folder) => holds(folder.uri.fsPath, file))) return true;
    return !!sharedRoot(path.dirname(file));
  }

  /** The URI mesh lsp knows `document` by. */
  uri(document) {
    return this.client.code2ProtocolConverter.asUri(document.uri);
  }

  /**
   * mesh lsp's code actions, made to work here: their Mesh commands go to the document's
   * folder (through mesh.editor.run), resolving an annotation is a quick fix (older mesh lsp
   * sent it as source.mesh, which VS Code keeps out of the lightbulb), and each annotation
   * gets a "reply" quick fix, which asks for the text.
   */
  codeActions(document, actions, context) {
    const diagnostics = context.diagnostics || [];
    const uri = this.uri(document);
    const result = actions.map((action) => {
      if (typeof action.command === 'string') return this.routed(action, uri);   // a bare Command
      if (action.command && action.command.command === 'mesh.resolve') {
        const id = (action.command.arguments || [])[0];
        action.kind = vscode.CodeActionKind.QuickFix;
        action.diagnostics = diagnostics.filter((diagnostic) => annotationId(diagnostic) === id);
      }
      action.command = this.routed(action.command, uri);
      return action;
    });
    for (const diagnostic of diagnostics) {
      const id = annotationId(diagnostic);
      if (!id) continue;
      const reply = new vscode.CodeAction('Mesh: reply to this annotation…', vscode.CodeActionKind.QuickFix);
      reply.diagnostics = [diagnostic];
      reply.command = { title: reply.title, command: 'mesh.editor.reply', arguments: [uri, id] };
      result.push(reply);
    }
    return result;
  }

  /** A Mesh command of mesh lsp sent through mesh.editor.run, for the folder of `uri`. */
  routed(command, uri) {
    if (!command || !SERVER_COMMANDS.includes(command.command)) return command;
    const args = (command.arguments || []).filter((argument) => !isRootArgument(argument));
    return { title: command.title, command: 'mesh.editor.run', arguments: [uri, command.command, ...args] };
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
      if (!this.sent.get(current.document.uri.toString()) || !this.client.isRunning()) return;
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

  /**
   * Runs a command of mesh lsp for the folder of `uri` (a document's or a folder's URI), named
   * in a last argument `{root: uri}`, unless the arguments name one already (mesh lsp's code
   * actions do, in a window of several folders).
   */
  execute(command, args = [], uri = undefined) {
    const named = args.length > 0 && isRootArgument(args[args.length - 1]);
    const routed = uri && !named ? [...args, { root: uri }] : args;
    return this.client.sendRequest('workspace/executeCommand', { command, arguments: routed });
  }
}

module.exports = { Session, MeshLanguageClient, SERVER_COMMANDS, settings, sharedRoot, annotationId, isCursorHint, isRootArgument, holds };
