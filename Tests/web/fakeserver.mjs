// A test-only stand-in for `mesh serve`'s `/v1/ws` (CollaborationSocket and DocumentActor, in
// miniature), over in-memory sockets whose delivery the test drives: JSON text both ways,
// tickets in `hello`, snapshot / catchUp, ack / remoteOp, presence moved to the current
// revision, annotations, chat, roles, the frame and document size limits. Good enough to drive
// client.js through every path.
import { TextOperation } from '../../Sources/MeshServer/Resources/web/ot.js';
import { OTDocument } from './otdocument.mjs';

export class FakeServer {
  /** `maxFrameBytes`: a larger message closes its connection (`too_large`), as `--max-frame-bytes`
   *  does; `announceMaxFrameBytes: false` leaves it out of `welcome`, as servers before the field
   *  did. `maxDocumentBytes`: an op that would make a document larger is refused `too_large`. */
  constructor({ historyLimit = 1024, maxFrameBytes = 1 << 20, announceMaxFrameBytes = true, maxDocumentBytes = Infinity } = {}) {
    this.historyLimit = historyLimit;
    this.maxFrameBytes = maxFrameBytes;
    this.announceMaxFrameBytes = announceMaxFrameBytes;
    this.maxDocumentBytes = maxDocumentBytes;
    this.oversized = [];             // the sizes of the messages over maxFrameBytes that arrived
    this.documents = new Map();      // path → {doc, subscribers: Set<FakeConnection>, presence: Map, annotations: Map}
    this.connections = new Set();
    this.tickets = new Map();        // ticket → user
    this.users = new Map();          // user id → {name, role}
    this.sent = [];                  // every client → server message, parsed, for shape checks
    this.refusedOpens = new Map();   // path → opens still to refuse (refuseOpens)
    this.chat = [];
    this.nextTicket = 0;
    this.nextAnnotation = 0;
    this.corrupt = null;             // when set, the next hash the server sends is wrong
    const server = this;
    /** The WebSocket class the client is given. */
    this.WebSocket = class FakeWebSocket {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.connection = new FakeConnection(server, this);
        server.connections.add(this.connection);
        this.connection.toClient.push({ open: true });
      }

      send(text) {
        if (this.readyState !== 1) throw new Error('send on a socket that is not open');
        if (typeof text !== 'string') throw new Error('the client sends JSON text');
        this.connection.toServer.push(text);
      }

      close() { this.connection.drop(0); }
    };
  }

  addUser(id, name, role) { this.users.set(id, { name, role }); }

  issueTicket(user) {
    const ticket = `t${++this.nextTicket}`;
    this.tickets.set(ticket, user);
    return ticket;
  }

  /** The next `count` opens of `path` are refused with `internal` (the database away). */
  refuseOpens(path, count) { this.refusedOpens.set(path, count); }

  /** A document at `path` (a new one, with an id of its own, when one was there: deleted and created again). */
  createDocument(path, text) {
    this.documentCount = (this.documentCount ?? 0) + 1;
    this.documents.set(path, { id: `doc-${this.documentCount}`, doc: new OTDocument(text, 0, this.historyLimit), subscribers: new Set(),
                               presence: new Map(), annotations: new Map() });
  }

  text(path) { return this.documents.get(path).doc.text; }

  /** Delivers one queued message somewhere (chosen by `rng`); false when nothing is queued. */
  deliverOne(rng) {
    const busy = [...this.connections].filter((c) => c.toServer.length || c.toClient.length);
    if (busy.length === 0) return false;
    const c = rng ? rng.pick(busy) : busy[0];
    if (c.toServer.length && (!c.toClient.length || !rng || rng.bool())) c.deliverToServer(); else c.deliverToClient();
    return true;
  }

  deliverAll() {
    let n = 0;
    while (this.deliverOne()) n++;
    return n;
  }

  setRole(user, role) {
    this.users.get(user).role = role;
    for (const c of this.connections) {
      if (c.user === user && c.welcomed) {
        c.role = role;
        c.send(role === null ? { type: 'role' } : { type: 'role', role });
      }
    }
  }
}

class FakeConnection {
  constructor(server, socket) {
    this.server = server;
    this.socket = socket;
    this.toServer = [];
    this.toClient = [];
    this.user = null;
    this.welcomed = false;
    this.closed = false;
    this.open = new Set();
  }

  send(message) { if (!this.closed) this.toClient.push(JSON.stringify(message)); }

  deliverToClient() {
    const item = this.toClient.shift();
    if (item.open) {
      this.socket.readyState = 1;
      this.socket.onopen?.();
    } else if (item.close) {
      this.socket.readyState = 3;
      this.server.connections.delete(this);
      this.socket.onclose?.({ code: item.code, reason: item.reason });
    } else {
      this.socket.onmessage?.({ data: item });
    }
  }

  /** The connection breaks: `arrived` queued client messages still reach the server. */
  drop(arrived) {
    if (this.closed) return;
    for (let i = 0; i < arrived && this.toServer.length; i++) this.deliverToServer();
    this.closed = true;
    this.toServer = [];
    this.toClient = [{ close: true, code: 1006, reason: 'dropped' }];
    for (const path of this.open) this.leave(path);
  }

  leave(path) {
    const entry = this.server.documents.get(path);
    if (!entry) return;
    entry.subscribers.delete(this);
    if (entry.presence.delete(this)) {
      for (const other of entry.subscribers) other.send({ type: 'presence', path, user: this.user, name: this.name, rev: entry.doc.revision, selections: [] });
    }
  }

  error(code, message, extra = {}) { this.send({ type: 'error', code, message, ...extra }); }

  /** The server closes the connection after `error` (its documents are left). */
  closeWith(code, reason) {
    this.closed = true;
    this.toServer = [];
    this.toClient.push({ close: true, code, reason });
    for (const path of this.open) this.leave(path);
  }

  deliverToServer() {
    const text = this.toServer.shift();
    if (this.closed) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.server.maxFrameBytes) {
      // As CollaborationSocket: the frame is not read; the connection ends.
      this.server.oversized.push(bytes);
      this.error('too_large', `message larger than ${this.server.maxFrameBytes} bytes`);
      return this.closeWith(1009, 'message too large');
    }
    const message = JSON.parse(text);
    this.server.sent.push(message);
    if (!this.welcomed) {
      const user = this.server.tickets.get(message.ticket);
      this.server.tickets.delete(message.ticket);     // single use
      if (message.type !== 'hello' || user === undefined) {
        this.error('unauthorized', 'no valid ticket');
        this.closed = true;
        this.toClient.push({ close: true, code: 1008, reason: 'unauthorized' });
        return;
      }
      this.user = user;
      this.name = this.server.users.get(user).name;
      this.role = this.server.users.get(user).role;
      this.welcomed = true;
      const online = [...this.server.connections].filter((c) => c.welcomed && !c.closed)
        .map((c) => ({ user: c.user, name: c.name, role: c.role }));
      this.send({ type: 'welcome', protocol: 1, session: message.session, user: { user, name: this.name, role: this.role },
        online, documents: [...this.server.documents.keys()], chat: this.server.chat.slice(-50), tokenExpiresAt: 4102444800,
        ...(this.server.announceMaxFrameBytes === true ? { maxFrameBytes: this.server.maxFrameBytes }
          : typeof this.server.announceMaxFrameBytes === 'number' ? { maxFrameBytes: this.server.announceMaxFrameBytes } : {}) });
      return;
    }
    const entry = this.server.documents.get(message.path);
    switch (message.type) {
      case 'open': {
        const refusals = this.server.refusedOpens.get(message.path) ?? 0;
        if (refusals > 0) {
          this.server.refusedOpens.set(message.path, refusals - 1);
          return this.error('internal', 'could not open the document', { path: message.path, ref: 'open' });
        }
        let target = entry;
        if (!target) {
          if (message.create == null) return this.error('not_found', `no document ${message.path} in this session`, { path: message.path, ref: 'open' });
          this.server.createDocument(message.path, message.create);
          target = this.server.documents.get(message.path);
          for (const c of this.server.connections) if (c.welcomed) c.send({ type: 'document', path: message.path, change: 'created' });
        }
        target.subscribers.add(this);
        this.open.add(message.path);
        const others = [...target.presence].filter(([c]) => c !== this).map(([, p]) => p);
        const notes = [...target.annotations.values()];
        // As the server: a revision of another document (knownId) is none of this one's.
        if (message.knownRev != null && (message.knownId == null || message.knownId === target.id)) {
          try {
            const ops = target.doc.operationsSince(message.knownRev).map((e) => ({ rev: e.revision, ops: e.operation.toJSON(), author: e.author, opId: e.opId }));
            return this.send({ type: 'catchUp', path: message.path, ops, rev: target.doc.revision, presence: others, annotations: notes, id: target.id });
          } catch { /* too old: a snapshot */ }
        }
        return this.send({ type: 'snapshot', path: message.path, rev: target.doc.revision, text: target.doc.text, presence: others, annotations: notes,
                           id: target.id });
      }
      case 'close': this.open.delete(message.path); return this.leave(message.path);
      case 'op': {
        if (!entry || !entry.subscribers.has(this)) return this.error('bad_request', 'open the document before editing it', { ref: message.opId, path: message.path });
        if (this.role === 'viewer') return this.error('forbidden', 'viewers cannot edit; your change was not applied', { ref: message.opId, path: message.path });
        const growth = message.ops.reduce((sum, c) => sum + (typeof c === 'string' ? Buffer.byteLength(c, 'utf8') : 0), 0);
        if (Buffer.byteLength(entry.doc.text, 'utf8') + growth > this.server.maxDocumentBytes) {
          return this.error('too_large', `the document would exceed ${this.server.maxDocumentBytes} bytes`, { ref: message.opId, path: message.path });
        }
        let receipt;
        try {
          receipt = entry.doc.receive(TextOperation.fromJSON(message.ops), message.baseRev, message.opId, this.user);
        } catch (e) {
          return this.error('resync', String(e.message), { ref: message.opId, path: message.path });
        }
        const { committed, isDuplicate } = receipt;
        this.send({ type: 'ack', path: message.path, rev: committed.revision, opId: message.opId });
        if (isDuplicate) return undefined;
        for (const [c, p] of entry.presence) { p.selections = committed.operation.transformSelection(p.selections); p.rev = committed.revision; entry.presence.set(c, p); }
        for (const a of entry.annotations.values()) {
          const [r] = committed.operation.transformSelection([{ anchor: a.from, head: a.to }]);
          a.from = r.anchor; a.to = r.head; a.rev = committed.revision;
        }
        for (const other of entry.subscribers) {
          if (other !== this) other.send({ type: 'remoteOp', path: message.path, rev: committed.revision, ops: committed.operation.toJSON(), author: this.user, opId: message.opId });
        }
        if (committed.revision % 100 === 0) {
          let hash = entry.doc.text;
          if (this.server.corrupt) { hash = 'x'; this.server.corrupt = null; }
          for (const c of entry.subscribers) c.send({ type: 'hash', path: message.path, rev: committed.revision, hash: fnv(hash) });
        }
        return undefined;
      }
      case 'presence': {
        if (!entry || !entry.subscribers.has(this)) return undefined;
        let selections = message.selections;
        if (message.rev < entry.doc.revision) for (const e of entry.doc.operationsSince(message.rev)) selections = e.operation.transformSelection(selections);
        else if (message.rev !== entry.doc.revision) return this.error('resync', `presence for unknown revision ${message.rev}`, { path: message.path });
        const presence = { type: 'presence', path: message.path, user: this.user, name: this.name, rev: entry.doc.revision, selections };
        entry.presence.set(this, presence);
        for (const other of entry.subscribers) if (other !== this) other.send(presence);
        return undefined;
      }
      case 'annotate': {
        if (!entry || !entry.subscribers.has(this)) return this.error('bad_request', 'open the document first', { path: message.path });
        let [range] = [{ anchor: message.from, head: message.to }];
        if (message.rev < entry.doc.revision) for (const e of entry.doc.operationsSince(message.rev)) [range] = e.operation.transformSelection([range]);
        else if (message.rev !== entry.doc.revision) return this.error('resync', 'annotation for unknown revision', { path: message.path });
        const annotation = { type: 'annotation', id: `a${++this.server.nextAnnotation}`, path: message.path, parent: message.parent ?? null,
          user: this.user, name: this.name, rev: entry.doc.revision, from: range.anchor, to: range.head, body: message.body, resolved: false, deleted: false };
        entry.annotations.set(annotation.id, annotation);
        for (const c of entry.subscribers) c.send(annotation);
        return undefined;
      }
      case 'chat': {
        const chat = { type: 'chat', id: `m${this.server.chat.length + 1}`, user: this.user, name: this.name, text: message.text, at: '2026-01-01T00:00:00Z' };
        this.server.chat.push(chat);
        for (const c of this.server.connections) if (c.welcomed && !c.closed) c.send(chat);
        return undefined;
      }
      case 'auth': return this.send({ type: 'authenticated', expiresAt: 4102444800 });
      case 'ping': return this.send(message.id == null ? { type: 'pong' } : { type: 'pong', id: message.id });
      default: return this.error('unknown_type', `unknown message type "${message.type}"`);
    }
  }
}

function fnv(text) {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** Timers the test fires by hand. */
export class ManualTimers {
  constructor() { this.pending = new Map(); this.next = 1; }

  setTimeout(fn, delay) { const id = this.next++; this.pending.set(id, { fn, delay }); return id; }

  clearTimeout(id) { this.pending.delete(id); }

  /** Runs every timer due now (all of them: time is not modelled). */
  runAll() {
    const due = [...this.pending];
    this.pending.clear();
    for (const [, { fn }] of due) fn();
    return due.length;
  }
}

/** Lets pending promise callbacks (the tickets' awaits) run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
