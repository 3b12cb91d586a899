/// Everything that can go wrong in `MeshOT`. Each case carries the numbers needed to explain it.
public enum OTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An operation was applied to (or composed/transformed with) text of the wrong length.
    case baseLengthMismatch(expected: Int, actual: Int)
    /// A client's base revision is newer than the document's revision.
    case revisionInFuture(base: Int, current: Int)
    /// A client's base revision is older than the retained history: the client must resync.
    case revisionTooOld(base: Int, oldestRetained: Int)
    /// A server message arrived out of order for this client.
    case unexpectedRevision(expected: Int, received: Int)
    /// An acknowledgement arrived while no operation was outstanding, or for another operation.
    case unexpectedAck(opId: String)
    /// A serialized operation is malformed.
    case invalidEncoding(String)

    public var description: String {
        switch self {
        case let .baseLengthMismatch(expected, actual):
            return "operation expects a text of \(expected) characters but the text has \(actual)"
        case let .revisionInFuture(base, current):
            return "base revision \(base) is newer than the document's revision \(current)"
        case let .revisionTooOld(base, oldest):
            return "base revision \(base) is older than the retained history (oldest \(oldest)); resync"
        case let .unexpectedRevision(expected, received):
            return "expected revision \(expected) but received \(received); resync"
        case let .unexpectedAck(opId):
            return "acknowledgement for \(opId) does not match the outstanding operation"
        case let .invalidEncoding(why):
            return "invalid operation encoding: \(why)"
        }
    }
}
