import Foundation
import MeshClient
import MeshProtocol

/// Keeps `mesh dap`'s `/v1/debug` socket authenticated: shortly before the access token
/// expires it sends `{"type":"auth","token":…}` with a fresh one (rotating the stored login in
/// step with other processes), so a long debug session is not closed at the token's expiry.
enum DebugTokenRenewal {
    /// Runs until cancelled; `send` writes one text frame to the socket.
    static func run(expiresAt: Double, server: String, environment: [String: String],
                    send: @escaping @Sendable (String) async throws -> Void) async {
        var expiry = expiresAt
        while !Task.isCancelled {
            let left = expiry - Date().timeIntervalSince1970
            let margin = max(5, min(120, left / 4))
            try? await Task.sleep(for: .seconds(max(0, left - margin)))
            guard !Task.isCancelled else { return }
            do {
                let store = CredentialStore(environment: environment)
                let api = MeshAPIClient(server: server, credentials: try store.load(), store: store)
                let token = try await api.accessToken(validFor: expiry - Date().timeIntervalSince1970 + margin)
                try await send(DebugAuth(token: token).text)
                if let renewed = AccessTokenExpiry.of(token)?.timeIntervalSince1970, renewed > expiry {
                    expiry = renewed
                    continue
                }
            } catch {
                // Tried again below until the server closes the socket at expiry.
            }
            try? await Task.sleep(for: .seconds(max(1, min(10, margin / 4))))
        }
    }
}
