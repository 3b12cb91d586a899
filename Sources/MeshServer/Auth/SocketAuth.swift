import Foundation
import MeshProtocol

/// What the server's WebSockets (`/v1/ws`, `/v1/debug`) authenticate with: the user of the
/// upgrade's bearer token or of `hello`'s ticket, lease renewals by `auth`, and the registry that
/// closes a user's sockets (``LiveSockets``).
struct SocketAuth {
    let live: LiveSockets
    let tokens: TokenService
    let tickets: WebSocketTickets

    /// The socket's user: the bearer token's (`opener`; a ticket is then not consulted), else the
    /// ticket's, which must be for `session`.
    func user(opener: AuthUser?, ticket: String?, session: UUID) async throws -> AuthUser {
        if let opener { return opener }
        guard let ticket else {
            throw ErrorMessage(.unauthorized, "a socket opened without Authorization needs hello.ticket (POST /v1/ws-ticket)")
        }
        return try await tickets.redeem(ticket, session: session)
    }

    /// Renews `lease` by an `auth` message, which carries exactly one of a fresh access token
    /// and a ticket for `session`.
    func renew(_ lease: SocketLease, token: String?, ticket: String?, session: UUID) async -> Result<Date, ErrorMessage> {
        switch (token, ticket) {
        case let (token?, nil): return await lease.renew(with: token, tokens: tokens)
        case let (nil, ticket?): return await tickets.renew(lease, with: ticket, session: session)
        default: return .failure(ErrorMessage(.badRequest, "auth carries exactly one of token and ticket"))
        }
    }
}
