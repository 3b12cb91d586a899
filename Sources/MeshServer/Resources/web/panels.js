// The run and debug panels under the session page's editor (docs/web.md). Run streams a `POST
// …/run` into a console (run.js); Debug drives the shared debug session over `/v1/debug`
// (debug.js, debugconnection.js): start or join, breakpoints from the editor's gutter,
// continue / pause / step / stop, call stack, variables, output. Editors control; viewers watch
// a debug session an editor started. Everything the program or the debugger says goes in as
// text nodes (dom.js).
import { h, replace } from './dom.js';
import { api } from './api.js';
import { canEdit } from './roles.js';
import { runProgram } from './run.js';
import { DebugState } from './debug.js';
import { DebugConnection } from './debugconnection.js';
import { programPath } from './debugpaths.js';

const CONSOLE_LIMIT = 5000;

/** Appends text to a console; `kind` is a stream (stdout, stderr), a DAP output category
 *  (console, important, …) or `meta` (the panel's own lines). */
function appendConsole(element, text, kind) {
  const cls = String(kind).replace(/[^a-z]/g, '');
  const atEnd = element.scrollTop + element.clientHeight >= element.scrollHeight - 4;
  element.append(h('span', { class: `out-${cls}` }, text));
  while (element.childElementCount > CONSOLE_LIMIT) element.firstElementChild.remove();
  if (atEnd) element.scrollTop = element.scrollHeight;
}

/** The tabs (Run, Debug) and the package both use. `page` is the SessionPage. */
export class ToolPanel {
  constructor(page) {
    this.page = page;
    this.pkg = h('input', { name: 'package', value: '.', 'aria-label': 'Go package to run or debug', title: 'Go package folder, like . or ./cmd/tool', maxlength: 1024 });
    this.run = new RunPanel(page, () => this.pkg.value.trim() || '.');
    this.debug = new DebugPanel(page, () => this.pkg.value.trim() || '.');
    this.tabs = [['run', 'Run', this.run], ['debug', 'Debug', this.debug]].map(([key, label, panel]) => {
      const button = h('button', { type: 'button', role: 'tab', class: `tab-${key}`, onclick: () => this.select(key) }, label);
      return { key, button, panel };
    });
    this.body = h('div', { class: 'tool-body' });
    this.element = h('section', { class: 'tool-panel', 'aria-label': 'Run and debug' },
      h('div', { class: 'tool-tabs', role: 'tablist' }, this.tabs.map((t) => t.button), h('span', { class: 'dim' }, ' Package '), this.pkg),
      this.body);
    this.select('run');
  }

  select(key) {
    for (const tab of this.tabs) tab.button.setAttribute('aria-selected', String(tab.key === key));
    replace(this.body, this.tabs.find((t) => t.key === key).panel.element);
    this.selected = key;
  }

  renderRole() {
    this.run.renderRole();
    this.debug.renderRole();
  }

  end() {
    this.run.stop();
    this.debug.end();
  }
}

/** Run: the session's package built and run in the sandbox; its output as it comes. */
export class RunPanel {
  constructor(page, pkg) {
    this.page = page;
    this.pkg = pkg;
    this.controller = null;
    this.runButton = h('button', { type: 'button', class: 'run-button', onclick: () => this.start() }, 'Run');
    this.stopButton = h('button', { type: 'button', class: 'run-stop', disabled: true, onclick: () => this.stop() }, 'Stop');
    this.state = h('span', { class: 'state run-state' }, 'Not run yet');
    this.output = h('pre', { class: 'console run-output', 'aria-live': 'polite' });
    this.element = h('div', { class: 'run-panel tool-body' }, h('div', { class: 'tool-bar' }, this.runButton, this.stopButton, this.state), this.output);
    this.renderRole();
  }

  get editable() { return canEdit(this.page.client?.role); }

  renderRole() {
    this.runButton.hidden = !this.editable;
    this.stopButton.hidden = !this.editable;
    if (this.controller) return;
    if (!this.editable) this.setState('Viewers can read the code; editors run it', '');
    else if (this.state.textContent.startsWith('Viewers')) this.setState('Not run yet', '');
  }

  setState(text, cls) {
    this.state.textContent = text;
    this.state.className = `state run-state ${cls}`;
  }

  async start() {
    if (this.controller || !this.editable) return;
    const controller = new AbortController();
    this.controller = controller;
    this.runButton.disabled = true;
    this.stopButton.disabled = false;
    replace(this.output);
    const pkg = this.pkg();
    this.setState(`Building and running ${pkg}…`, 'running');
    appendConsole(this.output, `$ mesh run ${pkg}\n`, 'meta');
    try {
      const last = await runProgram({
        session: this.page.sessionId, pkg, signal: controller.signal,
        onEvent: (event) => {
          if (event.kind === 'output') appendConsole(this.output, event.data, event.stream);
          else if (event.kind === 'heartbeat') this.setState(`Running ${pkg}…`, 'running');
        },
      });
      if (last?.kind === 'exit') {
        this.setState(`Exited with code ${last.code}`, last.code === 0 ? 'ok' : 'failed');
        appendConsole(this.output, `[exit code ${last.code}]\n`, 'meta');
      } else if (last?.kind === 'killed') {
        this.setState(`Stopped: ${last.reason}`, 'failed');
        appendConsole(this.output, `[stopped: ${last.reason}]\n`, 'meta');
      } else {
        this.setState('The output ended without an exit status', 'failed');
      }
    } catch (error) {
      if (error?.name === 'AbortError') {
        this.setState('Stopped', 'failed');
        appendConsole(this.output, '[stopped]\n', 'meta');
      } else {
        this.setState(`Not run: ${error?.message ?? error}`, 'failed');
      }
    } finally {
      if (this.controller === controller) this.controller = null;
      this.runButton.disabled = false;
      this.stopButton.disabled = true;
    }
  }

  /** Aborts the request: the server notices the client went away and stops the container. */
  stop() {
    this.controller?.abort();
  }
}

const LINGER_MS = 2000;
const ENDED_RETRIES = 10;

const STATUS = { idle: 'Not debugging', starting: 'Starting (building the program)…', running: 'Running', stopped: 'Paused', ended: 'Ended' };

/** Debug: the session's shared debug session. */
export class DebugPanel {
  constructor(page, pkg) {
    this.page = page;
    this.pkg = pkg;
    this.state = new DebugState();
    this.connection = null;
    this.connecting = false;
    const button = (cls, label, title, onclick) => h('button', { type: 'button', class: cls, title, onclick }, label);
    this.startButton = button('debug-start', 'Debug', 'Start the package under the debugger, or join the debug session running', () => this.start());
    this.continueButton = button('debug-continue', 'Continue', 'Continue', () => this.state.step('continue'));
    this.pauseButton = button('debug-pause', 'Pause', 'Pause', () => this.state.step('pause'));
    this.nextButton = button('debug-next', 'Step over', 'Step over', () => this.state.step('next'));
    this.stepInButton = button('debug-step-in', 'Step in', 'Step into', () => this.state.step('stepIn'));
    this.stepOutButton = button('debug-step-out', 'Step out', 'Step out', () => this.state.step('stepOut'));
    this.stopButton = button('debug-stop', 'Stop', 'End the debug session', () => this.stop());
    this.status = h('span', { class: 'state debug-state' }, STATUS.idle);
    this.frames = h('ol', { class: 'frames' });
    this.variables = h('ul', { class: 'variables' });
    this.output = h('pre', { class: 'console debug-output', 'aria-live': 'polite' });
    this.element = h('div', { class: 'debug-panel tool-body' },
      h('div', { class: 'tool-bar' }, this.startButton, this.continueButton, this.pauseButton, this.nextButton,
        this.stepInButton, this.stepOutButton, this.stopButton, this.status),
      h('div', { class: 'debug-views' },
        h('section', {}, h('h3', {}, 'Call stack'), h('div', { class: 'list' }, this.frames)),
        h('section', {}, h('h3', {}, 'Variables'), h('div', { class: 'list' }, this.variables)),
        h('section', {}, h('h3', {}, 'Output'), this.output)));

    const state = this.state;
    state.on('status', () => { this.render(); if (this.page.current) this.page.showBreakpoints(this.page.current.path); });
    state.on('output', ({ category, output }) => appendConsole(this.output, output, category));
    state.on('error', (text) => appendConsole(this.output, `${text}\n`, 'important'));
    state.on('stopped', () => { this.render(); state.inspect(); });
    state.on('continued', () => { this.render(); this.renderFrames(); this.renderVariables(); });
    state.on('frames', () => this.renderFrames());
    state.on('frame', () => { this.render(); this.renderFrames(); this.page.showExecution(state.location); });
    state.on('variables', () => this.renderVariables());
    state.on('breakpoints', (path) => this.page.showBreakpoints(path));
    state.on('exited', (code) => appendConsole(this.output, `[exit code ${code}]\n`, 'meta'));
    state.on('terminated', () => this.finished({ linger: true }));
    state.on('connection', (status, detail) => {
      if (status === 'closed' && detail && state.status !== 'idle') this.render();
    });
    this.renderRole();
  }

  get editable() { return canEdit(this.page.client?.role); }

  renderRole() {
    if (!this.connection) this.state.role = this.page.client?.role ?? 'viewer';
    this.startButton.textContent = this.editable ? 'Debug' : 'Watch';
    this.startButton.title = this.editable
      ? 'Start the package under the debugger, or join the debug session running'
      : 'Watch the debug session an editor started';
    this.stopButton.textContent = this.editable ? 'Stop' : 'Leave';
    this.page.editor?.root.classList.toggle('no-breakpoints', !this.editable);
    this.render();
  }

  render() {
    const { status } = this.state;
    const control = this.editable && this.state.canControl;
    const busy = this.connecting || this.state.active;
    this.startButton.disabled = busy;
    this.continueButton.disabled = !(control && status === 'stopped');
    this.nextButton.disabled = this.continueButton.disabled;
    this.stepInButton.disabled = this.continueButton.disabled;
    this.stepOutButton.disabled = this.continueButton.disabled;
    this.pauseButton.disabled = !(control && status === 'running');
    for (const b of [this.continueButton, this.pauseButton, this.nextButton, this.stepInButton, this.stepOutButton]) b.hidden = !this.editable;
    this.stopButton.disabled = !busy;
    let text = this.connecting && status !== 'starting' ? 'Connecting…' : STATUS[status] ?? status;
    const where = this.state.location;
    if (status === 'stopped' && where) text = `Paused at ${where.path ?? where.name}:${where.line} (${this.state.stopReason})`;
    if (status === 'ended' && this.state.exitCode !== null) text = `Ended (exit code ${this.state.exitCode})`;
    if (!this.state.canControl && this.state.active) text += ' — watching';
    this.status.textContent = text;
    this.status.className = `state debug-state ${status}`;
  }

  /** Breakpoints of `path` as the editor shows them (0-based lines). */
  editorBreakpoints(path) {
    return new Map([...this.state.breakpointsOf(path)].map(([line, b]) => [line - 1, b.verified || !this.state.active]));
  }

  /** A click in the editor's gutter (0-based line). */
  toggle(path, line) {
    if (!this.editable) {
      this.page.showNotice('Viewers cannot set breakpoints');
      return;
    }
    this.state.toggleBreakpoint(path, line + 1);
  }

  async start() {
    if (this.connecting || this.state.active) return;
    if (this.lingering) this.dropConnection();
    replace(this.output);
    this.connecting = true;
    this.render();
    try {
      // A debug session that is still ending on the server (its container being stopped) answers
      // a join "this debug session has ended; start debugging again": the page does, a moment
      // later, a few times.
      for (let attempt = 0; ; attempt += 1) {
        const reason = await this.attach();
        if (reason === null) break;
        this.dropConnection();
        if (!/has ended; start debugging again/.test(reason) || attempt >= ENDED_RETRIES) break;
        this.connecting = true;
        this.render();
        await new Promise((resolve) => { setTimeout(resolve, 500); });
        replace(this.output);
      }
    } catch (error) {
      appendConsole(this.output, `Could not connect to the debugger: ${error?.message ?? error}\n`, 'important');
      this.dropConnection();
    } finally {
      this.connecting = false;
      this.render();
    }
  }

  /** Connects (unless connected) and starts or joins; resolves to null or the reason not. */
  async attach() {
    if (!this.connection) {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const connection = new DebugConnection({
        session: this.page.sessionId, url: `${scheme}://${location.host}/v1/debug`,
        getTicket: () => api.wsTicket(this.page.sessionId), state: this.state,
      });
      this.connection = connection;
      this.offClosed = this.state.on('connection', (status) => {
        if (status === 'closed' && this.connection === connection) this.dropConnection();
      });
      await connection.open();
    }
    this.connecting = false;
    return this.state.start({ program: programPath(this.pkg()) });
  }

  async stop() {
    if (!this.connection) return;
    await this.state.stop();
    this.finished();
  }

  /** The debug session ended (or we left it). `linger`: the program's last output can come
   *  after `terminated` (mesh-relay turns its stdio into output events beside Delve's messages),
   *  so the connection stays open a moment for it before this page leaves. */
  finished({ linger = false } = {}) {
    this.page.showExecution(null);
    this.renderFrames();
    this.renderVariables();
    if (linger && this.connection) {
      clearTimeout(this.lingering);
      this.lingering = setTimeout(() => this.dropConnection(), LINGER_MS);
    } else {
      this.dropConnection();
    }
    this.render();
  }

  dropConnection() {
    clearTimeout(this.lingering);
    this.lingering = null;
    const connection = this.connection;
    this.connection = null;
    this.offClosed?.();
    connection?.close();
    this.state.initialized = false;
    this.state.configured = false;
    if (this.state.active) this.state.setStatus('ended');
    this.render();
  }

  end() {
    if (this.connection && this.state.active) this.state.leave();
    this.dropConnection();
  }

  renderFrames() {
    replace(this.frames, this.state.frames.map((frame) => {
      const file = frame.source?.path ? frame.source.path.slice(frame.source.path.lastIndexOf('/') + 1) : '?';
      return h('li', {}, h('button', {
        type: 'button', class: frame === this.state.frame ? 'selected' : '',
        title: `${frame.name} ${frame.source?.path ?? ''}:${frame.line}`,
        onclick: () => this.state.selectFrame(frame),
      }, `${frame.name}  ${file}:${frame.line}`));
    }));
  }

  renderVariables() {
    const node = (item, isScope) => {
      const expandable = item.variablesReference > 0;
      const toggle = expandable
        ? h('button', {
          type: 'button', class: 'toggle', 'aria-expanded': String(item.expanded), 'aria-label': `${item.expanded ? 'Collapse' : 'Expand'} ${item.name}`,
          onclick: () => (item.expanded ? this.state.collapse(item) : this.state.expand(item)),
        }, item.expanded ? '▾' : '▸')
        : h('span', { class: 'toggle' });
      const line = isScope
        ? h('li', { class: 'scope' }, toggle, h('strong', {}, item.name))
        : h('li', { class: 'variable', 'data-name': item.name }, toggle, h('span', { class: 'var-name' }, item.name), ' = ',
          h('span', { class: 'var-value' }, item.value), item.type ? h('span', { class: 'var-type' }, `  ${item.type}`) : null);
      if (item.expanded && item.children) line.append(h('ul', {}, item.children.map((child) => node(child, false))));
      return line;
    };
    replace(this.variables, this.state.scopes.map((scope) => node(scope, true)));
  }
}
