/// A failed API call: the server's `{"code","message"}` answer with its HTTP status, or a
/// transport failure (status 0, code `unreachable`).
public struct MeshAPIError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The HTTP status; 0 when the server could not be reached or answered nonsense.
    public var status: Int
    /// The machine-readable code (`bad_request`, `unauthorized`, `not_found`, …).
    public var code: String
    /// The human-readable reason, as the server worded it.
    public var message: String

    // No public init: only MeshClient makes these (its memberwise one); other modules catch them.

    public var description: String { message }

    /// The caller holds no usable login.
    static func notLoggedIn(_ server: String) -> MeshAPIError {
        MeshAPIError(status: 401, code: "unauthorized", message: "not logged in to \(server); run `mesh login`")
    }

    /// The server could not be reached at all (or its TLS certificate was refused).
    static func unreachable(_ server: String, _ error: any Error, tls: ClientTLS = .default) -> MeshAPIError {
        if let failure = TLSFailure.describe(error, tls: tls) {
            return MeshAPIError(status: 0, code: "tls", message: "cannot connect securely to \(server): \(failure)")
        }
        let text = String(describing: error)
        let reason: String
        if text.localizedCaseInsensitiveContains("refused") {
            reason = "connection refused"
        } else if text.localizedCaseInsensitiveContains("timeout") || text.localizedCaseInsensitiveContains("timed out") {
            reason = "timed out"
        } else {
            reason = text
        }
        return MeshAPIError(status: 0, code: "unreachable", message: "cannot reach \(server): \(reason)")
    }
}
