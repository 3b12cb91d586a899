import Foundation

// What the browser client adds to the REST API (docs/web.md): cookie logins, which answer no
// token, and WebSocket tickets (`WebLogin`, `WebSocketTicketRequest`, `WebSocketTicket` in
// openapi.yaml).

/// What `/v1/auth/web/{signup,login,refresh}` answer: the tokens travel in `HttpOnly` cookies.
public struct WebLogin: Sendable, Hashable, Codable {
    public var user: UserProfile
    /// Seconds until the access cookie's token expires.
    public var expiresIn: Int

    public init(user: UserProfile, expiresIn: Int) { self.user = user; self.expiresIn = expiresIn }
}

/// `POST /v1/ws-ticket`: the session the ticket opens.
public struct WebSocketTicketRequest: Sendable, Hashable, Codable {
    public var session: UUID

    public init(session: UUID) { self.session = session }
}

/// A single-use ticket for `hello.ticket` or `auth.ticket` on `/v1/ws`.
public struct WebSocketTicket: Sendable, Hashable, Codable {
    public var ticket: String
    /// Seconds the ticket stays valid (30).
    public var expiresIn: Int

    public init(ticket: String, expiresIn: Int) { self.ticket = ticket; self.expiresIn = expiresIn }
}
