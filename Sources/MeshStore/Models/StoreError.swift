/// Failures a repository reports in terms the API can explain.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A unique key is taken (an email, a document path, an op revision).
    case conflict(String)
    /// The row does not exist.
    case notFound(String)
    /// An invite is expired, revoked or used up.
    case inviteUnusable(String)

    public var description: String {
        switch self {
        case let .conflict(what): return "conflict: \(what)"
        case let .notFound(what): return "not found: \(what)"
        case let .inviteUnusable(why): return "invite unusable: \(why)"
        }
    }
}
