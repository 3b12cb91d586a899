// The debug panel's DAP side of `/v1/debug` (docs/debugging.md, docs/web.md): DAP messages, one
// per text frame, after a `hello` with a ticket. The server is Delve's only client and shares
// one debug session per Mesh session: our `seq` is ours alone (it renumbers), responses come
// back by our `request_seq`, events come to everyone, breakpoints are the union of everyone's
// (each answered with their own), and a viewer may only watch one an editor started.
//
// `DebugState` is the protocol with no I/O (tested in Tests/web/debug.test.mjs): requests and
// their responses, events, breakpoints per file, what the program is doing. The socket is
// `DebugConnection` (debugconnection.js). Nothing here touches the DOM.
import { Emitter } from './emitter.js';
import { canEdit, leniently } from './roles.js';
import { DEBUG_ROOT, dapPath, documentPath } from './debugpaths.js';

const OUTPUT_LIMIT = 2000;

/** One debug session as this page sees it.
 *
 *  `status`: idle (not attached) | starting (initialize / launch / build) | running | stopped |
 *  ended. Events: `status`, `output` ({category, output}), `stopped`, `continued`, `frames`,
 *  `variables`, `breakpoints` (path), `error` (text), `welcome`, `send` is the transport. */
export class DebugState extends Emitter {
  constructor({ send = () => {}, root = DEBUG_ROOT } = {}) {
    super();
    this.sendMessage = send;
    this.root = root;
    this.seq = 1;
    /** our seq → {command, resolve, arguments} */
    this.pending = new Map();
    this.status = 'idle';
    this.role = 'viewer';
    this.capabilities = null;
    this.initialized = false;
    this.configured = false;
    /** document path → Map(line → {verified, message}) */
    this.breakpoints = new Map();
    this.thread = null;
    this.stopReason = null;
    this.exitCode = null;
    this.output = [];
    this.frames = [];
    this.frame = null;
    /** [{name, variablesReference, expensive, children: Variable[] | null, expanded}] */
    this.scopes = [];
    /** Bumped at every stop and resume: answers about an older stop are dropped. */
    this.stopGeneration = 0;
  }

  get canControl() { return canEdit(this.role); }

  get active() { return this.status === 'starting' || this.status === 'running' || this.status === 'stopped'; }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit('status', status);
  }

  // MARK: Requests

  /** Sends a request; resolves to its response (`success` false included), or to a failed
   *  response made here when the connection ends first. */
  request(command, args) {
    const seq = this.seq++;
    const message = { seq, type: 'request', command };
    if (args !== undefined) message.arguments = args;
    return new Promise((resolve) => {
      this.pending.set(seq, { command, resolve, arguments: args });
      if (this.sendMessage(message) === false) {
        this.pending.delete(seq);
        resolve({ type: 'response', request_seq: seq, command, success: false, message: 'not connected to the debugger' });
      }
    });
  }

  /** Every request in flight is answered as failed (the connection ended). */
  abandon(reason) {
    const pending = [...this.pending.entries()];
    this.pending.clear();
    for (const [seq, { command, resolve }] of pending) {
      resolve({ type: 'response', request_seq: seq, command, success: false, message: reason });
    }
  }

  // MARK: From the server

  receive(message) {
    switch (message?.type) {
      case 'welcome':
        this.role = leniently(message.role);
        this.emit('welcome', message);
        return;
      case 'authenticated':
        this.emit('authenticated', message);
        return;
      case 'error':
        this.emit('error', message.message ?? message.code ?? 'error');
        return;
      case 'response':
        return this.response(message);
      case 'event':
        return this.event(message);
      default:
        // A reverse request (none is expected from Delve through Mesh) or something unknown.
    }
  }

  response(message) {
    const entry = this.pending.get(message.request_seq);
    if (!entry) return;
    this.pending.delete(message.request_seq);
    if (message.command === 'launch' && message.success && this.status === 'starting') this.setStatus('running');
    if (entry.command === 'setBreakpoints' && message.success) this.noteVerified(entry.arguments, message.body?.breakpoints ?? []);
    entry.resolve(message);
  }

  event(message) {
    const body = message.body ?? {};
    switch (message.event) {
      case 'initialized':
        this.initialized = true;
        this.configure();
        break;
      case 'stopped':
        this.forgetStop();   // the stack of an earlier stop, if any
        this.thread = body.threadId ?? this.thread ?? 1;
        this.stopReason = body.reason ?? 'pause';
        this.stopDescription = body.description ?? body.text ?? '';
        this.setStatus('stopped');
        this.emit('stopped', body);
        break;
      case 'continued':
        this.resumed();
        break;
      case 'output':
        this.addOutput(body.category ?? 'console', String(body.output ?? ''));
        break;
      case 'exited':
        this.exitCode = body.exitCode ?? null;
        this.emit('exited', this.exitCode);
        break;
      case 'terminated':
        this.ended();
        break;
      case 'breakpoint': {
        const breakpoint = body.breakpoint ?? {};
        const path = documentPath(breakpoint.source?.path, this.root);
        const lines = path && this.breakpoints.get(path);
        if (lines?.has(breakpoint.line)) {
          lines.set(breakpoint.line, { verified: Boolean(breakpoint.verified), message: breakpoint.message ?? '' });
          this.emit('breakpoints', path);
        }
        break;
      }
      default:
    }
    this.emit('event', message);
  }

  addOutput(category, output) {
    this.output.push({ category, output });
    if (this.output.length > OUTPUT_LIMIT) this.output.splice(0, this.output.length - OUTPUT_LIMIT);
    this.emit('output', { category, output });
  }

  /** The program runs again, stopped anew, or ended: the stack of its last stop is gone, and an
   *  answer still on its way about it is dropped (`stopGeneration`). */
  forgetStop() {
    this.stopGeneration += 1;
    this.frames = [];
    this.frame = null;
    this.scopes = [];
  }

  resumed() {
    this.forgetStop();
    if (this.status === 'stopped' || this.status === 'starting') this.setStatus('running');
    this.emit('continued');
  }

  /** The program ended (or the server ended the debug session): nothing is attached any more. */
  ended() {
    this.forgetStop();
    this.initialized = false;
    this.configured = false;
    this.setStatus('ended');
    this.emit('terminated');
  }

  // MARK: Starting and joining

  /** Starts the session's Go program under Delve, or joins the debug session running: the
   *  server answers a later participant's `initialize` with the cached capabilities and
   *  `initialized`, and its `launch` with success and the last `stopped` event. Resolves to
   *  null, or the reason it did not start. */
  async start({ program = this.root, mode = 'debug' } = {}) {
    this.setStatus('starting');
    this.exitCode = null;
    const initialize = await this.request('initialize', {
      clientID: 'mesh-web', clientName: 'Mesh in the browser', adapterID: 'go', pathFormat: 'path',
      linesStartAt1: true, columnsStartAt1: true, supportsVariableType: true, locale: 'en',
    });
    if (!initialize.success) return this.failedStart(initialize);
    this.capabilities = initialize.body ?? {};
    const launch = await this.request('launch', { mode, program });
    if (!launch.success) return this.failedStart(launch);
    if (this.status === 'starting') this.setStatus('running');
    return null;
  }

  failedStart(response) {
    const reason = response.message || response.body?.error?.format || `${response.command} failed`;
    if (this.status === 'starting') this.setStatus('idle');
    this.addOutput('important', `${reason}\n`);
    return reason;
  }

  /** After `initialized`: our breakpoints (editors), then `configurationDone` (the server
   *  answers it at once when the debug session is configured already). */
  async configure() {
    if (this.canControl) {
      await Promise.all([...this.breakpoints.keys()].map((path) => this.sendBreakpoints(path)));
    }
    const done = await this.request('configurationDone');
    this.configured = done.success;
  }

  // MARK: Breakpoints

  /** Lines (1-based) with a breakpoint in `path`, with whether the debugger verified them. */
  breakpointsOf(path) {
    return this.breakpoints.get(path) ?? new Map();
  }

  /** Sets or clears a breakpoint at a 1-based line; sent at once while a debug session runs.
   *  Returns whether the line now has one. */
  toggleBreakpoint(path, line) {
    if (!this.breakpoints.has(path)) this.breakpoints.set(path, new Map());
    const lines = this.breakpoints.get(path);
    const set = !lines.has(line);
    if (set) lines.set(line, { verified: false, message: '' }); else lines.delete(line);
    if (lines.size === 0) this.breakpoints.delete(path);
    this.emit('breakpoints', path);
    if (this.initialized && this.canControl) this.sendBreakpoints(path);
    return set;
  }

  /** `setBreakpoints` for one file: all its lines (an empty list clears them). */
  sendBreakpoints(path) {
    const lines = [...this.breakpointsOf(path).keys()].sort((a, b) => a - b);
    return this.request('setBreakpoints', {
      source: { path: dapPath(path, this.root), name: path.slice(path.lastIndexOf('/') + 1) },
      breakpoints: lines.map((line) => ({ line })),
      lines,
    });
  }

  noteVerified(args, answered) {
    const path = documentPath(args?.source?.path, this.root);
    const lines = path && this.breakpoints.get(path);
    if (!lines) return;
    const asked = (args.breakpoints ?? []).map((b) => b.line);
    asked.forEach((line, index) => {
      if (!lines.has(line)) return;   // cleared meanwhile
      const breakpoint = answered[index] ?? {};
      lines.set(line, { verified: Boolean(breakpoint.verified), message: breakpoint.message ?? '' });
    });
    this.emit('breakpoints', path);
  }

  // MARK: Stepping

  /** continue | next | stepIn | stepOut | pause, for the stopped (or last known) thread. */
  async step(command) {
    const threadId = this.thread ?? 1;
    const answer = await this.request(command, { threadId });
    if (answer.success && command !== 'pause' && this.status === 'stopped') this.resumed();
    if (!answer.success) this.emit('error', answer.message || `${command} failed`);
    return answer;
  }

  /** Ends our part: `terminate` when Delve offers it (the program ends for everyone), else
   *  `disconnect` (we leave; the program ends when no editor is left in the debug session). */
  async stop() {
    if (this.canControl && this.capabilities?.supportsTerminateRequest && this.status !== 'ended') {
      const answer = await this.request('terminate', {});
      if (answer.success) return answer;
    }
    return this.leave();
  }

  leave() {
    return this.request('disconnect', { terminateDebuggee: true });
  }

  // MARK: The program's state when stopped

  /** The call stack of the stopped thread, then the top frame's scopes and first scope's
   *  variables. Answers about an older stop are dropped. */
  async inspect() {
    const generation = this.stopGeneration;
    const stack = await this.request('stackTrace', { threadId: this.thread ?? 1, startFrame: 0, levels: 50 });
    if (generation !== this.stopGeneration) return;
    this.frames = stack.success ? (stack.body?.stackFrames ?? []) : [];
    this.emit('frames', this.frames);
    if (this.frames.length > 0) await this.selectFrame(this.frames[0]);
  }

  async selectFrame(frame) {
    const generation = this.stopGeneration;
    this.frame = frame;
    this.scopes = [];
    this.emit('frame', frame);
    const answer = await this.request('scopes', { frameId: frame.id });
    if (generation !== this.stopGeneration || this.frame !== frame) return;
    this.scopes = (answer.success ? answer.body?.scopes ?? [] : []).map((scope) => ({
      name: scope.name, variablesReference: scope.variablesReference, expensive: Boolean(scope.expensive), children: null, expanded: false,
    }));
    this.emit('variables');
    const first = this.scopes.find((s) => !s.expensive && s.variablesReference > 0);
    if (first) await this.expand(first);
  }

  /** Fetches (once) and shows the children of a scope or variable. */
  async expand(node) {
    node.expanded = true;
    if (node.children === null && node.variablesReference > 0) {
      const generation = this.stopGeneration;
      const answer = await this.request('variables', { variablesReference: node.variablesReference });
      if (generation !== this.stopGeneration) return;
      node.children = (answer.success ? answer.body?.variables ?? [] : []).map((v) => ({
        name: String(v.name ?? ''), value: String(v.value ?? ''), type: v.type ? String(v.type) : '',
        variablesReference: v.variablesReference ?? 0, children: null, expanded: false,
      }));
    }
    this.emit('variables');
  }

  collapse(node) {
    node.expanded = false;
    this.emit('variables');
  }

  /** Where the program stopped: {path (a session document, or null), line, name}. */
  get location() {
    const frame = this.frame ?? this.frames[0];
    if (!frame || this.status !== 'stopped') return null;
    return { path: documentPath(frame.source?.path, this.root), line: frame.line, name: frame.name };
  }
}
