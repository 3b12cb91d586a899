// otclient.js against MeshOT's OTClient: the Swift-logged simulations (every input and every
// answer, step by step), the editing traces replayed through the client, and JavaScript
// simulations with random delivery, disconnects and resends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TextOperation, OTError } from '../../Sources/MeshServer/Resources/web/ot.js';
import { cpLength, cpToUnits } from '../../Sources/MeshServer/Resources/web/codepoints.js';
import { OTClient, ownOpId } from '../../Sources/MeshServer/Resources/web/otclient.js';
import { OTDocument } from './otdocument.mjs';
import { withFixture, SeededRandom, randomText, randomOperation, propertyCases, tracesPath, loadTrace } from './support.mjs';

const read = (ops) => TextOperation.fromJSON(ops);

function sameOutgoing(actual, expected, where) {
  if (expected == null) return assert.equal(actual, null, `${where}: sent nothing`);
  assert.notEqual(actual, null, `${where}: sent ${JSON.stringify(expected)}`);
  assert.equal(actual.opId, expected.opId, `${where}: opId`);
  assert.equal(actual.baseRevision, expected.baseRevision, `${where}: baseRevision`);
  assert.deepEqual(actual.operation.toJSON(), expected.operation, `${where}: operation`);
}

test('the Swift-logged simulations: every OTClient answer, in order', (t) => {
  withFixture(t, (fixture) => {
    assert.ok(fixture.simulations.length > 0);
    for (const simulation of fixture.simulations) {
      for (const log of simulation.clients) {
        const client = new OTClient(0, log.clientID);
        let text = simulation.initial;
        log.events.forEach((event, index) => {
          const where = `simulation ${simulation.seed}, ${log.clientID}, event ${index} (${event.kind})`;
          switch (event.kind) {
            case 'local':
              text = read(event.ops).apply(text);
              sameOutgoing(client.applyLocal(read(event.ops)), event.send, where);
              break;
            case 'ack':
              sameOutgoing(client.receiveAck(event.opId, event.rev), event.send, where);
              break;
            case 'remote': {
              const apply = client.receiveRemote(read(event.ops), event.rev);
              assert.deepEqual(apply.toJSON(), event.apply, where);
              text = apply.apply(text);
              break;
            }
            case 'committed': {
              const { apply, send } = client.receiveCommitted(read(event.ops), event.rev, event.opId ?? null);
              if (event.apply == null) assert.equal(apply, null, where);
              else { assert.deepEqual(apply.toJSON(), event.apply, where); text = apply.apply(text); }
              sameOutgoing(send, event.send, where);
              break;
            }
            case 'resend':
              // Only asked when catch-up sent nothing; then the answer is `resendable`.
              if (event.send != null) sameOutgoing(client.resendable, event.send, where);
              break;
            default:
              assert.fail(`${where}: unknown event kind`);
          }
        });
        assert.equal(text, log.text, `simulation ${simulation.seed}, ${log.clientID}: text`);
        assert.equal(client.revision, log.revision, `simulation ${simulation.seed}, ${log.clientID}: revision`);
        assert.equal(text, simulation.final, `simulation ${simulation.seed}, ${log.clientID}: converged`);
      }
    }
  });
});

test('the editing traces replay through ot.js to their end content', () => {
  const names = readdirSync(tracesPath).filter((n) => n.endsWith('.json.gz')).sort();
  assert.ok(names.length > 0, `no traces in ${tracesPath} (set MESH_TRACES)`);
  for (const name of names) {
    const trace = loadTrace(join(tracesPath, name));
    // Each patch [pos, del, ins] (code points) becomes a TextOperation on the current text,
    // applied through an OTClient as a local edit and acknowledged at once, as the browser
    // would (the trace's patches are one user's keystrokes).
    const client = new OTClient(0, 'trace');
    let text = trace.startContent;
    let length = cpLength(text);
    for (const txn of trace.txns) {
      for (const [position, deleted, inserted] of txn.patches) {
        const op = new TextOperation().retain(position).insert(inserted).delete(deleted).retain(length - position - deleted);
        text = op.apply(text);
        length = op.targetLength;
        const sent = client.applyLocal(op);
        client.receiveAck(sent.opId, client.revision + 1);
      }
    }
    assert.equal(text, trace.endContent, name);
    assert.equal(length, cpLength(trace.endContent), name);
    assert.equal(client.state, 'synchronized', name);
  }
});

test('a trace typed by two clients at once converges (every patch concurrent with the other client’s)', () => {
  // The first trace split between two clients: even patches typed by one, odd by the other,
  // each based on the text as its author saw it, delivered through a server in random order.
  const names = readdirSync(tracesPath).filter((n) => n.endsWith('.json.gz')).sort();
  const trace = loadTrace(join(tracesPath, names.find((n) => n.startsWith('friendsforever')) ?? names[0]));
  const patches = trace.txns.flatMap((txn) => txn.patches).slice(0, 4000);
  const rng = new SeededRandom(11);
  const sim = new Simulation(rng, trace.startContent, 2);
  patches.forEach(([position, deleted, inserted], i) => {
    const c = sim.clients[i % 2];
    const length = cpLength(c.text);
    const at = Math.min(position, length);
    const del = Math.min(deleted, length - at);
    sim.local(i % 2, new TextOperation().retain(at).insert(inserted).delete(del).retain(length - at - del));
    for (let k = rng.int(0, 3); k > 0; k--) sim.randomDelivery();
  });
  sim.drain();
  for (const c of sim.clients) assert.equal(c.text, sim.server.text);
});

/** OTClients and an OTDocument over simulated connections (SyncSimulationTests, in JS). */
class Simulation {
  constructor(rng, initial, count) {
    this.rng = rng;
    this.server = new OTDocument(initial, 0, 100000);
    this.clients = Array.from({ length: count }, (_, i) => ({
      ot: new OTClient(0, `c${i}`), text: initial, up: [], down: [], connected: true,
    }));
  }

  local(i, op) {
    const c = this.clients[i];
    c.text = op.apply(c.text);
    const out = c.ot.applyLocal(op);
    if (out && c.connected) c.up.push(out);
  }

  toServer(i) {
    const c = this.clients[i];
    const message = c.up.shift();
    const { committed, isDuplicate } = this.server.receive(message.operation, message.baseRevision, message.opId, `c${i}`);
    c.down.push({ ack: message.opId, revision: committed.revision });
    if (isDuplicate) return;
    this.clients.forEach((other, j) => {
      if (j !== i && other.connected) other.down.push({ op: committed.operation, revision: committed.revision });
    });
  }

  toClient(i) {
    const c = this.clients[i];
    const message = c.down.shift();
    if (message.ack) {
      const next = c.ot.receiveAck(message.ack, message.revision);
      if (next) c.up.push(next);
    } else {
      c.text = c.ot.receiveRemote(message.op, message.revision).apply(c.text);
    }
  }

  disconnect(i) {
    const c = this.clients[i];
    for (let k = this.rng.int(0, c.up.length); k > 0; k--) this.toServer(i);
    c.up = [];
    c.down = [];
    c.connected = false;
  }

  reconnect(i) {
    const c = this.clients[i];
    c.connected = true;
    for (const e of this.server.operationsSince(c.ot.revision)) {
      const { apply, send } = c.ot.receiveCommitted(e.operation, e.revision, e.opId);
      if (apply) c.text = apply.apply(c.text);
      if (send) c.up.push(send);
    }
    if (c.up.length === 0 && c.ot.resendable) c.up.push(c.ot.resendable);
  }

  randomDelivery() {
    const i = this.rng.int(0, this.clients.length - 1);
    const c = this.clients[i];
    if (this.rng.bool()) { if (c.connected && c.up.length) this.toServer(i); } else if (c.connected && c.down.length) this.toClient(i);
  }

  step() {
    const i = this.rng.int(0, this.clients.length - 1);
    const c = this.clients[i];
    const roll = this.rng.int(0, 19);
    if (roll < 6) this.local(i, randomOperation(TextOperation, this.rng, cpLength(c.text)));
    else if (roll < 12) { if (c.connected && c.up.length) this.toServer(i); } else if (roll < 18) { if (c.connected && c.down.length) this.toClient(i); } else if (c.connected) this.disconnect(i);
    else this.reconnect(i);
  }

  drain() {
    this.clients.forEach((c, i) => { if (!c.connected) this.reconnect(i); });
    for (let progressed = true; progressed;) {
      progressed = false;
      this.clients.forEach((c, i) => {
        if (c.up.length) { this.toServer(i); progressed = true; }
        if (c.down.length) { this.toClient(i); progressed = true; }
      });
    }
  }
}

test('JavaScript simulations: 2–8 clients, random delivery, disconnects, catch-up and resend converge', () => {
  for (let seed = 0; seed < propertyCases(500); seed++) {
    const rng = new SeededRandom(seed);
    const sim = new Simulation(rng, randomText(rng, 8), rng.int(2, 8));
    for (let n = rng.int(10, 80); n > 0; n--) sim.step();
    sim.drain();
    sim.clients.forEach((c, i) => {
      assert.equal(c.text, sim.server.text, `seed ${seed}: client ${i} diverged`);
      assert.equal(c.ot.state, 'synchronized', `seed ${seed}: client ${i} still pending`);
      assert.equal(c.ot.revision, sim.server.revision, `seed ${seed}: client ${i} revision`);
    });
  }
});

test('OTClient refuses out-of-order messages (SyncSimulationTests.clientRefusesOutOfOrderMessages)', () => {
  const client = new OTClient(3, 'c');
  assert.throws(() => client.receiveRemote(new TextOperation(), 5),
    (e) => e instanceof OTError && e.kind === 'unexpectedRevision' && e.expected === 4 && e.received === 5);
  assert.throws(() => client.receiveAck('c:9', 4), (e) => e.kind === 'unexpectedAck');
  assert.equal(cpToUnits('x', 1), 1);
});

test('a second ack of the op last confirmed is stale and ignored; any other unexpected ack is an error (OTClient.confirmed)', () => {
  const client = new OTClient(0, 'c');
  const first = client.applyLocal(new TextOperation().insert('a'));
  assert.equal(client.receiveAck(first.opId, 1), null);
  // The server saw our resend after it had sent the first copy as committed: the same ack again.
  assert.equal(client.receiveAck(first.opId, 1), null);
  assert.equal(client.state, 'synchronized');
  assert.equal(client.revision, 1);
  // Also while the next op is in flight: it stays outstanding.
  const second = client.applyLocal(new TextOperation().retain(1).insert('b'));
  assert.equal(client.receiveAck(first.opId, 1), null);
  assert.equal(client.outstanding, second);
  // The same opId at another revision, or an op never sent, is still an error.
  assert.throws(() => client.receiveAck(first.opId, 2), (e) => e instanceof OTError && e.kind === 'unexpectedAck');
  assert.throws(() => client.receiveAck('c:9', 2), (e) => e.kind === 'unexpectedAck');
  assert.equal(client.receiveAck(second.opId, 2), null);
  assert.equal(client.state, 'synchronized');
});

test('a committed op may be ours only when its author is our user (ownOpId, as mesh lsp)', () => {
  assert.equal(ownOpId({ author: 'u1', opId: 'c:1' }, 'u1'), 'c:1');
  assert.equal(ownOpId({ author: 'u2', opId: 'c:1' }, 'u1'), null, 'another participant’s client used the same opId');
  assert.equal(ownOpId({ opId: 'c:1' }, 'u1'), null, 'no author');
  assert.equal(ownOpId({ author: 'u1', opId: 'c:1' }, undefined), null, 'before the welcome');
  assert.equal(ownOpId({ author: 'u1' }, 'u1'), null, 'no opId');
  // Passed so, the same opId from someone else is a remote op, not our ack.
  const client = new OTClient(0, 'c');
  client.applyLocal(new TextOperation().insert('a'));
  const theirs = new TextOperation().insert('b');
  const { apply, send } = client.receiveCommitted(theirs, 1, ownOpId({ author: 'u2', opId: 'c:1' }, 'u1'));
  assert.deepEqual(apply.toJSON(), [1, 'b']);
  assert.equal(send, null);
  assert.equal(client.outstanding.opId, 'c:1');
});
