import Foundation

/// Keeps a socket authenticated: shortly before its access token expires, takes a fresh one from
/// the stored login (rotated in step with other processes sharing it) and hands it to `send`,
/// then does the same before that one expires. Used by `mesh lsp` and `mesh dap`.
public enum AccessTokenRenewal {
    /// How long before expiry to renew: a quarter of what is left, between 5 s and 2 minutes
    /// (a refresh on a loaded machine can take seconds).
    public static func margin(secondsLeft: Double) -> Double {
        max(5, min(120, secondsLeft / 4))
    }

    /// Runs until cancelled, or until `send` throws `CancellationError` (the socket is gone).
    /// Another error (the server unreachable) is reported to `failed` and retried soon, until
    /// the server closes the socket at expiry.
    public static func run(expiresAt: Double, server: String, environment: [String: String],
                           send: @Sendable (String) async throws -> Void,
                           failed: @Sendable (any Error) async -> Void = { _ in }) async {
        var expiry = expiresAt
        while !Task.isCancelled {
            let left = expiry - Date().timeIntervalSince1970
            let margin = margin(secondsLeft: left)
            try? await Task.sleep(for: .seconds(max(0, left - margin)))
            guard !Task.isCancelled else { return }
            do {
                let store = CredentialStore(environment: environment)
                guard let credentials = try store.load(), credentials.isLoggedIn,
                      CredentialStore.normalize(credentials.server) == CredentialStore.normalize(server)
                else { throw WorkspaceError("not logged in to \(server): run `mesh login --server \(server)`") }
                let api = MeshAPIClient(server: server, credentials: credentials, store: store)
                let token = try await api.accessToken(validFor: expiry - Date().timeIntervalSince1970 + margin)
                try await send(token)
                if let renewed = AccessTokenExpiry.of(token)?.timeIntervalSince1970, renewed > expiry {
                    expiry = renewed
                    continue
                }
            } catch is CancellationError {
                return
            } catch {
                await failed(error)
            }
            try? await Task.sleep(for: .seconds(max(1, min(10, margin / 4))))
        }
    }
}
