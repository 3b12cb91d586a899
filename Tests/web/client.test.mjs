// client.js against a stand-in server (fakeserver.mjs): the exact JSON it writes, convergence
// of several browsers under random delivery, dropped connections, reconnects with catch-up and
// resend, resync after a hash mismatch, refused edits, roles, presence and annotations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextOperation } from '../../Sources/MeshServer/Resources/web/ot.js';
import { cpLength } from '../../Sources/MeshServer/Resources/web/codepoints.js';
import { SessionClient } from '../../Sources/MeshServer/Resources/web/client.js';
import { FakeServer, ManualTimers, settle } from './fakeserver.mjs';
import { SeededRandom, randomText, propertyCases } from './support.mjs';

const SESSION = '3F2504E0-4F89-11D3-9A0C-0305E82C3301';

function browser(server, user, { timers = new ManualTimers(), rng = new SeededRandom(1), id } = {}) {
  const client = new SessionClient({
    session: SESSION, url: 'ws://127.0.0.1:7420/v1/ws', getTicket: async () => server.issueTicket(user),
    WebSocketImpl: server.WebSocket, timers, random: () => rng.int(0, 1e6) / 1e6, instanceID: id ?? `web${user}`,
  });
  return { client, timers };
}

/** Connects and delivers until quiet. */
async function until(server, condition, timers = []) {
  for (let i = 0; i < 200 && !condition(); i++) {
    await settle();
    server.deliverAll();
    for (const t of timers) t.runAll();
  }
  assert.ok(condition(), 'the condition was never met');
}

/** A fresh page of Ada (an editor) on `server` with `path` (made with `text`) open. */
async function openDocument(path, text, server = new FakeServer()) {
  server.addUser('u1', 'Ada', 'editor');
  server.createDocument(path, text);
  const { client, timers } = browser(server, 'u1');
  client.connect();
  await until(server, () => client.isOpen);
  const doc = client.open(path);
  await until(server, () => doc.state === 'open');
  return { server, client, timers, doc };
}

test('the messages are exactly what MeshProtocol decodes: hello with a ticket, open, op, presence, chat, annotate', async () => {
  const server = new FakeServer();
  server.addUser('u1', 'Ada', 'editor');
  server.createDocument('main.go', 'package main\n');
  const { client, timers } = browser(server, 'u1');
  client.connect();
  await until(server, () => client.status === 'open');
  const hello = server.sent[0];
  assert.deepEqual(Object.keys(hello).sort(), ['client', 'protocol', 'session', 'ticket', 'type']);
  assert.deepEqual(hello, { type: 'hello', protocol: 1, session: SESSION, client: 'mesh-web/0.1', ticket: 't1' });

  const doc = client.open('main.go');
  await until(server, () => doc.state === 'open');
  assert.deepEqual(server.sent[1], { type: 'open', path: 'main.go' });
  assert.equal(doc.text, 'package main\n');

  doc.replace(13, 13, 'func main() {}\n');
  doc.setSelection([{ anchor: 2, head: 5 }]);
  client.sendChat('hi <b>all</b>');
  doc.annotate(0, 7, 'why?');
  await until(server, () => doc.synchronized && server.sent.some((m) => m.type === 'annotate'), [timers]);
  const op = server.sent.find((m) => m.type === 'op');
  assert.deepEqual(Object.keys(op), ['type', 'path', 'baseRev', 'ops', 'opId']);
  assert.deepEqual(op, { type: 'op', path: 'main.go', baseRev: 0, ops: [13, 'func main() {}\n'], opId: 'webu1-1:1' });
  assert.deepEqual(server.sent.find((m) => m.type === 'chat'), { type: 'chat', text: 'hi <b>all</b>' });
  // Presence and annotations wait for the ack: their offsets then mean the server's text at `rev`.
  assert.deepEqual(server.sent.find((m) => m.type === 'presence'), { type: 'presence', path: 'main.go', rev: 1, selections: [{ anchor: 2, head: 5 }] });
  assert.deepEqual(server.sent.find((m) => m.type === 'annotate'), { type: 'annotate', path: 'main.go', rev: 1, from: 0, to: 7, body: 'why?' });
  assert.equal(server.text('main.go'), 'package main\nfunc main() {}\n');
  assert.equal(doc.annotations.size, 1);
  assert.equal(client.chat.at(-1).text, 'hi <b>all</b>');
});

test('several browsers converge under random delivery, dropped connections, reconnects and resends', async () => {
  for (let seed = 0; seed < propertyCases(60); seed++) {
    const rng = new SeededRandom(seed);
    const server = new FakeServer({ historyLimit: rng.bool() ? 1024 : 8 });
    server.createDocument('a.txt', randomText(rng, 8));
    const browsers = [];
    for (let i = 0; i < rng.int(2, 4); i++) {
      server.addUser(`u${i}`, `User ${i}`, 'editor');
      const b = browser(server, `u${i}`, { rng, id: `web${i}` });
      b.client.connect();
      browsers.push(b);
    }
    const timers = browsers.map((b) => b.timers);
    await until(server, () => browsers.every((b) => b.client.status === 'open'), timers);
    const docs = browsers.map((b) => b.client.open('a.txt'));
    await until(server, () => docs.every((d) => d.state === 'open'), timers);
    for (let step = rng.int(20, 120); step > 0; step--) {
      const i = rng.int(0, browsers.length - 1);
      const roll = rng.int(0, 19);
      if (roll < 7) {
        if (docs[i].ot !== null) {
          const length = docs[i].length;
          const from = rng.int(0, length);
          const to = rng.int(from, Math.min(length, from + 3));
          docs[i].replace(from, to, randomText(rng, 2));
          if (rng.bool()) docs[i].setSelection([{ anchor: rng.int(0, docs[i].length), head: rng.int(0, docs[i].length) }]);
        }
      } else if (roll < 16) {
        server.deliverOne(rng);
      } else if (roll < 18) {
        const connection = [...server.connections].find((c) => c.socket === browsers[i].client.socket);
        connection?.drop(rng.int(0, connection.toServer.length));
      } else {
        await settle();
        browsers[i].timers.runAll();
      }
    }
    await until(server, () => browsers.every((b) => b.client.status === 'open')
      && docs.every((d) => d.state === 'open' && d.synchronized) && [...server.connections].every((c) => !c.toServer.length && !c.toClient.length), timers);
    for (const [i, d] of docs.entries()) {
      assert.equal(d.text, server.text('a.txt'), `seed ${seed}: browser ${i} diverged`);
      assert.equal(d.serverText, d.text, `seed ${seed}: browser ${i} server text`);
      assert.equal(d.length, cpLength(d.text), `seed ${seed}: browser ${i} length`);
      assert.equal(d.revision, server.documents.get('a.txt').doc.revision, `seed ${seed}: browser ${i} revision`);
    }
  }
});

test('a hash mismatch resyncs, keeping edits not yet acknowledged', async () => {
  const server = new FakeServer();
  server.addUser('u1', 'Ada', 'editor');
  server.addUser('u2', 'Bob', 'editor');
  server.createDocument('f.md', '');
  const a = browser(server, 'u1');
  const b = browser(server, 'u2');
  a.client.connect();
  b.client.connect();
  await until(server, () => a.client.isOpen && b.client.isOpen);
  const da = a.client.open('f.md');
  const db = b.client.open('f.md');
  await until(server, () => da.state === 'open' && db.state === 'open');
  for (let i = 0; i < 99; i++) { da.replace(da.length, da.length, 'x'); server.deliverAll(); }
  // Bob's copy goes wrong behind the client's back; the server's hash at revision 100 says so.
  db.text += '!';
  db.serverText += '!';
  db.length += 1;
  let resynced = 0;
  db.on('resync', () => { resynced++; });
  server.deliverAll();
  da.replace(0, 0, 'y');            // revision 100: the server sends its hash
  server.deliverAll();
  assert.equal(resynced, 1);
  db.replace(0, 0, 'B');            // typed while the snapshot is on its way
  await until(server, () => db.state === 'open' && db.synchronized && da.synchronized);
  assert.equal(server.text('f.md'), `By${'x'.repeat(99)}`);
  assert.equal(db.text, server.text('f.md'));
  assert.equal(da.text, server.text('f.md'));
});

test('an edit the server refuses is taken back; a role change makes the page read-only; removal is final', async () => {
  const server = new FakeServer();
  server.addUser('u1', 'Vic', 'editor');
  server.createDocument('x.py', 'print(1)\n');
  const { client } = browser(server, 'u1');
  client.connect();
  await until(server, () => client.isOpen);
  const doc = client.open('x.py');
  await until(server, () => doc.state === 'open');
  const refused = [];
  const changes = [];
  doc.on('refused', (e) => refused.push(e.code));
  doc.on('change', (op, origin) => changes.push(origin));
  server.users.get('u1').role = 'viewer';
  for (const c of server.connections) c.role = 'viewer';    // demoted before the op arrives
  doc.replace(0, 0, '#');
  server.deliverAll();
  assert.deepEqual(refused, ['forbidden']);
  assert.deepEqual(changes, ['local', 'revert']);
  assert.equal(doc.text, 'print(1)\n');
  server.setRole('u1', 'viewer');
  server.deliverAll();
  assert.equal(client.role, 'viewer');
  assert.equal(doc.readOnly, true);
  assert.throws(() => doc.replace(0, 0, '#'), /read-only/);
  server.setRole('u1', null);
  server.deliverAll();
  assert.equal(client.status, 'removed');
});

test('presence from a revision not reached yet waits for it; the others’ cursors move with edits', async () => {
  const server = new FakeServer();
  server.addUser('u1', 'Ada', 'editor');
  server.addUser('u2', 'Bob', 'editor');
  server.createDocument('s.swift', 'let x = 1\n');
  const a = browser(server, 'u1');
  const b = browser(server, 'u2');
  a.client.connect();
  b.client.connect();
  await until(server, () => a.client.isOpen && b.client.isOpen);
  const da = a.client.open('s.swift');
  const db = b.client.open('s.swift');
  await until(server, () => da.state === 'open' && db.state === 'open');
  // A presence at revision 1 arrives before the op that makes revision 1.
  db.receivedPresence({ type: 'presence', path: 's.swift', user: 'u1', name: 'Ada', rev: 1, selections: [{ anchor: 4, head: 4 }] });
  assert.equal(db.presence.size, 0);
  db.receivedRemoteOp({ type: 'remoteOp', path: 's.swift', rev: 1, ops: ['😀', 10], author: 'u1', opId: 'z:1' });
  assert.deepEqual(db.presence.get('u1').selections, [{ anchor: 4, head: 4 }]);
  db.replace(0, 0, 'ab');       // a local edit before Ada's caret moves it
  assert.deepEqual(db.presence.get('u1').selections, [{ anchor: 6, head: 6 }]);
});

test('following the session: chat, document events and participants reach the page', async () => {
  const server = new FakeServer();
  server.addUser('u1', 'Ada', 'owner');
  server.addUser('u2', '<img src=x onerror=alert(1)>', 'editor');
  const a = browser(server, 'u1');
  const b = browser(server, 'u2');
  a.client.connect();
  await until(server, () => a.client.isOpen);
  b.client.connect();
  await until(server, () => b.client.isOpen);
  const events = [];
  a.client.on('documents', (m) => events.push(`${m.change} ${m.path}`));
  const created = b.client.open('new/file.ts', { create: 'export {}\n' });
  await until(server, () => created.state === 'open' && events.length === 1);
  assert.deepEqual(events, ['created new/file.ts']);
  assert.ok(a.client.documentPaths.has('new/file.ts'));
  assert.equal(b.client.online.get('u1').name, 'Ada');
  b.client.sendChat('  ');                           // blank: not sent
  b.client.sendChat('hello');
  await until(server, () => a.client.chat.length === 1);
  assert.equal(a.client.chat[0].name, '<img src=x onerror=alert(1)>');
  assert.equal(server.sent.filter((m) => m.type === 'chat').length, 1);
  const missing = a.client.open('nope.go');
  await until(server, () => missing.state === 'missing');
});

test('a reconnect asks for the operations since the revision it knew and resends what was not acknowledged', async () => {
  const { server, client, timers, doc } = await openDocument('r.js', 'abc');
  doc.replace(3, 3, 'd');
  const connection = [...server.connections][0];
  connection.drop(1);               // the op reached the server; its ack is lost
  doc.replace(4, 4, 'e');           // typed while offline
  server.deliverAll();
  assert.equal(client.status, 'reconnecting');
  await until(server, () => client.isOpen && doc.state === 'open' && doc.synchronized, [timers]);
  const opens = server.sent.filter((m) => m.type === 'open');
  assert.deepEqual(opens.at(-1), { type: 'open', path: 'r.js', knownRev: 0, knownId: 'doc-1' });
  assert.equal(server.text('r.js'), 'abcde');
  assert.equal(doc.text, 'abcde');
  assert.equal(server.sent.filter((m) => m.type === 'hello').length, 2);
  assert.notEqual(server.sent.filter((m) => m.type === 'hello')[1].ticket, server.sent[0].ticket, 'a fresh ticket');
});

test('a document deleted and created again while away is opened afresh, not caught up as the old one', async () => {
  const { server, client, timers, doc } = await openDocument('r.js', 'abc');
  const connection = [...server.connections][0];
  connection.drop(0);
  server.deliverAll();
  server.createDocument('r.js', 'xyz');   // another document under the path, as long as the old
  await until(server, () => client.isOpen && doc.state === 'open' && doc.synchronized, [timers]);
  const opens = server.sent.filter((m) => m.type === 'open');
  assert.deepEqual(opens.at(-1), { type: 'open', path: 'r.js', knownRev: 0, knownId: 'doc-1' });
  assert.equal(doc.text, 'xyz', 'the new document, not the old one caught up');
  assert.equal(doc.id, 'doc-2');
});

test('an open refused for a passing reason is asked again after a growing delay, and a refusal that is final is not', async () => {
  const server = new FakeServer();
  server.addUser('u1', 'Ada', 'editor');
  server.createDocument('r.js', 'abc');
  server.refuseOpens('r.js', 2);
  const { client, timers } = browser(server, 'u1');
  client.connect();
  await until(server, () => client.isOpen);
  const doc = client.open('r.js');
  const opens = () => server.sent.filter((m) => m.type === 'open' && m.path === 'r.js').length;
  await until(server, () => doc.openRefusals === 1);
  assert.equal(doc.state, 'opening', 'not given up after an internal error');
  const delays = () => [...timers.pending.values()].map((t) => t.delay);
  assert.ok(delays().includes(250), `the first retry after 250 ms: ${delays()}`);
  timers.runAll();
  await until(server, () => doc.openRefusals === 2);
  assert.ok(delays().includes(500), `the second after 500 ms: ${delays()}`);
  timers.runAll();
  await until(server, () => doc.state === 'open');
  assert.equal(opens(), 3);
  assert.equal(doc.text, 'abc');
  assert.equal(doc.openRefusals, 0);
  doc.replace(3, 3, 'd');
  await until(server, () => server.text('r.js') === 'abcd');
  // not_found is final: the document is missing, and no retry is scheduled.
  const missing = client.open('nope.js');
  await until(server, () => missing.state === 'missing');
  assert.equal(missing.retryTimer, null);
});

test('a second ack of an op already acknowledged is stale: ignored, not a resync', async () => {
  const { server, client, timers, doc } = await openDocument('s.js', 'abc');
  doc.replace(3, 3, 'd');
  await until(server, () => doc.synchronized);
  const resyncs = [];
  doc.on('resync', (reason) => resyncs.push(reason));
  // The server answers a resend of an op it had already sent us as committed with the same ack.
  [...server.connections][0].send({ type: 'ack', path: 's.js', rev: 1, opId: 'webu1-1:1' });
  server.deliverAll();
  assert.deepEqual(resyncs, []);
  assert.equal(doc.state, 'open');
  assert.equal(server.sent.filter((m) => m.type === 'open').length, 1, 'no reopen');
  assert.equal(doc.revision, 1);
  assert.equal(doc.text, 'abcd');
  doc.replace(4, 4, 'e');
  await until(server, () => doc.synchronized);
  assert.equal(server.text('s.js'), 'abcde');
  assert.equal(doc.text, 'abcde');
});

test('a catch-up op carrying our outstanding opId is our ack only when its author is our user', async () => {
  // Op ids are per-client counters: another participant's client may use the same strings.
  const server = new FakeServer();
  server.addUser('u1', 'Ada', 'editor');
  server.addUser('u2', 'Bob', 'editor');
  server.createDocument('c.js', 'abc');
  const ada = browser(server, 'u1', { id: 'web' });
  const bob = browser(server, 'u2', { id: 'web' });
  ada.client.connect();
  bob.client.connect();
  const timers = [ada.timers, bob.timers];
  await until(server, () => ada.client.isOpen && bob.client.isOpen, timers);
  const adaDoc = ada.client.open('c.js');
  const bobDoc = bob.client.open('c.js');
  await until(server, () => adaDoc.state === 'open' && bobDoc.state === 'open', timers);
  adaDoc.replace(3, 3, 'd');
  const adaConnection = [...server.connections].find((c) => c.user === 'u1');
  adaConnection.drop(0);            // Ada's op never reached the server
  bobDoc.replace(0, 0, 'X');        // Bob's op has the same opId as Ada's outstanding one
  server.deliverAll();
  assert.equal(server.sent.find((m) => m.type === 'op').opId, 'web-1:1');
  assert.equal(server.sent.find((m) => m.type === 'op').opId, adaDoc.ot.outstanding.opId);
  await until(server, () => ada.client.isOpen && adaDoc.state === 'open' && adaDoc.synchronized && bobDoc.synchronized, timers);
  server.deliverAll();
  const opens = server.sent.filter((m) => m.type === 'open' && m.knownRev === 0);
  assert.equal(opens.length, 1, 'Ada caught up from revision 0');
  assert.equal(server.text('c.js'), 'Xabcd', 'Ada’s edit was sent again');
  assert.equal(adaDoc.text, 'Xabcd');
  assert.equal(bobDoc.text, 'Xabcd');
});

test('our own op coming back as a remoteOp (relayed by another server node) is the ack, not applied twice', async () => {
  const { server, client, timers, doc } = await openDocument('o.js', 'abc');
  const resyncs = [];
  doc.on('resync', (reason) => resyncs.push(reason));
  doc.replace(3, 3, 'd');
  const connection = [...server.connections][0];
  const op = JSON.parse(connection.toServer.at(-1));
  assert.equal(op.opId, 'webu1-1:1');
  // Another node committed the first copy of it and relays it before this node answers.
  connection.send({ type: 'remoteOp', path: 'o.js', rev: 1, ops: op.ops, author: 'u1', opId: op.opId });
  connection.deliverToClient();
  assert.equal(doc.text, 'abcd', 'not applied a second time');
  assert.equal(doc.revision, 1);
  assert.ok(doc.synchronized, 'taken as the ack');
  assert.deepEqual(resyncs, []);
  // This node's own ack for it follows: stale.
  server.deliverAll();
  assert.deepEqual(resyncs, []);
  assert.equal(server.text('o.js'), 'abcd');
  assert.equal(doc.text, 'abcd');
  assert.equal(server.sent.filter((m) => m.type === 'open').length, 1, 'no reopen');
});

test('an edit the server refuses for good (too_large, the document size limit) is taken back, and later edits still get through', async () => {
  // An op that can never be acknowledged must not hold up the ones typed after it (mesh lsp
  // once waited for its ack forever). Also when the refusal answers the resend after a reconnect.
  const { server, client, timers, doc } = await openDocument('l.txt', 'abc', new FakeServer({ maxDocumentBytes: 20 }));
  const refused = [];
  doc.on('refused', (e) => refused.push(e.code));
  doc.replace(3, 3, 'x'.repeat(30));
  doc.replace(0, 0, 'typed behind it ');       // buffered behind the refused one: taken back too
  server.deliverAll();
  assert.deepEqual(refused, ['too_large']);
  assert.equal(doc.text, 'abc');
  assert.ok(doc.synchronized);
  doc.replace(3, 3, 'd');
  await until(server, () => doc.synchronized);
  assert.equal(server.text('l.txt'), 'abcd');

  doc.replace(4, 4, 'y'.repeat(30));
  [...server.connections][0].drop(0);           // refused only when sent again after the reconnect
  await until(server, () => refused.length === 2, [timers]);
  assert.equal(refused[1], 'too_large');
  assert.equal(doc.text, 'abcd');
  doc.replace(4, 4, 'e');
  await until(server, () => doc.synchronized && server.text('l.txt') === 'abcde', [timers]);
  assert.equal(doc.text, 'abcde');
  assert.equal(server.oversized.length, 0);
});

/** The UTF-8 bytes of the JSON text of `message`, as the server counts a frame. */
const frameBytes = (message) => Buffer.byteLength(JSON.stringify(message), 'utf8');

test('an edit larger than the server takes in one message is never sent: taken back as a refused one, the page told', async () => {
  // The server would close the connection (too_large), and every reconnect would send it again.
  const { server, client, timers, doc } = await openDocument('p.txt', 'abc', new FakeServer({ maxFrameBytes: 4096 }));
  const refused = [];
  doc.on('refused', (e, text) => refused.push([e.code, e.message, text]));
  const changes = [];
  doc.on('change', (op, origin) => changes.push(origin));
  // 1,500 CJK characters: fewer UTF-16 units than the limit, 4,500 bytes of UTF-8.
  const paste = '中'.repeat(1500);
  assert.ok(frameBytes({ type: 'op', path: 'p.txt', baseRev: 0, ops: [3, paste], opId: 'webu1-1:1' }) > 4096);
  assert.ok(JSON.stringify({ type: 'op', path: 'p.txt', baseRev: 0, ops: [3, paste], opId: 'webu1-1:1' }).length < 4096);
  doc.replace(3, 3, paste);
  server.deliverAll();
  assert.deepEqual(server.oversized, [], 'nothing over the limit reached the server');
  assert.equal(refused.length, 1);
  assert.equal(refused[0][0], 'too_large');
  assert.match(refused[0][1], /larger than the server takes in one message \(4096 bytes\)/);
  assert.equal(refused[0][2], `abc${paste}`, 'the text that held the edit, for the page to offer back');
  assert.deepEqual(changes, ['local', 'revert']);
  assert.equal(doc.text, 'abc');
  assert.equal(doc.serverText, 'abc');
  assert.ok(doc.synchronized);
  assert.equal(client.status, 'open');
  // Nothing is held up: an edit just under the limit, then a small one, get through.
  const near = '文'.repeat(1300);
  assert.ok(frameBytes({ type: 'op', path: 'p.txt', baseRev: 0, ops: [3, near], opId: 'webu1-2:1' }) <= 4096);
  doc.replace(3, 3, near);
  doc.replace(0, 0, '>');
  await until(server, () => doc.synchronized);
  assert.equal(server.text('p.txt'), `>abc${near}`);
  assert.equal(doc.text, server.text('p.txt'));
  assert.equal(refused.length, 1);
  assert.equal(server.sent.filter((m) => m.type === 'hello').length, 1, 'never reconnected');
  assert.equal(client.maxFrameBytes, 4096, 'read from welcome');
});

test('an edit too large to send is taken back when it would be resent after a reconnect, not sent again at each one', async () => {
  const { server, client, timers, doc } = await openDocument('q.txt', 'abc');
  const refused = [];
  doc.on('refused', (e) => refused.push(e.code));
  doc.replace(3, 3, 'x'.repeat(5000));
  [...server.connections][0].drop(0);           // it never arrived
  doc.replace(0, 0, 'offline ');                // buffered behind it
  server.maxFrameBytes = 4096;                  // the server came back with a smaller --max-frame-bytes
  await until(server, () => refused.length === 1 && doc.state === 'open', [timers]);
  assert.deepEqual(refused, ['too_large']);
  assert.deepEqual(server.oversized, []);
  assert.equal(doc.text, 'abc');
  assert.equal(client.status, 'open');
  doc.replace(3, 3, 'd');
  await until(server, () => doc.synchronized && server.text('q.txt') === 'abcd', [timers]);
  assert.equal(server.sent.filter((m) => m.type === 'hello').length, 2, 'one reconnect, no more');
});

test('the limit is welcome’s maxFrameBytes; from a server that does not say, 1 MiB', async () => {
  for (const [announced, size, sent] of [[false, (1 << 20) + 1, false], [false, (1 << 20) - 100, true], [true, (1 << 20) + 1, true]]) {
    const server = new FakeServer({ maxFrameBytes: announced ? 2 << 20 : 1 << 20, announceMaxFrameBytes: announced });
    server.addUser('u1', 'Ada', 'editor');
    server.createDocument('m.txt', '');
    const { client } = browser(server, 'u1');
    client.connect();
    await until(server, () => client.isOpen);
    const doc = client.open('m.txt');
    await until(server, () => doc.state === 'open');
    const refused = [];
    doc.on('refused', (e) => refused.push(e.code));
    doc.replace(0, 0, 'x'.repeat(size));
    await until(server, () => doc.synchronized);
    assert.deepEqual(server.oversized, []);
    assert.equal(server.text('m.txt').length, sent ? size : 0, `${size} bytes, announced ${announced}`);
    assert.deepEqual(refused, sent ? [] : ['too_large']);
    assert.equal(client.maxFrameBytes, announced ? 2 << 20 : 1 << 20);
  }
});

test('a hostile welcome’s maxFrameBytes is taken within 1 KiB to 1 GiB; a followed document is never dropped as a refused create', async () => {
  // The fake server takes 1 MiB whatever its welcome says (announceMaxFrameBytes: what it says).
  const huge = await openDocument('h.txt', 'abc', new FakeServer({ announceMaxFrameBytes: 2 ** 40 }));
  assert.equal(huge.client.maxFrameBytes, 1 << 30);

  const long = `${'d/'.repeat(600)}h.txt`;   // an open of it is over 1 KiB
  const { server, client, timers, doc } = await openDocument(long, 'abc');
  const errors = [];
  client.on('error', (e) => errors.push(e.code));
  server.announceMaxFrameBytes = 1;          // the next welcome says 1 byte
  [...server.connections][0].drop(0);
  await until(server, () => client.isOpen && client.maxFrameBytes === 1 << 10, [timers]);
  // Its reopen is over the (clamped) limit: not sent, an error, but the document stays followed
  // (it is no create refused for its text).
  assert.deepEqual(errors, ['too_large']);
  assert.equal(client.documents.get(long), doc, 'still followed');
  assert.notEqual(doc.state, 'missing');
});

test('a document created with a text too large for one message is not created, the page told; no reconnect sends it', async () => {
  const server = new FakeServer({ maxFrameBytes: 4096 });
  server.addUser('u1', 'Ada', 'editor');
  const { client, timers } = browser(server, 'u1');
  const errors = [];
  client.on('error', (e) => errors.push(e));
  const early = client.open('early.txt', { create: 'e'.repeat(5000) });   // before the welcome: its limit decides
  client.connect();
  await until(server, () => client.isOpen && early.state === 'missing');
  const big = client.open('big.txt', { create: 'x'.repeat(5000) });
  assert.equal(big.state, 'missing');
  const fine = client.open('fine.txt', { create: 'y'.repeat(3000) });
  await until(server, () => fine.state === 'open');
  assert.deepEqual(errors.map((e) => [e.code, e.path]), [['too_large', 'early.txt'], ['too_large', 'big.txt']]);
  assert.match(errors[1].message, /big\.txt is larger than the server takes in one message \(4096 bytes\)/);
  assert.deepEqual(server.oversized, []);
  assert.ok(!server.documents.has('big.txt') && !server.documents.has('early.txt'));
  assert.deepEqual(server.sent.filter((m) => m.type === 'open').map((m) => m.path), ['fine.txt']);
  assert.ok(!client.documents.has('big.txt'), 'not followed: a reconnect does not send it again');
  [...server.connections][0].drop(0);
  const hellos = () => server.sent.filter((m) => m.type === 'hello').length;
  await until(server, () => hellos() === 2 && client.isOpen && fine.state === 'open', [timers]);
  assert.deepEqual(server.sent.filter((m) => m.type === 'open').map((m) => m.path), ['fine.txt', 'fine.txt']);
  assert.equal(errors.length, 2);
  assert.deepEqual(server.oversized, []);
});

test('a chat message or an annotation too large for one message is not sent, the page told', async () => {
  const server = new FakeServer({ maxFrameBytes: 4096 });
  server.addUser('u1', 'Ada', 'editor');
  server.createDocument('n.txt', 'abc');
  const { client } = browser(server, 'u1');
  const errors = [];
  client.on('error', (e) => errors.push(e));
  client.connect();
  await until(server, () => client.isOpen);
  const doc = client.open('n.txt');
  await until(server, () => doc.state === 'open');
  const documentErrors = [];
  doc.on('error', (e) => documentErrors.push(e));
  client.sendChat('"'.repeat(2100));          // 2,100 characters, 4,200 bytes once escaped
  doc.annotate(0, 3, '\n'.repeat(2100));
  server.deliverAll();
  assert.deepEqual(server.oversized, []);
  assert.equal(client.status, 'open');
  assert.deepEqual(errors.map((e) => e.code), ['too_large']);
  assert.match(errors[0].message, /chat message is larger than the server takes in one message \(4096 bytes\)/);
  assert.deepEqual(documentErrors.map((e) => e.code), ['too_large']);
  assert.match(documentErrors[0].message, /annotation is larger than the server takes in one message \(4096 bytes\)/);
  client.sendChat('ok');
  doc.annotate(0, 3, 'fine');
  await until(server, () => client.chat.length === 1 && doc.annotations.size === 1);
  assert.deepEqual(server.sent.filter((m) => m.type === 'chat' || m.type === 'annotate').map((m) => m.type), ['chat', 'annotate']);
});
