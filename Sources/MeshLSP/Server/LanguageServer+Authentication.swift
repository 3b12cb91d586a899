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
        let environment = self.environment
        tokenRenewal = Task { [weak self] in
            await AccessTokenRenewal.run(expiresAt: expiresAt, server: server, environment: environment) { [weak self] token in
                // Only while `link` is the session's connection.
                guard let server = self, await server.link === link else { throw CancellationError() }
                link.send(.auth(.init(token: token)))
            } failed: { [weak self] error in
                await self?.log("Mesh: could not renew the access token (\(error)); retrying")
            }
        }
    }
}
