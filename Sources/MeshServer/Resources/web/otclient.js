// The client side of server-authoritative OT: MeshOT's `OTClient` (Sources/MeshOT/Sync), the
// ot.js client state machine. At most one operation in flight; later local edits are composed
// into a buffer until it is acknowledged. Pure: the caller applies local edits to its own text
// before `applyLocal`, sends what it returns, and applies what `receiveRemote` returns.
import { OTError, TextOperation } from './ot.js';

/** A local operation on its way to the server: `op {baseRev, ops, opId}`. */
export class OutgoingOperation {
  constructor(opId, baseRevision, operation) {
    this.opId = opId;
    this.baseRevision = baseRevision;
    this.operation = operation;
  }
}

/** The `opId` to pass to `receiveCommitted` for a committed operation (a `catchUp` entry or a
 *  `remoteOp`, `{author, opId}`): its own only when its author is our user (`me`), since op ids
 *  are per-client counters (`<client id>:<n>`) that another participant may use too; else null.
 *  The one place the web client decides whether a committed op may be ours (as `mesh lsp`,
 *  DocumentBridge+Session.swift). */
export function ownOpId(committed, me) {
  return committed.author != null && committed.author === me ? committed.opId ?? null : null;
}

export class OTClient {
  /** `revision`: the last server revision seen; `clientID`: makes op ids unique (`<id>:<n>`). */
  constructor(revision, clientID) {
    this.revision = revision;
    this.clientID = clientID;
    /** 'synchronized' | 'awaitingConfirm' | 'awaitingWithBuffer' */
    this.state = 'synchronized';
    /** The operation awaiting acknowledgement, or null. */
    this.outstanding = null;
    /** Local edits made while one is in flight, composed (awaitingWithBuffer only). */
    this.buffer = null;
    this.nextSequence = 0;
    /** The last operation of ours the server confirmed, and at which revision: a second ack of
     *  it (the server saw our resend after it had already sent the first copy as committed, as
     *  a node that fetched it from another does) is stale, not an error. `{opId, revision}`. */
    this.confirmed = null;
  }

  /** Records a local edit (already applied locally). Returns the operation to send now, or
   *  null when one is in flight (the edit is then buffered). */
  applyLocal(operation) {
    switch (this.state) {
      case 'synchronized': {
        this.outstanding = this.makeOutgoing(operation);
        this.state = 'awaitingConfirm';
        return this.outstanding;
      }
      case 'awaitingConfirm':
        this.buffer = operation;
        this.state = 'awaitingWithBuffer';
        return null;
      default:
        this.buffer = this.buffer.compose(operation);
        return null;
    }
  }

  /** The server committed our outstanding operation as `revision`. Returns the buffered
   *  operation to send next, or null. */
  receiveAck(opId, revision) {
    if (this.outstanding?.opId !== opId && this.confirmed !== null && this.confirmed.opId === opId
        && this.confirmed.revision === revision) {
      return null;
    }
    if (this.outstanding === null || this.outstanding.opId !== opId) {
      throw new OTError('unexpectedAck', `acknowledgement for ${opId} does not match the outstanding operation`, { opId });
    }
    this.checkRevision(revision);
    this.revision = revision;
    this.confirmed = { opId, revision };
    if (this.state === 'awaitingWithBuffer') {
      this.outstanding = this.makeOutgoing(this.buffer);
      this.buffer = null;
      this.state = 'awaitingConfirm';
      return this.outstanding;
    }
    this.outstanding = null;
    this.state = 'synchronized';
    return null;
  }

  /** Another participant's operation, committed as `revision`. Returns it transformed against
   *  our pending edits, ready to apply to the local text. */
  receiveRemote(operation, revision) {
    this.checkRevision(revision);
    this.revision = revision;
    switch (this.state) {
      case 'synchronized':
        return operation;
      case 'awaitingConfirm': {
        const [pending, remote] = TextOperation.transform(this.outstanding.operation, operation, 'left');
        this.outstanding = new OutgoingOperation(this.outstanding.opId, this.revision, pending);
        return remote;
      }
      default: {
        const [pending, remote1] = TextOperation.transform(this.outstanding.operation, operation, 'left');
        const [buffer, remote2] = TextOperation.transform(this.buffer, remote1, 'left');
        this.outstanding = new OutgoingOperation(this.outstanding.opId, this.revision, pending);
        this.buffer = buffer;
        return remote2;
      }
    }
  }

  /** A committed operation from a catch-up stream (after reconnect), or a remote one whose
   *  author is this client's user: our own outstanding one (matched by `opId`) counts as an
   *  ack, anything else as remote. (With several server nodes, our own op can come back as
   *  remote when we resent it to another node.) Pass `opId` only for our own user's ops
   *  (`ownOpId`): another user may reuse our opIds. Returns `{apply, send}`: the operation to
   *  apply locally (null for an ack) and the operation to send next (either may be null). */
  receiveCommitted(operation, revision, opId) {
    if (opId != null && this.outstanding !== null && opId === this.outstanding.opId) {
      return { apply: null, send: this.receiveAck(opId, revision) };
    }
    return { apply: this.receiveRemote(operation, revision), send: null };
  }

  /** What to send again after a reconnect, once catch-up is done (same `opId`: idempotent). */
  get resendable() {
    return this.outstanding;
  }

  checkRevision(revision) {
    if (revision !== this.revision + 1) {
      throw new OTError('unexpectedRevision', `expected revision ${this.revision + 1} but received ${revision}; resync`,
        { expected: this.revision + 1, received: revision });
    }
  }

  makeOutgoing(operation) {
    this.nextSequence += 1;
    return new OutgoingOperation(`${this.clientID}:${this.nextSequence}`, this.revision, operation);
  }
}
