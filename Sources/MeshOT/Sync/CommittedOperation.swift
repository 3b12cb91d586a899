/// An operation as the authority committed it: the text at `revision - 1` becomes the text at
/// `revision` by applying `operation`.
public struct CommittedOperation: Sendable, Hashable, Codable {
    public var revision: Int
    public var operation: TextOperation
    /// The client's id for the operation, for idempotent resends.
    public var opId: String?
    /// Who made the change (an opaque user id), for attribution.
    public var author: String?

    public init(revision: Int, operation: TextOperation, opId: String? = nil, author: String? = nil) {
        self.revision = revision
        self.operation = operation
        self.opId = opId
        self.author = author
    }

    /// Its JSON as the collaboration protocol sends it (a `catchUp`'s `ops`, a `remoteOp`), keys
    /// in the order the server writes them: `{"rev","ops","author","opId"}`.
    private enum CodingKeys: String, CodingKey {
        case revision = "rev", operation = "ops", author, opId
    }
}
