/// Machine-readable error codes, shared by the REST API and the WebSocket channel.
public enum ErrorCode: String, Sendable, Hashable, Codable, CaseIterable {
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

/// The HTTP status of a REST answer and its code, one rule for the server that answers and the
/// clients that read an answer without Mesh's `{code, message}` body (a proxy's, say).
extension ErrorCode {
    /// The status a REST answer with this code has. The socket-only codes (`resync`,
    /// `unknown_type`, `protocol_version`) are never a REST answer; as any request error, 400.
    public var httpStatus: Int {
        switch self {
        case .badRequest, .resync, .unknownType, .protocolVersion: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .tooLarge: 413
        case .rateLimited: 429
        case .internal: 500
        }
    }

    /// The code whose own status (``httpStatus``) `httpStatus` is; nil for a status that is no
    /// code's own (405, 410, 502, …: each side decides, the server answering some code, a client
    /// naming the status).
    public init?(httpStatus: Int) {
        switch httpStatus {
        case 400: self = .badRequest
        case 401: self = .unauthorized
        case 403: self = .forbidden
        case 404: self = .notFound
        case 409: self = .conflict
        case 413: self = .tooLarge
        case 429: self = .rateLimited
        case 500: self = .internal
        default: return nil
        }
    }
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
