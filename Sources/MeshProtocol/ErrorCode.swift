/// Machine-readable error codes, shared by the REST API and the WebSocket channel.
public enum ErrorCode: String, Sendable, Hashable, Codable {
    case badRequest = "bad_request"
    case unauthorized
    case forbidden
    case notFound = "not_found"
    case conflict
    case tooLarge = "too_large"
    case rateLimited = "rate_limited"
    /// The client's state cannot be reconciled: reopen the document from a snapshot.
    case resync
    case unknownType = "unknown_type"
    case protocolVersion = "protocol_version"
    case `internal`
}

/// The `error` body: `{code, message, ref?}`; `ref` echoes the `opId` or request it answers.
public struct ErrorMessage: Sendable, Hashable, Codable, Error, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var ref: String?
    public var path: String?

    public init(_ code: ErrorCode, _ message: String, ref: String? = nil, path: String? = nil) {
        self.code = code
        self.message = message
        self.ref = ref
        self.path = path
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The `ref` of an error that answers an `open` (its `path` names the document), so that a
    /// client tells the refusal of its open from the other errors about that document.
    public static let openRef = "open"

    /// Whether this error answers an `open` (a server older than the tag sends none).
    public var answersOpen: Bool { ref == Self.openRef }
}
