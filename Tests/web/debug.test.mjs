// The debug panel's protocol logic, with no browser: debug.js's DebugState (DAP sequence
// numbers, request/response matching, breakpoints per file, stopped / continued / terminated,
// starting and joining, viewers) and DebugConnection (hello with a ticket, welcome, renewal,
// refusal, a lost connection) against fakes. run.js is tested in run.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebugState } from '../../Sources/MeshServer/Resources/web/debug.js';
import { DebugConnection } from '../../Sources/MeshServer/Resources/web/debugconnection.js';
import { dapPath, documentPath, programPath } from '../../Sources/MeshServer/Resources/web/debugpaths.js';

/** A DebugState whose sent messages are kept; `answer(seq, …)` plays the server. */
function harness(role = 'editor') {
  const sent = [];
  const state = new DebugState({ send: (m) => { sent.push(m); } });
  state.receive({ type: 'welcome', role });
  const events = [];
  for (const name of ['status', 'stopped', 'continued', 'terminated', 'breakpoints', 'output', 'error']) {
    state.on(name, (...args) => events.push([name, ...args]));
  }
  let serverSeq = 1;
  const answer = (request, fields = {}) => state.receive({
    type: 'response', seq: serverSeq++, request_seq: request.seq, command: request.command, success: true, ...fields,
  });
  const event = (name, body) => state.receive({ type: 'event', seq: serverSeq++, event: name, body });
  const last = (command) => [...sent].reverse().find((m) => m.command === command);
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return { state, sent, events, answer, event, last, flush };
}

test('paths: session documents are <root>/<path> on the wire, programs are package folders', () => {
  assert.equal(dapPath('main.go'), '/workspace/main.go');
  assert.equal(dapPath('cmd/tool/main.go'), '/workspace/cmd/tool/main.go');
  assert.equal(documentPath('/workspace/cmd/tool/main.go'), 'cmd/tool/main.go');
  assert.equal(documentPath('/usr/lib/go/src/runtime/proc.go'), null);
  assert.equal(documentPath('/workspacex/main.go'), null);
  assert.equal(documentPath(undefined), null);
  assert.equal(programPath('.'), '/workspace');
  assert.equal(programPath(''), '/workspace');
  assert.equal(programPath('./cmd/tool/'), '/workspace/cmd/tool');
  assert.equal(programPath('cmd/tool'), '/workspace/cmd/tool');
});

test('requests are numbered 1, 2, 3… and answers are matched by request_seq in any order', async () => {
  const { state, sent, answer } = harness();
  const a = state.request('threads');
  const b = state.request('stackTrace', { threadId: 1 });
  const c = state.request('scopes', { frameId: 7 });
  assert.deepEqual(sent.map((m) => m.seq), [1, 2, 3]);
  assert.deepEqual(sent[1], { seq: 2, type: 'request', command: 'stackTrace', arguments: { threadId: 1 } });
  assert.equal('arguments' in sent[0], false, 'no arguments: none sent');
  answer(sent[2], { body: { scopes: [] } });
  answer(sent[0], { body: { threads: [{ id: 1, name: 'main' }] } });
  // An answer to nothing we asked is ignored.
  state.receive({ type: 'response', seq: 99, request_seq: 42, command: 'next', success: true });
  answer(sent[1], { success: false, message: 'no such thread' });
  assert.deepEqual((await a).body, { threads: [{ id: 1, name: 'main' }] });
  assert.equal((await b).success, false);
  assert.equal((await b).message, 'no such thread');
  assert.deepEqual((await c).body, { scopes: [] });
  assert.equal(state.pending.size, 0);
});

test('a lost connection answers every request in flight as failed, and an unsendable one at once', async () => {
  const { state } = harness();
  const pending = [state.request('threads'), state.request('continue', { threadId: 1 })];
  state.abandon('the debug connection closed');
  for (const response of await Promise.all(pending)) {
    assert.equal(response.success, false);
    assert.equal(response.message, 'the debug connection closed');
  }
  const offline = new DebugState({ send: () => false });
  const answer = await offline.request('threads');
  assert.equal(answer.success, false);
  assert.equal(offline.pending.size, 0);
});

test('starting: initialize, launch, then on initialized every file\'s breakpoints and configurationDone', async () => {
  const { state, sent, answer, event, last, flush } = harness();
  state.toggleBreakpoint('main.go', 16);
  state.toggleBreakpoint('util/sum.go', 4);
  state.toggleBreakpoint('main.go', 9);
  assert.equal(sent.length, 0, 'nothing is sent before a debug session runs');
  const started = state.start({ program: programPath('.') });
  assert.equal(state.status, 'starting');
  const initialize = last('initialize');
  assert.equal(initialize.arguments.pathFormat, 'path');
  assert.equal(initialize.arguments.linesStartAt1, true);
  answer(initialize, { body: { supportsConfigurationDoneRequest: true } });
  await flush();
  const launch = last('launch');
  assert.deepEqual(launch.arguments, { mode: 'debug', program: '/workspace' });
  answer(launch);
  assert.equal(state.status, 'running', 'running as soon as the launch is answered');
  assert.equal(await started, null);
  // Delve's initialized comes after the launch: breakpoints, then configurationDone.
  event('initialized');
  await flush();
  const breakpoints = sent.filter((m) => m.command === 'setBreakpoints');
  assert.deepEqual(breakpoints.map((m) => m.arguments.source.path).sort(), ['/workspace/main.go', '/workspace/util/sum.go']);
  const main = breakpoints.find((m) => m.arguments.source.path === '/workspace/main.go');
  assert.deepEqual(main.arguments.breakpoints, [{ line: 9 }, { line: 16 }], 'sorted lines of the file');
  assert.equal(last('configurationDone'), undefined, 'configurationDone waits for the breakpoints');
  answer(main, { body: { breakpoints: [{ verified: true, line: 9 }, { verified: false, line: 16, message: 'no code' }] } });
  answer(breakpoints.find((m) => m !== main), { body: { breakpoints: [{ verified: true, line: 4 }] } });
  await flush();
  assert.deepEqual([...state.breakpointsOf('main.go')].sort((a, b) => a[0] - b[0]), [[9, { verified: true, message: '' }], [16, { verified: false, message: 'no code' }]]);
  const done = last('configurationDone');
  assert.ok(done);
  answer(done);
  await flush();
  assert.equal(state.configured, true);
});

test('a failed launch (a build error) is reported and leaves the page able to start again', async () => {
  const { state, answer, last, flush, events } = harness();
  const started = state.start();
  answer(last('initialize'), { body: {} });
  await flush();
  answer(last('launch'), { success: false, message: 'Build error: ./main.go:3: undefined: x' });
  assert.equal(await started, 'Build error: ./main.go:3: undefined: x');
  assert.equal(state.status, 'idle');
  assert.ok(events.some(([name, o]) => name === 'output' && o.output.includes('undefined: x')));
});

test('joining a running debug session: initialized comes first, the launch brings the last stop', async () => {
  const { state, sent, answer, event, last, flush } = harness();
  state.toggleBreakpoint('main.go', 20);
  const started = state.start();
  answer(last('initialize'), { body: { supportsConfigurationDoneRequest: true } });
  event('initialized');   // the server's cached initialize, then initialized at once
  await flush();
  answer(last('setBreakpoints'), { body: { breakpoints: [{ verified: true, line: 20 }] } });
  await flush();
  answer(last('configurationDone'));   // the server answers it: configured already
  const launch = last('launch');
  assert.ok(launch, 'launch follows initialize');
  answer(launch);
  event('stopped', { reason: 'breakpoint', threadId: 3, allThreadsStopped: true });
  assert.equal(await started, null);
  assert.equal(state.status, 'stopped');
  assert.equal(state.thread, 3);
  assert.equal(state.stopReason, 'breakpoint');
  // What the page asks then: the stack, the top frame's scopes, the first scope's variables.
  const inspected = state.inspect();
  answer(last('stackTrace'), { body: { stackFrames: [{ id: 1000, name: 'main.main', line: 20, source: { path: '/workspace/main.go' } }] } });
  await flush();
  assert.deepEqual(last('scopes').arguments, { frameId: 1000 });
  answer(last('scopes'), { body: { scopes: [{ name: 'Locals', variablesReference: 1001 }, { name: 'Globals', variablesReference: 1002, expensive: true }] } });
  await flush();
  assert.deepEqual(last('variables').arguments, { variablesReference: 1001 });
  answer(last('variables'), { body: { variables: [{ name: 'p', value: 'main.Point {X: 3}', type: 'main.Point', variablesReference: 1003 }, { name: 'n', value: '8', variablesReference: 0 }] } });
  await inspected;
  assert.deepEqual(state.location, { path: 'main.go', line: 20, name: 'main.main' });
  assert.equal(state.scopes[0].expanded, true);
  assert.deepEqual(state.scopes[0].children.map((v) => `${v.name}=${v.value}`), ['p=main.Point {X: 3}', 'n=8']);
  assert.equal(state.scopes[1].children, null, 'an expensive scope waits for a click');
  // Expanding a struct asks once.
  const p = state.scopes[0].children[0];
  const expanded = state.expand(p);
  answer(last('variables'), { body: { variables: [{ name: 'X', value: '3', variablesReference: 0 }] } });
  await expanded;
  const asked = sent.filter((m) => m.command === 'variables').length;
  state.collapse(p);
  await state.expand(p);
  assert.equal(sent.filter((m) => m.command === 'variables').length, asked, 'children are kept');
  assert.equal(p.children[0].value, '3');
});

test('a viewer joins without sending breakpoints; a refused initialize says why', async () => {
  const { state, sent, answer, event, last, flush } = harness('viewer');
  assert.equal(state.canControl, false);
  state.toggleBreakpoint('main.go', 5);   // kept locally; never sent by a viewer
  const started = state.start();
  answer(last('initialize'), { body: {} });
  event('initialized');
  await flush();
  assert.equal(sent.filter((m) => m.command === 'setBreakpoints').length, 0);
  answer(last('configurationDone'));
  answer(last('launch'));
  assert.equal(await started, null);
  assert.equal(state.status, 'running');

  const refused = harness('viewer');
  const attempt = refused.state.start();
  refused.answer(refused.last('initialize'), { success: false, message: 'no debug session is running in this Mesh session; viewers can join one an editor started' });
  assert.match(await attempt, /viewers can join one an editor started/);
  assert.equal(refused.state.status, 'idle');
  assert.equal(refused.last('launch'), undefined);
});

test('breakpoints per file: toggling sends the file\'s whole list while a session runs; late answers keep later changes', async () => {
  const { state, sent, answer, event, last, flush } = harness();
  state.initialized = true;   // a debug session runs
  assert.equal(state.toggleBreakpoint('a.go', 3), true);
  assert.deepEqual(last('setBreakpoints').arguments.breakpoints, [{ line: 3 }]);
  const first = last('setBreakpoints');
  state.toggleBreakpoint('b.go', 1);
  assert.equal(last('setBreakpoints').arguments.source.path, '/workspace/b.go');
  assert.deepEqual(last('setBreakpoints').arguments.breakpoints, [{ line: 1 }]);
  state.toggleBreakpoint('a.go', 7);
  const second = last('setBreakpoints');
  assert.deepEqual(second.arguments.breakpoints, [{ line: 3 }, { line: 7 }]);
  // Line 3 is cleared before the first answer comes.
  assert.equal(state.toggleBreakpoint('a.go', 3), false);
  assert.deepEqual(last('setBreakpoints').arguments.breakpoints, [{ line: 7 }]);
  answer(first, { body: { breakpoints: [{ verified: true, line: 3 }] } });
  answer(second, { body: { breakpoints: [{ verified: true, line: 3 }, { verified: true, line: 7 }] } });
  assert.deepEqual([...state.breakpointsOf('a.go').keys()], [7], 'the cleared line stays cleared');
  assert.equal(state.breakpointsOf('a.go').get(7).verified, true);
  // Clearing the last one of a file sends an empty list.
  state.toggleBreakpoint('b.go', 1);
  assert.deepEqual(last('setBreakpoints').arguments.breakpoints, []);
  assert.equal(state.breakpoints.has('b.go'), false);
  // A breakpoint event updates one we have.
  event('breakpoint', { reason: 'changed', breakpoint: { verified: false, line: 7, message: 'moved', source: { path: '/workspace/a.go' } } });
  assert.deepEqual(state.breakpointsOf('a.go').get(7), { verified: false, message: 'moved' });
  await flush();
  assert.equal(sent.every((m) => m.type === 'request'), true);
});

test('stopped, continued, stepping and the end', async () => {
  const { state, answer, event, last, events } = harness();
  state.setStatus('running');
  event('stopped', { reason: 'breakpoint', threadId: 1 });
  assert.equal(state.status, 'stopped');
  const next = state.step('next');
  assert.deepEqual(last('next').arguments, { threadId: 1 });
  answer(last('next'));
  await next;
  assert.equal(state.status, 'running', 'a step that was accepted runs');
  event('stopped', { reason: 'step', threadId: 1 });
  // Answers about an older stop are dropped.
  const stale = state.inspect();
  event('continued', { threadId: 1, allThreadsContinued: true });
  assert.equal(state.status, 'running');
  answer(last('stackTrace'), { body: { stackFrames: [{ id: 1, name: 'main.main', line: 3, source: { path: '/workspace/main.go' } }] } });
  await stale;
  assert.deepEqual(state.frames, []);
  assert.equal(state.location, null);
  // A refused step (a viewer, or a Delve error) is reported and changes nothing.
  event('stopped', { reason: 'pause', threadId: 1 });
  const refused = state.step('continue');
  answer(last('continue'), { success: false, message: 'viewers can watch this debug session but not control it (continue)' });
  await refused;
  assert.equal(state.status, 'stopped');
  assert.ok(events.some(([name, text]) => name === 'error' && text.includes('viewers')));
  event('output', { category: 'stdout', output: 'hello\n' });
  event('exited', { exitCode: 3 });
  event('terminated');
  assert.equal(state.status, 'ended');
  assert.equal(state.exitCode, 3);
  assert.equal(state.initialized, false);
  assert.deepEqual(state.output.at(-1), { category: 'stdout', output: 'hello\n' });
  assert.deepEqual(events.filter(([name]) => name === 'status').map(([, s]) => s), ['running', 'stopped', 'running', 'stopped', 'running', 'stopped', 'ended']);
});

test('stop: terminate when Delve offers it, else disconnect', async () => {
  const { state, answer, last } = harness();
  state.capabilities = { supportsTerminateRequest: true };
  state.setStatus('running');
  const stopping = state.stop();
  answer(last('terminate'));
  assert.equal((await stopping).command, 'terminate');
  const other = harness();
  other.state.capabilities = {};
  other.state.setStatus('running');
  other.state.stop();
  assert.deepEqual(other.last('disconnect').arguments, { terminateDebuggee: true });
  assert.equal(other.last('terminate'), undefined);
});

/** A WebSocket double: records what is sent, delivers what the test says. */
class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    FakeSocket.all.push(this);
    setImmediate(() => { this.readyState = 1; this.onopen?.(); });
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  deliver(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
  close(code, reason) { this.readyState = 3; this.onclose?.({ code, reason }); }
}

function fakeTimers() {
  const timers = [];
  return {
    timers,
    setTimeout(fn, ms) { timers.push({ fn, ms }); return timers.length; },
    clearTimeout(id) { if (id) timers[id - 1].cleared = true; },
  };
}

test('DebugConnection: hello with a fresh ticket and the root, welcome, renewal with auth {ticket}', async () => {
  FakeSocket.all = [];
  let tickets = 0;
  const state = new DebugState();
  const timers = fakeTimers();
  const connection = new DebugConnection({
    session: '6f1c6a3e-2b4c-4c8e-9a51-2d1f0d6f7b10', url: 'ws://h/v1/debug', getTicket: async () => `ticket-${++tickets}`,
    state, WebSocketImpl: FakeSocket, timers, now: () => 1_000_000,
  });
  const opened = connection.open();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  const socket = FakeSocket.all[0];
  assert.equal(socket.url, 'ws://h/v1/debug', 'no credential in the address');
  assert.deepEqual(socket.sent[0], { type: 'hello', session: '6f1c6a3e-2b4c-4c8e-9a51-2d1f0d6f7b10', root: '/workspace', ticket: 'ticket-1' });
  socket.deliver({ type: 'welcome', role: 'editor', tokenExpiresAt: 1_000 + 900 });
  await opened;
  assert.equal(state.role, 'editor');
  // Renewed a quarter of the remaining time (at most 2 minutes) before the lease ends.
  const renewal = timers.timers.at(-1);
  assert.equal(renewal.ms, 900_000 - 120_000);
  await renewal.fn();
  assert.deepEqual(socket.sent.at(-1), { type: 'auth', ticket: 'ticket-2' });
  socket.deliver({ type: 'authenticated', expiresAt: 1_000 + 1800 });
  assert.equal(timers.timers.at(-1).ms, 1_800_000 - 120_000);
  // DAP goes through the socket.
  const threads = state.request('threads');
  assert.deepEqual(socket.sent.at(-1), { seq: 1, type: 'request', command: 'threads' });
  socket.deliver({ type: 'response', seq: 1, request_seq: 1, command: 'threads', success: true, body: { threads: [] } });
  assert.equal((await threads).success, true);
  // The server goes away mid-session: requests in flight fail, the session is over here.
  state.setStatus('running');
  const lost = state.request('stackTrace', { threadId: 1 });
  socket.close(1006, '');
  assert.equal((await lost).success, false);
  assert.equal(state.status, 'ended');
  assert.match(state.output.at(-1).output, /the debug session is over for this page/);
  assert.equal((await state.request('threads')).success, false, 'nothing is sent on a closed socket');
});

test('DebugConnection: a refused hello rejects with the server\'s reason', async () => {
  FakeSocket.all = [];
  const state = new DebugState();
  const connection = new DebugConnection({
    session: 's', url: 'ws://h/v1/debug', getTicket: async () => 'used', state, WebSocketImpl: FakeSocket, timers: fakeTimers(),
  });
  const opened = connection.open();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  const socket = FakeSocket.all[0];
  socket.deliver({ type: 'error', code: 'unauthorized', message: 'unknown or used ticket' });
  socket.close(1008, 'unauthorized');
  await assert.rejects(opened, /unknown or used ticket/);
  // No ticket at all (logged out): the ticket request's error.
  const noTicket = new DebugConnection({ session: 's', url: 'ws://h', getTicket: async () => { throw new Error('401'); }, state: new DebugState(), WebSocketImpl: FakeSocket });
  await assert.rejects(noTicket.open(), /401/);
});
