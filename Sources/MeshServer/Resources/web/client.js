// The browser's side of the collaboration protocol (docs/protocol.md, `/v1/ws`): one socket per
// session, a SharedDocument per open document with its OTClient (otclient.js), reconnection
// with catch-up and resend, resync, presence, annotations, chat, roles and document events.
//
// Messages are written exactly as MeshProtocol's ClientMessage encodes them (absent optionals
// are left out) and read as ServerMessage carries them. Offsets are code points everywhere.
// The socket is authenticated by a short-lived single-use ticket (`POST /v1/ws-ticket`) sent
// in `hello.ticket`, and kept alive past the ticket's lease with `auth {ticket}`; see
// docs/web.md. Nothing here touches the DOM: the page listens to events.
import { TextOperation, replacementBetween } from './ot.js';
import { documentHash } from './hash.js';
import { wellFormed, cpLength } from './codepoints.js';
import { OTClient } from './otclient.js';
import { openTicketSocket } from './socket.js';

/** Schedules the renewal of `owner`'s socket lease with a fresh ticket a quarter of the remaining
 *  time (5 s to 2 minutes) before `expiresAt` (seconds since 1970), as `mesh lsp` renews with
 *  tokens; `send(ticket)` sends `auth {ticket}`. `owner` (the `/v1/ws` and the `/v1/debug`
 *  connections) has `timers`, `now()`, `getTicket()` and `renewTimer`. When no ticket can be
 *  had, the lease runs out and the server closes: the owner reconnects or says so. */
export function scheduleTicketRenewal(owner, expiresAt, send) {
  owner.timers.clearTimeout(owner.renewTimer);
  const remaining = expiresAt * 1000 - owner.now();
  const margin = Math.min(120000, Math.max(5000, remaining / 4));
  owner.renewTimer = owner.timers.setTimeout(async () => {
    let ticket;
    try { ticket = await owner.getTicket(); } catch { return; }
    send(ticket);
  }, Math.max(0, remaining - margin));
}

export const PROTOCOL = 1;
export const CLIENT_NAME = 'mesh-web/0.1';

/** A minimal event emitter: `on(type, fn)` returns the function that removes the listener. */
export class Emitter {
  constructor() { this.listeners = new Map(); }

  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }

  emit(type, ...args) {
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn(...args);
  }
}

/** Roles as the protocol names them; a role this side does not know reads as viewer. */
export function leniently(role) {
  return role === 'owner' || role === 'editor' || role === 'viewer' ? role : 'viewer';
}

export const canEdit = (role) => role === 'editor' || role === 'owner';

/** Ranges clamped to a text of `length` code points. */
function clamp(ranges, length) {
  return ranges.map(({ anchor, head }) => ({
    anchor: Math.min(Math.max(0, anchor), length), head: Math.min(Math.max(0, head), length),
  }));
}

/** One document of the session as this page holds it.
 *
 *  `text` is the local text (the server's plus our unacknowledged edits); `serverText` the text
 *  at `ot.revision`. Events: `ready` (first snapshot), `change` (op, origin: 'local' | 'remote' |
 *  'resync' | 'revert'), `presence`, `annotations`, `state`, `refused` (an edit the server did
 *  not apply, with its error). */
export class SharedDocument extends Emitter {
  constructor(session, path, create) {
    super();
    this.session = session;
    this.path = path;
    this.create = create;          // text to create it with, when it does not exist yet
    this.state = 'opening';        // opening | open | resyncing | closed | deleted | missing
    this.text = '';
    this.serverText = '';
    this.length = 0;               // code points of `text`
    this.ot = null;
    this.generation = 0;
    /** user id → {user, name, selections} (code points of `text`). */
    this.presence = new Map();
    /** Presence and annotations received for a revision we have not reached yet. */
    this.early = [];
    /** annotation id → ServerMessage.Annotation, `from`/`to` moved into `text`. */
    this.annotations = new Map();
    this.localSelection = null;
    this.presenceDirty = false;
    /** Annotations asked for while our edits were in flight: sent once synchronized. */
    this.queuedAnnotations = [];
  }

  get revision() { return this.ot?.revision ?? null; }

  get readOnly() {
    return !canEdit(this.session.role) || this.state === 'deleted' || this.state === 'missing' || this.state === 'closed';
  }

  get synchronized() { return this.ot !== null && this.ot.state === 'synchronized'; }

  /** A local edit: `op` applies to `text`. Sent at once, or buffered while one is in flight. */
  edit(op) {
    if (this.ot === null) throw new Error(`${this.path} is not open yet`);
    if (this.readOnly) throw new Error(`${this.path} is read-only for you`);
    if (op.isNoop) return;
    this.text = op.apply(this.text);
    this.length = op.targetLength;
    this.moveAnchors(op);
    this.emit('change', op, 'local');
    const out = this.ot.applyLocal(op);
    if (out && this.state === 'open') this.session.sendOp(this, out);
  }

  /** A local edit replacing code points [from, to) with `inserted`. */
  replace(from, to, inserted) {
    this.edit(TextOperation.replacing(from, to, wellFormed(inserted), this.length));
  }

  /** Our cursors and selections (code points of `text`), shown to the others. */
  setSelection(ranges) {
    this.localSelection = clamp(ranges, this.length);
    this.presenceDirty = true;
    this.session.schedulePresence(this);
  }

  /** Adds an annotation (or a reply, with `parent`) on code points [from, to). */
  annotate(from, to, body, parent = null) {
    this.queuedAnnotations.push({ from: Math.min(from, to), to: Math.max(from, to), body, parent });
    this.flushQueued();
  }

  // MARK: Server messages

  receivedSnapshot(message) {
    const first = this.ot === null;
    this.generation += 1;
    const fresh = new OTClient(message.rev, `${this.session.instanceID}-${this.generation}`);
    if (first) {
      this.ot = fresh;
      this.text = message.text;
      this.serverText = message.text;
      this.length = cpLength(message.text);
      this.setState('open');
      this.receivedAnnotations(message.annotations, true);
      this.receivedPresenceList(message.presence);
      this.emit('ready');
      this.flushQueued();
      return;
    }
    // A resync (or a reconnect past the server's history): our unacknowledged edits (the
    // difference from the text at our last revision) and the server's difference from that
    // text are concurrent; ours are transformed onto the server's text and sent again.
    const ours = replacementBetween(this.serverText, this.text);
    const theirs = replacementBetween(this.serverText, message.text);
    const [oursOnTheirs, theirsOnOurs] = TextOperation.transform(ours, theirs, 'left');
    this.ot = fresh;
    this.serverText = message.text;
    this.text = theirsOnOurs.apply(this.text);
    this.length = theirsOnOurs.targetLength;
    this.moveAnchors(theirsOnOurs);
    this.setState('open');
    if (!theirsOnOurs.isNoop) this.emit('change', theirsOnOurs, 'resync');
    this.presence.clear();
    this.early = [];
    this.receivedAnnotations(message.annotations, true);
    this.receivedPresenceList(message.presence);
    if (!oursOnTheirs.isNoop && !this.readOnly) {
      const out = this.ot.applyLocal(oursOnTheirs);
      if (out) this.session.sendOp(this, out);
    }
    this.flushQueued();
  }

  receivedCatchUp(message) {
    let sent = false;
    try {
      for (const committed of message.ops) {
        const op = TextOperation.fromJSON(committed.ops);
        const outstanding = this.ot.outstanding;
        const { apply, send } = this.ot.receiveCommitted(op, committed.rev, committed.opId ?? null);
        if (apply) {
          this.serverText = op.apply(this.serverText);
          this.applyRemote(apply, 'remote');
        } else {
          this.serverText = outstanding.operation.apply(this.serverText);
        }
        if (send) { this.session.sendOp(this, send); sent = true; }
      }
    } catch (error) {
      return this.resync(`catch-up failed: ${error.message}`);
    }
    this.setState('open');
    if (!sent && this.ot.resendable) this.session.sendOp(this, this.ot.resendable);
    this.receivedAnnotations(message.annotations, false);
    this.receivedPresenceList(message.presence);
    this.flushQueued();
  }

  receivedAck(message) {
    const outstanding = this.ot?.outstanding;
    // An ack for an op of an earlier generation (before a resync) is old news.
    if (!outstanding || outstanding.opId !== message.opId) {
      if (this.isOurOldOp(message.opId)) return;
      return this.resync(`unexpected acknowledgement ${message.opId}`);
    }
    try {
      const next = this.ot.receiveAck(message.opId, message.rev);
      this.serverText = outstanding.operation.apply(this.serverText);
      if (next && this.state === 'open') this.session.sendOp(this, next);
    } catch (error) {
      return this.resync(`unexpected acknowledgement: ${error.message}`);
    }
    this.revisionAdvanced();
    this.flushQueued();
  }

  receivedRemoteOp(message) {
    if (this.ot === null) return;
    try {
      const op = TextOperation.fromJSON(message.ops);
      const local = this.ot.receiveRemote(op, message.rev);
      this.serverText = op.apply(this.serverText);
      this.applyRemote(local, 'remote');
    } catch (error) {
      return this.resync(`a remote edit did not apply: ${error.message}`);
    }
    this.revisionAdvanced();
  }

  receivedHash(message) {
    if (this.ot === null || message.rev !== this.ot.revision || !this.synchronized) return;
    if (documentHash(this.text) !== message.hash) this.resync('the text differs from the server’s (document hash)');
  }

  /** An error naming this document. */
  receivedError(error) {
    if (error.code === 'resync') return this.resync(error.message);
    if (this.state === 'opening' && error.ref == null) {
      this.setState('missing');
      this.emit('error', error);
      return;
    }
    const outstanding = this.ot?.outstanding;
    if (error.ref != null && outstanding && error.ref === outstanding.opId) {
      // The op (and what was buffered behind it) was not applied: take it back.
      this.revert();
      this.emit('refused', error);
      return;
    }
    this.emit('error', error);
  }

  receivedPresence(message) {
    if (message.user === this.session.me?.user) return;
    if (message.selections.length === 0) {
      if (this.presence.delete(message.user)) this.emit('presence');
      return;
    }
    if (this.ot !== null && message.rev > this.ot.revision) {
      this.early = this.early.filter((e) => !(e.kind === 'presence' && e.message.user === message.user));
      this.early.push({ kind: 'presence', message });
      return;
    }
    this.presence.set(message.user, {
      user: message.user, name: message.name, selections: this.intoLocalText(message.selections, message.rev),
    });
    this.emit('presence', message.user);
  }

  receivedAnnotation(annotation) {
    if (annotation.deleted) {
      if (this.annotations.delete(annotation.id)) this.emit('annotations');
      return;
    }
    if (this.ot !== null && annotation.rev > this.ot.revision) {
      this.early.push({ kind: 'annotation', message: annotation });
      return;
    }
    const [range] = this.intoLocalText([{ anchor: annotation.from, head: annotation.to }], annotation.rev);
    this.annotations.set(annotation.id, { ...annotation, from: range.anchor, to: range.head });
    this.emit('annotations');
  }

  // MARK: Internals

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  receivedPresenceList(list) {
    for (const message of list ?? []) this.receivedPresence(message);
    this.emit('presence');
  }

  receivedAnnotations(list, replace) {
    if (replace) this.annotations.clear();
    for (const annotation of list ?? []) this.receivedAnnotation(annotation);
    this.emit('annotations');
  }

  /** Ranges at server revision `rev` as ranges of our local text: at our revision they move
   *  through our pending edits; at an older one (or a reconnect race) they are clamped. */
  intoLocalText(ranges, rev) {
    if (this.ot === null || rev !== this.ot.revision) return clamp(ranges, this.length);
    let moved = clamp(ranges, cpLength(this.serverText));
    const pending = this.ot.outstanding;
    if (pending) moved = pending.operation.transformSelection(moved);
    if (this.ot.buffer) moved = this.ot.buffer.transformSelection(moved);
    return clamp(moved, this.length);
  }

  /** Presence and annotations that were waiting for the revision we just reached. */
  revisionAdvanced() {
    if (this.early.length === 0) return;
    const ready = this.early.filter((e) => e.message.rev <= this.ot.revision);
    this.early = this.early.filter((e) => e.message.rev > this.ot.revision);
    for (const e of ready) {
      if (e.kind === 'presence') this.receivedPresence(e.message); else this.receivedAnnotation(e.message);
    }
  }

  applyRemote(op, origin) {
    this.text = op.apply(this.text);
    this.length = op.targetLength;
    this.moveAnchors(op);
    this.emit('change', op, origin);
  }

  /** Moves the others' selections, the annotations and what we queued through an edit. */
  moveAnchors(op) {
    for (const entry of this.presence.values()) entry.selections = op.transformSelection(entry.selections);
    for (const annotation of this.annotations.values()) {
      const [range] = op.transformSelection([{ anchor: annotation.from, head: annotation.to }]);
      annotation.from = range.anchor;
      annotation.to = range.head;
    }
    for (const queued of this.queuedAnnotations) {
      const [range] = op.transformSelection([{ anchor: queued.from, head: queued.to }]);
      queued.from = range.anchor;
      queued.to = range.head;
    }
    if (this.localSelection) this.localSelection = op.transformSelection(this.localSelection);
  }

  isOurOldOp(opId) {
    const prefix = `${this.session.instanceID}-`;
    if (!opId.startsWith(prefix)) return false;
    const generation = Number.parseInt(opId.slice(prefix.length), 10);
    return generation < this.generation;
  }

  /** Reopens the document from a snapshot (our unacknowledged edits are kept and re-sent). */
  resync(reason) {
    if (this.state === 'resyncing' || this.state === 'closed' || this.state === 'deleted') return;
    this.setState('resyncing');
    this.emit('resync', reason);
    this.session.send({ type: 'open', path: this.path });
  }

  /** Drops our unacknowledged edits (the server refused them): back to the server's text. */
  revert() {
    const back = replacementBetween(this.text, this.serverText);
    this.generation += 1;
    this.ot = new OTClient(this.ot.revision, `${this.session.instanceID}-${this.generation}`);
    this.applyRemote(back, 'revert');
  }

  /** Sends our presence and queued annotations once nothing of ours is in flight (their
   *  offsets then refer to the server's text at our revision, exactly). */
  flushQueued() {
    if (this.state !== 'open' || !this.synchronized || !this.session.isOpen) return;
    if (this.presenceDirty && this.localSelection) {
      this.presenceDirty = false;
      this.session.send({ type: 'presence', path: this.path, rev: this.ot.revision, selections: this.localSelection });
    }
    for (const a of this.queuedAnnotations.splice(0)) {
      const message = { type: 'annotate', path: this.path, rev: this.ot.revision, from: a.from, to: a.to, body: a.body };
      if (a.parent != null) message.parent = a.parent;
      this.session.send(message);
    }
  }
}

/** The session socket. `getTicket()` resolves to a fresh single-use ticket (or throws);
 *  `url` is the `/v1/ws` address. Events: `status` (connecting | open | reconnecting | closed |
 *  removed), `welcome`, `participants`, `chat`, `role`, `documents` (created / deleted),
 *  `error` (an error naming no document), `presence` (any document: for following). */
export class SessionClient extends Emitter {
  constructor({ session, url, getTicket, WebSocketImpl = globalThis.WebSocket, timers = globalThis, random = Math.random,
    instanceID = null, now = () => Date.now() }) {
    super();
    this.session = session;
    this.url = url;
    this.getTicket = getTicket;
    this.WebSocketImpl = WebSocketImpl;
    this.timers = timers;
    this.random = random;
    this.now = now;
    this.instanceID = instanceID ?? `web${Math.floor(random() * 2 ** 40).toString(36)}`;
    this.status = 'idle';
    this.socket = null;
    this.me = null;
    this.role = 'viewer';
    /** user id → {user, name, role} of those connected now. */
    this.online = new Map();
    this.documentPaths = new Set();
    this.chat = [];
    /** path → SharedDocument. */
    this.documents = new Map();
    this.attempt = 0;
    this.reconnectTimer = null;
    this.renewTimer = null;
    this.presenceTimer = null;
    this.presenceDue = new Set();
    this.welcomed = false;
  }

  get isOpen() { return this.status === 'open'; }

  setStatus(status, detail) {
    this.status = status;
    this.emit('status', status, detail);
  }

  /** Opens the socket (and keeps it open, reconnecting, until `close`). */
  async connect() {
    if (this.status === 'closed' || this.status === 'removed') return;
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ticket;
    try {
      ticket = await this.getTicket();
    } catch (error) {
      if (error?.status === 401 || error?.status === 403 || error?.status === 404) {
        return this.setStatus('closed', error.message);
      }
      return this.scheduleReconnect(`no ticket: ${error?.message ?? error}`);
    }
    if (this.status === 'closed') return;
    this.welcomed = false;
    openTicketSocket(this, () => ({ type: 'hello', protocol: PROTOCOL, session: this.session, client: CLIENT_NAME, ticket }), {
      onMessage: (message) => this.receive(message),
      onClose: (event) => {
        if (this.status === 'closed' || this.status === 'removed') return;
        this.scheduleReconnect(event?.reason || 'the connection closed');
      },
    });
  }

  /** Closes for good. */
  close() {
    this.setStatus('closed');
    this.timers.clearTimeout(this.reconnectTimer);
    this.timers.clearTimeout(this.renewTimer);
    this.timers.clearTimeout(this.presenceTimer);
    this.socket?.close(1000, 'closed');
    this.socket = null;
  }

  scheduleReconnect(reason) {
    if (this.status === 'closed' || this.status === 'removed') return;
    this.setStatus('reconnecting', reason);
    for (const document of this.documents.values()) if (document.state === 'open') document.setState('opening');
    const delay = Math.min(15000, 500 * 2 ** Math.min(this.attempt, 5)) * (0.75 + this.random() / 2);
    this.attempt += 1;
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  send(message) {
    if (this.socket && this.welcomed) this.socket.send(JSON.stringify(message));
  }

  sendOp(document, outgoing) {
    this.send({ type: 'op', path: document.path, baseRev: outgoing.baseRevision, ops: outgoing.operation.toJSON(), opId: outgoing.opId });
  }

  /** Opens (subscribes to) a document; `create` makes it with that text when it is missing. */
  open(path, { create } = {}) {
    let document = this.documents.get(path);
    if (document && document.state !== 'closed') return document;
    document = new SharedDocument(this, path, create);
    this.documents.set(path, document);
    this.sendOpen(document);
    return document;
  }

  sendOpen(document, { snapshot = false } = {}) {
    const message = { type: 'open', path: document.path };
    if (document.ot !== null) {
      if (!snapshot) message.knownRev = document.ot.revision;
    }
    else if (document.create != null) message.create = document.create;
    this.send(message);
  }

  /** Stops following a document. */
  closeDocument(path) {
    const document = this.documents.get(path);
    if (!document) return;
    this.documents.delete(path);
    document.setState('closed');
    this.send({ type: 'close', path });
  }

  sendChat(text) {
    const clean = wellFormed(text);
    if (clean.trim() !== '') this.send({ type: 'chat', text: clean });
  }

  resolve(id) { this.send({ type: 'resolve', id }); }

  deleteAnnotation(id) { this.send({ type: 'deleteAnnotation', id }); }

  schedulePresence(document) {
    this.presenceDue.add(document);
    if (this.presenceTimer !== null) return;
    this.presenceTimer = this.timers.setTimeout(() => {
      this.presenceTimer = null;
      for (const d of this.presenceDue) d.flushQueued();
      this.presenceDue.clear();
    }, 30);
  }

  // MARK: Server messages

  receive(message) {
    const document = typeof message.path === 'string' ? this.documents.get(message.path) : undefined;
    switch (message.type) {
      case 'welcome': return this.welcome(message);
      case 'snapshot': return document?.receivedSnapshot(message);
      case 'catchUp': return document?.receivedCatchUp(message);
      case 'ack': return document?.receivedAck(message);
      case 'remoteOp': return document?.receivedRemoteOp(message);
      case 'hash': return document?.receivedHash(message);
      case 'presence': {
        this.notePresence(message);
        document?.receivedPresence(message);
        return this.emit('presence', message);
      }
      case 'annotation': return document?.receivedAnnotation(message);
      case 'chat': {
        this.chat.push(message);
        if (this.chat.length > 1000) this.chat.splice(0, this.chat.length - 1000);
        return this.emit('chat', message);
      }
      case 'role': return this.roleChanged(message);
      case 'document': return this.documentEvent(message);
      case 'participant': return this.participant(message);
      case 'authenticated': return this.scheduleRenewal(message.expiresAt);
      case 'pong': return undefined;
      case 'error': return this.error(message, document);
      default: return undefined;   // a newer server's message: skipped
    }
  }

  welcome(message) {
    this.welcomed = true;
    this.attempt = 0;
    this.me = { user: message.user.user, name: message.user.name, role: leniently(message.user.role) };
    this.role = this.me.role;
    this.online = new Map(message.online.map((p) => [p.user, { user: p.user, name: p.name, role: leniently(p.role) }]));
    this.online.set(this.me.user, this.me);
    this.documentPaths = new Set(message.documents);
    this.chat = message.chat.slice();
    if (typeof message.tokenExpiresAt === 'number') this.scheduleRenewal(message.tokenExpiresAt);
    this.setStatus('open');
    this.emit('welcome', message);
    this.emit('participants');
    for (const document of this.documents.values()) {
      // Caught up from our revision; a document that was resyncing asks for a snapshot again.
      this.sendOpen(document, { snapshot: document.state === 'resyncing' });
      if (document.state !== 'resyncing') document.setState('opening');
    }
  }

  /** Renews the socket's lease with a fresh ticket before it runs out (``scheduleTicketRenewal``). */
  scheduleRenewal(expiresAt) {
    scheduleTicketRenewal(this, expiresAt, (ticket) => this.send({ type: 'auth', ticket }));
  }

  notePresence(message) {
    if (message.user === this.me?.user || this.online.has(message.user)) return;
    this.online.set(message.user, { user: message.user, name: message.name, role: null });
    this.emit('participants');
  }

  participant(message) {
    if (message.online === false) this.online.delete(message.user);
    else this.online.set(message.user, { user: message.user, name: message.name, role: leniently(message.role) });
    if (message.online === false) {
      for (const document of this.documents.values()) {
        if (document.presence.delete(message.user)) document.emit('presence');
      }
    }
    this.emit('participants');
  }

  roleChanged(message) {
    if (message.role == null) {
      this.setStatus('removed', 'you were removed from the session');
      this.timers.clearTimeout(this.reconnectTimer);
      this.emit('role', null);
      return;
    }
    this.role = leniently(message.role);
    if (this.me) { this.me.role = this.role; this.online.set(this.me.user, this.me); }
    this.emit('role', this.role);
    this.emit('participants');
    for (const document of this.documents.values()) document.emit('state', document.state);
  }

  documentEvent(message) {
    if (message.change === 'created') {
      this.documentPaths.add(message.path);
    } else if (message.change === 'deleted') {
      this.documentPaths.delete(message.path);
      const document = this.documents.get(message.path);
      if (document) {
        this.documents.delete(message.path);
        document.setState('deleted');
      }
    }
    this.emit('documents', message);
  }

  error(error, document) {
    if (document) return document.receivedError(error);
    if (!this.welcomed) {
      // The handshake was refused: the server closes. A bad or expired ticket is retried with
      // a fresh one; a session we are not (or no longer) a member of is final.
      if (error.code === 'not_found' || error.code === 'forbidden' || error.code === 'protocol_version') {
        this.setStatus('closed', error.message);
        this.socket?.close();
        this.socket = null;
      }
    }
    // An op refused for a document we no longer follow, a chat that could not be stored…
    this.emit('error', error);
  }
}
