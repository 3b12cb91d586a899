// The browser's side of the collaboration protocol (docs/protocol.md, `/v1/ws`): one socket per
// session, a SharedDocument (shareddocument.js) per open document, reconnection with catch-up
// and resend, chat, roles, participants and document events.
//
// Messages are written exactly as MeshProtocol's ClientMessage encodes them (absent optionals
// are left out) and read as ServerMessage carries them. Offsets are code points everywhere.
// The socket is authenticated by a short-lived single-use ticket (`POST /v1/ws-ticket`) sent
// in `hello.ticket`, and kept alive past the ticket's lease with `auth {ticket}`; see
// docs/web.md. No message larger than the server takes (`welcome.maxFrameBytes`) is sent.
// Nothing here touches the DOM: the page listens to events.
import { utf8Length, wellFormed } from './codepoints.js';
import { Emitter } from './emitter.js';
import { leniently } from './roles.js';
import { SharedDocument } from './shareddocument.js';
import { openTicketSocket, scheduleTicketRenewal, ticketSocketFields } from './socket.js';

export const PROTOCOL = 1;
export const CLIENT_NAME = 'mesh-web/0.1';
/** The largest message a server takes when its `welcome` does not say (`maxFrameBytes`). */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

/** Whether the JSON text `text` is at most `limit` bytes of UTF-8. A UTF-16 unit is at most three
 *  bytes: only a text that could be near the limit is counted. */
export function fitsFrame(text, limit) {
  return text.length * 3 <= limit || utf8Length(text) <= limit;
}

/** The session socket. `getTicket()` resolves to a fresh single-use ticket (or throws);
 *  `url` is the `/v1/ws` address. Events: `status` (connecting | open | reconnecting | closed |
 *  removed), `welcome`, `participants`, `chat`, `role`, `documents` (created / deleted),
 *  `error` (an error naming no document), `presence` (any document: for following). */
export class SessionClient extends Emitter {
  constructor({ session, random = Math.random, instanceID = null, ...connection }) {
    super();
    Object.assign(this, ticketSocketFields(connection));
    this.session = session;
    this.random = random;
    this.instanceID = instanceID ?? `web${Math.floor(random() * 2 ** 40).toString(36)}`;
    this.status = 'idle';
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
    this.presenceTimer = null;
    this.presenceDue = new Set();
    this.welcomed = false;
    /** The largest message the server takes (its `--max-frame-bytes`): it closes the connection
     *  on a larger one, and a message resent after each reconnect would close every one. */
    this.maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
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

  /** Sends `message` when connected and welcomed; whether it was sent. A message whose JSON is
   *  larger than the server takes (`maxFrameBytes`, UTF-8 bytes) is never sent: `tooLarge()` is
   *  called instead (by default the page hears an `error`). Measured only when it would be sent:
   *  the limit is the welcome's. */
  send(message, tooLarge = () => this.emit('error', this.tooLargeError(`a ${message.type} message`, ': it was not sent'))) {
    if (!this.socket || !this.welcomed) return false;
    const text = JSON.stringify(message);
    if (!fitsFrame(text, this.maxFrameBytes)) {
      tooLarge();
      return false;
    }
    this.socket.send(text);
    return true;
  }

  /** The error (as the server's, `too_large`) that says `what` is too large to send. */
  tooLargeError(what, outcome = '', extra = {}) {
    return { type: 'error', code: 'too_large', message: `${what} is larger than the server takes in one message (${this.maxFrameBytes} bytes)${outcome}`, ...extra };
  }

  /** Sends `document`'s operation. One too large to send is refused as the server refuses an op
   *  for good: the document goes back to the server's text (``SharedDocument/refused``). */
  sendOp(document, outgoing) {
    const message = { type: 'op', path: document.path, baseRev: outgoing.baseRevision, ops: outgoing.operation.toJSON(), opId: outgoing.opId };
    this.send(message, () => document.refused(this.tooLargeError('your change', '', { ref: outgoing.opId, path: document.path })));
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
      if (!snapshot) {
        message.knownRev = document.ot.revision;
        // The document that revision belongs to: one deleted and created again under the path is another.
        if (document.id != null) message.knownId = document.id;
      }
    }
    else if (document.create != null) message.create = document.create;
    // Only a create carries text: a reopen too large for the limit is an error, never a refused create.
    const tooLarge = message.create != null ? () => this.refuseCreate(document) : undefined;
    if (this.send(message, tooLarge)) document.opensInFlight += 1;
  }

  /** `document` was to be created with a text too large for one message: it is not, and is not
   *  followed (no reconnect sends it again); the page hears an `error` naming it. */
  refuseCreate(document) {
    this.timers.clearTimeout(document.retryTimer);
    if (this.documents.get(document.path) === document) this.documents.delete(document.path);
    document.setState('missing');
    this.emit('error', this.tooLargeError(document.path, ': it was not created', { path: document.path }));
  }

  /** Sends `document`'s open again after `delay` ms: the server refused it for a passing reason. */
  retryOpen(document, delay) {
    this.timers.clearTimeout(document.retryTimer);
    document.retryTimer = this.timers.setTimeout(() => {
      document.retryTimer = null;
      if (this.documents.get(document.path) !== document || document.opensInFlight > 0) return;
      if (document.state === 'opening' || document.state === 'resyncing') {
        this.sendOpen(document, { snapshot: document.state === 'resyncing' });
      }
    }, delay);
  }

  /** Stops following a document. */
  closeDocument(path) {
    const document = this.documents.get(path);
    if (!document) return;
    this.timers.clearTimeout(document.retryTimer);
    this.documents.delete(path);
    document.setState('closed');
    this.send({ type: 'close', path });
  }

  sendChat(text) {
    const clean = wellFormed(text);
    if (clean.trim() === '') return;
    this.send({ type: 'chat', text: clean }, () => this.emit('error', this.tooLargeError('your chat message', ': it was not sent')));
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
    const limit = message.maxFrameBytes;
    // Taken within 1 KiB to 1 GiB, as mesh lsp takes it: a limit near 0 would refuse everything.
    this.maxFrameBytes = Number.isSafeInteger(limit) && limit > 0 ? Math.min(Math.max(limit, 1 << 10), 1 << 30) : DEFAULT_MAX_FRAME_BYTES;
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
    for (const document of [...this.documents.values()]) {
      // Caught up from our revision; a document that was resyncing asks for a snapshot again.
      this.timers.clearTimeout(document.retryTimer);   // superseded by this open
      document.opensInFlight = 0;                      // the last connection's go unanswered
      const snapshot = document.state === 'resyncing';
      if (!snapshot) document.setState('opening');
      this.sendOpen(document, { snapshot });           // a create too large is refused (missing)
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
