/// The client side of server-authoritative OT (the ot.js `Client`): at most one operation in
/// flight, later local edits composed into a buffer until it is acknowledged.
///
/// The caller applies local edits to its own text before calling ``applyLocal(_:)``, sends what
/// that returns, and applies what ``receiveRemote(_:revision:)`` returns to its text. The state
/// machine is pure: transport, retries and timers belong to the caller.
public struct OTClient: Sendable {
    /// Where the client stands with respect to the authority.
    public enum State: Sendable, Hashable {
        /// Every local edit is acknowledged.
        case synchronized
        /// One operation is in flight.
        case awaitingConfirm(OutgoingOperation)
        /// One operation is in flight and later local edits wait, composed, in `buffer`.
        case awaitingWithBuffer(OutgoingOperation, buffer: TextOperation)
    }

    /// The last server revision this client has seen.
    public private(set) var revision: Int
    public private(set) var state: State = .synchronized
    /// A prefix making this client's operation ids unique (a connection or installation id).
    public let clientID: String
    private var nextSequence = 0
    /// The last operation of ours the server confirmed, and at which revision: a second ack of
    /// it (the server saw our resend after it had already sent the first copy as committed, as
    /// a node that fetched it from another does) is stale, not an error.
    private var confirmed: (opId: String, revision: Int)?

    public init(revision: Int, clientID: String) {
        self.revision = revision
        self.clientID = clientID
    }

    /// The operation currently awaiting acknowledgement, if any.
    public var outstanding: OutgoingOperation? {
        switch state {
        case .synchronized: return nil
        case let .awaitingConfirm(op), let .awaitingWithBuffer(op, _): return op
        }
    }

    /// Records a local edit (already applied locally). Returns the operation to send now, or
    /// nil when one is already in flight (the edit is then buffered).
    public mutating func applyLocal(_ operation: TextOperation) throws(OTError) -> OutgoingOperation? {
        switch state {
        case .synchronized:
            let outgoing = makeOutgoing(operation)
            state = .awaitingConfirm(outgoing)
            return outgoing
        case let .awaitingConfirm(outstanding):
            state = .awaitingWithBuffer(outstanding, buffer: operation)
            return nil
        case let .awaitingWithBuffer(outstanding, buffer):
            state = .awaitingWithBuffer(outstanding, buffer: try buffer.compose(operation))
            return nil
        }
    }

    /// The server committed our outstanding operation as `revision`. Returns the buffered
    /// operation to send next, if any.
    public mutating func receiveAck(opId: String, revision: Int) throws(OTError) -> OutgoingOperation? {
        if outstanding?.opId != opId, let confirmed, confirmed.opId == opId, confirmed.revision == revision {
            return nil
        }
        guard let outstanding, outstanding.opId == opId else { throw .unexpectedAck(opId: opId) }
        guard revision == self.revision + 1 else {
            throw .unexpectedRevision(expected: self.revision + 1, received: revision)
        }
        self.revision = revision
        confirmed = (opId, revision)
        switch state {
        case .synchronized, .awaitingConfirm:
            state = .synchronized
            return nil
        case let .awaitingWithBuffer(_, buffer):
            let outgoing = makeOutgoing(buffer)
            state = .awaitingConfirm(outgoing)
            return outgoing
        }
    }

    /// Another participant's operation, committed as `revision`. Returns it transformed against
    /// our pending edits, ready to apply to the local text.
    public mutating func receiveRemote(_ operation: TextOperation, revision: Int) throws(OTError) -> TextOperation {
        guard revision == self.revision + 1 else {
            throw .unexpectedRevision(expected: self.revision + 1, received: revision)
        }
        self.revision = revision
        switch state {
        case .synchronized:
            return operation
        case let .awaitingConfirm(outstanding):
            let (pending, remote) = try TextOperation.transform(outstanding.operation, operation)
            state = .awaitingConfirm(rebased(outstanding, pending))
            return remote
        case let .awaitingWithBuffer(outstanding, buffer):
            let (pending, remote1) = try TextOperation.transform(outstanding.operation, operation)
            let (buffer2, remote2) = try TextOperation.transform(buffer, remote1)
            state = .awaitingWithBuffer(rebased(outstanding, pending), buffer: buffer2)
            return remote2
        }
    }

    /// A committed operation from a catch-up stream (after reconnect), or a remote one whose
    /// author is this client's user: our own outstanding one (matched by `opId`) counts as an
    /// ack, anything else as remote. (With several server nodes, our own op can come back as
    /// remote when we resent it to another node.) Pass `opId` only for our own user's ops:
    /// another user may reuse our opIds. Returns the operation to
    /// apply locally (nil for an ack) and the operation to send next, if any.
    public mutating func receiveCommitted(
        _ operation: TextOperation, revision: Int, opId: String?
    ) throws(OTError) -> (apply: TextOperation?, send: OutgoingOperation?) {
        if let opId, opId == outstanding?.opId {
            return (nil, try receiveAck(opId: opId, revision: revision))
        }
        return (try receiveRemote(operation, revision: revision), nil)
    }

    /// The operation to send again after a reconnect, once catch-up is done. Its `opId` is
    /// unchanged, so the server recognises it if it had already committed it.
    public var resendable: OutgoingOperation? { outstanding }

    private mutating func makeOutgoing(_ operation: TextOperation) -> OutgoingOperation {
        nextSequence += 1
        return OutgoingOperation(opId: "\(clientID):\(nextSequence)", baseRevision: revision, operation: operation)
    }

    /// The outstanding operation rebased on the server's newer revision; its id is kept, so a
    /// resend stays idempotent.
    private func rebased(_ outstanding: OutgoingOperation, _ operation: TextOperation) -> OutgoingOperation {
        OutgoingOperation(opId: outstanding.opId, baseRevision: revision, operation: operation)
    }
}
