import Foundation
import MeshProtocol
import MeshStore

/// Single-use tickets that authenticate a browser's `/v1/ws` socket, whose page holds no token
/// (docs/web.md): 32 random bytes, kept only as a SHA-256 hash in the database (any node of one
/// PostgreSQL database redeems what another issued), valid for
/// `AuthSettings.webSocketTicketLifetime` (30 s), bound to a user and a session, at most
/// ``maxOutstanding`` unused per user.
struct WebSocketTickets: Sendable {
    static let maxOutstanding = 20

    let store: Store
    let settings: ServerConfiguration.AuthSettings

    /// A new ticket, or nil when the user holds ``maxOutstanding`` unused ones already.
    func issue(user: UUID, session: UUID, now: Date = Date()) async throws -> WebSocketTicket? {
        let (ticket, hash) = TokenService.newOpaqueToken()
        let record = WebSocketTicketRecord(ticketHash: hash, userID: user, sessionID: session,
                                           expiresAt: now.addingTimeInterval(settings.webSocketTicketLifetime), createdAt: now)
        guard try await store.webSocketTickets.insert(record, maxOutstanding: Self.maxOutstanding, now: now) else { return nil }
        return WebSocketTicket(ticket: ticket, expiresIn: Int(settings.webSocketTicketLifetime))
    }

    /// Consumes a ticket for `session` (and, when renewing a socket, `user`) and returns its user
    /// as a socket lease sees one: valid for an access token's lifetime from now.
    /// - Throws: ``ErrorMessage`` `unauthorized` for an unknown, used, expired, other session's or
    ///   other user's ticket (it is used up all the same).
    func redeem(_ ticket: String, session: UUID, user expected: UUID? = nil, now: Date = Date()) async throws -> AuthUser {
        let record: WebSocketTicketRecord?
        do { record = try await store.webSocketTickets.consume(hash: TokenService.hash(ticket), at: now) } catch {
            throw ErrorMessage(.internal, "could not check the ticket; try again")
        }
        guard let record else {
            throw ErrorMessage(.unauthorized, "unknown, used or expired ticket: get a new one (POST /v1/ws-ticket)")
        }
        guard record.sessionID == session else { throw ErrorMessage(.unauthorized, "the ticket is for another session") }
        if let expected, record.userID != expected {
            throw ErrorMessage(.unauthorized, "the ticket is another user's; a socket keeps the user it opened with")
        }
        guard let user = try? await store.users.find(id: record.userID) else {
            throw ErrorMessage(.unauthorized, "the account no longer exists")
        }
        return AuthUser(id: user.id, name: user.displayName, expiresAt: now.addingTimeInterval(settings.accessTokenLifetime))
    }

    /// `auth {ticket}` on a socket: a fresh ticket of the socket's user and session extends its
    /// lease by an access token's lifetime from now; any other changes nothing.
    func renew(_ lease: SocketLease, with ticket: String, session: UUID) async -> Result<Date, ErrorMessage> {
        do {
            let fresh = try await redeem(ticket, session: session, user: lease.user)
            return .success(lease.extend(until: fresh.expiresAt ?? Date()))
        } catch {
            return .failure((error as? ErrorMessage) ?? ErrorMessage(.unauthorized, "invalid ticket"))
        }
    }
}
