/// Why a ``Store`` could not be opened: an unusable data directory or database file, a malformed
/// database URL, an unreachable PostgreSQL server, or a failed migration. The message says which,
/// with the path or host and port involved (never a password).
public struct StoreOpenError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(_ message: String) { self.message = message }
}
