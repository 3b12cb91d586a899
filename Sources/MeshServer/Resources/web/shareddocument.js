// One document of a session as the page holds it (docs/protocol.md, `/v1/ws`; docs/web.md's
// editing rules): the local text and the server's text at its revision, its OTClient
// (otclient.js), catch-up and resend, resync, refused edits, presence and annotations. Its
// SessionClient (client.js) sends for it and hands it the server's messages naming it.
// Offsets are code points everywhere. Nothing here touches the DOM: the page listens to events.
import { TextOperation, replacementBetween } from './ot.js';
import { documentHash } from './hash.js';
import { wellFormed, cpLength } from './codepoints.js';
import { OTClient, ownOpId } from './otclient.js';
import { Emitter } from './emitter.js';
import { canEdit } from './roles.js';

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
 *  not apply, or one too large to send, with its error and the text that held it), `error`. */
export class SharedDocument extends Emitter {
  constructor(session, path, create) {
    super();
    this.session = session;
    this.path = path;
    this.create = create;          // text to create it with, when it does not exist yet
    this.state = 'opening';        // opening | open | resyncing | closed | deleted | missing
    this.openRefusals = 0;         // opens refused in a row for a passing reason
    this.opensInFlight = 0;        // opens sent and not answered yet
    this.retryTimer = null;        // the refused open's next try
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
    this.opensInFlight = Math.max(0, this.opensInFlight - 1);
    this.id = message.id ?? null;
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
    this.opensInFlight = Math.max(0, this.opensInFlight - 1);
    if (message.id != null) this.id = message.id;
    let sent = false;
    try {
      for (const committed of message.ops) {
        const { send } = this.receivedCommitted(committed);
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
    const outstanding = this.ot?.outstanding ?? null;
    const acknowledges = outstanding !== null && outstanding.opId === message.opId;
    // An ack for an op of an earlier generation (before a resync) is old news.
    if (!acknowledges && this.isOurOldOp(message.opId)) return;
    if (this.ot === null) return this.resync(`unexpected acknowledgement ${message.opId}`);
    try {
      // A second ack of the op last confirmed is stale (OTClient answers null); any other
      // unexpected ack throws.
      const next = this.ot.receiveAck(message.opId, message.rev);
      if (!acknowledges) return;
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
    let acknowledged;
    try {
      // Our own op comes back as remote when a resend reached another server node after the
      // first copy was committed: it counts as the ack then (the ack that may follow is stale).
      const committed = this.receivedCommitted(message);
      acknowledged = committed.acknowledged;
      if (committed.send && this.state === 'open') this.session.sendOp(this, committed.send);
    } catch (error) {
      return this.resync(`a remote edit did not apply: ${error.message}`);
    }
    this.revisionAdvanced();
    if (acknowledged) this.flushQueued();
  }

  /** A committed op (a `catchUp` entry or a `remoteOp`): our outstanding op, when its author is
   *  our user and its `opId` ours, is the ack; anything else is applied. Returns `{acknowledged, send}`
   *  (`send`: the op to send next, or null). */
  receivedCommitted(committed) {
    const op = TextOperation.fromJSON(committed.ops);
    const outstanding = this.ot.outstanding;
    const { apply, send } = this.ot.receiveCommitted(op, committed.rev, ownOpId(committed, this.session.me?.user));
    if (apply) {
      this.serverText = op.apply(this.serverText);
      this.applyRemote(apply, 'remote');
    } else {
      this.serverText = outstanding.operation.apply(this.serverText);
    }
    return { acknowledged: apply === null, send };
  }

  receivedHash(message) {
    if (this.ot === null || message.rev !== this.ot.revision || !this.synchronized) return;
    if (documentHash(this.text) !== message.hash) this.resync('the text differs from the server’s (document hash)');
  }

  /** An error naming this document. */
  receivedError(error) {
    // The server tags its answers to `open` with `ref: "open"`.
    const answersOpen = error.ref === 'open';
    if (answersOpen) this.opensInFlight = Math.max(0, this.opensInFlight - 1);
    if (error.code === 'resync') return this.resync(error.message);
    if (answersOpen && error.code === 'internal' && (this.state === 'opening' || this.state === 'resyncing')) {
      if (this.opensInFlight > 0) return;   // another open is on its way: its answer decides
      // Refused for a passing reason (the server's database away a moment): asked again after
      // 250 ms, doubling to 5 s, so that the document does not stay unopened.
      this.openRefusals += 1;
      if (this.openRefusals === 5) {
        this.emit('error', { ...error, message: `the server cannot open ${this.path} at the moment (${error.message}); still trying` });
      }
      this.session.retryOpen(this, Math.min(5000, 250 * 2 ** Math.min(this.openRefusals - 1, 5)));
      return;
    }
    if (this.state === 'opening' && (error.ref == null || answersOpen)) {
      this.setState('missing');
      this.emit('error', error);
      return;
    }
    const outstanding = this.ot?.outstanding;
    if (error.ref != null && outstanding && error.ref === outstanding.opId) return this.refused(error);
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
    if (state === 'open') this.openRefusals = 0;
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
    if (this.session.send({ type: 'open', path: this.path })) this.opensInFlight += 1;
  }

  /** Our outstanding op was refused for good: by the server (`forbidden`, `too_large` naming it),
   *  or here, too large to send (client.js `sendOp`). It can never be acknowledged, and nothing
   *  typed behind it could be sent: they are taken back, the text is the server's again. The page
   *  hears `refused` with the error and the text that held the edits (to offer it back). */
  refused(error) {
    const text = this.text;
    this.revert();
    this.emit('refused', error, text);
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
      this.session.send(message, () => this.emit('error', this.session.tooLargeError('your annotation', ': it was not added', { path: this.path })));
    }
  }
}
