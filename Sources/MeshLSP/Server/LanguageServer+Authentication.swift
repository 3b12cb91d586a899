import Foundation
import MeshClient
import MeshProtocol

/// Keeping the session socket authenticated: the server closes a socket when its access token
/// expires unless a fresh one arrives over it (`auth`), so a pairing session of a working day
/// never drops at the token's fifteen minutes.
extension LanguageServer {
    /// Renews `link`'s token shortly before `expiresAt` (seconds since 1970), and again before
    /// each new token expires, while `link` is the session's connection.
    func keepAuthenticated(_ link: SessionLink, until expiresAt: Double) {
        tokenRenewal?.cancel()
        // A token the editor configured cannot be renewed: that socket reconnects at expiry.
        guard options.token == nil, let server = serverURL else { return }
        tokenRenewal = Task { [weak self] in
            var expiry = expiresAt
            while !Task.isCancelled {
                let left = expiry - Date().timeIntervalSince1970
                let margin = Self.renewalMargin(secondsLeft: left)
                try? await Task.sleep(for: .seconds(max(0, left - margin)))
                guard !Task.isCancelled, let self, await self.link === link else { return }
                do {
                    let needed = expiry - Date().timeIntervalSince1970 + margin
                    let token = try await self.renewedAccessToken(server: server, validFor: needed)
                    link.send(.auth(.init(token: token)))
                    if let renewed = AccessTokenExpiry.of(token)?.timeIntervalSince1970, renewed > expiry {
                        expiry = renewed
                        continue
                    }
                } catch {
                    await self.log("Mesh: could not renew the access token (\(error)); retrying")
                }
                // Not renewed: try again soon, until the server closes the socket at expiry
                // (then the reconnect logs in afresh).
                try? await Task.sleep(for: .seconds(max(1, min(10, margin / 4))))
            }
        }
    }

    /// How long before expiry to renew: a quarter of what is left, between 5 s and 2 minutes
    /// (a refresh on a loaded machine can take seconds).
    static func renewalMargin(secondsLeft: Double) -> Double {
        max(5, min(120, secondsLeft / 4))
    }

    /// An access token of the stored login valid for `validity` seconds (rotated if need be,
    /// in step with other processes sharing the login).
    func renewedAccessToken(server: String, validFor validity: Double) async throws -> String {
        let store = CredentialStore(environment: environment)
        guard let credentials = try store.load(), credentials.isLoggedIn,
              CredentialStore.normalize(credentials.server) == CredentialStore.normalize(server)
        else { throw WorkspaceError("not logged in to \(server): run `mesh login --server \(server)`") }
        return try await MeshAPIClient(server: server, credentials: credentials, store: store).accessToken(validFor: validity)
    }
}
