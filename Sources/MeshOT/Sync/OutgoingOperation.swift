/// A local operation on its way to the authority: the wire form of `op {baseRev, ops, opId}`.
public struct OutgoingOperation: Sendable, Hashable, Codable {
    /// Unique per client; makes a resend after reconnect idempotent.
    public var opId: String
    /// The server revision the operation applies to.
    public var baseRevision: Int
    public var operation: TextOperation

    public init(opId: String, baseRevision: Int, operation: TextOperation) {
        self.opId = opId
        self.baseRevision = baseRevision
        self.operation = operation
    }
}
