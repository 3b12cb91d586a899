import Foundation

// Sessions, members and invites: `/v1/sessions/*` and `/v1/invites/*` (`Session`, `Member`,
// `Invite` and the request schemas in openapi.yaml). Property order is the order the server
// writes the keys; dates travel as ISO-8601 strings (the encoder's and decoder's concern).

/// A collaboration session, with the caller's role in it (`Session`).
public struct SessionInfo: Sendable, Hashable, Codable {
    public var id: UUID
    public var name: String
    public var ownerID: UUID
    public var role: Role
    public var createdAt: Date

    public init(id: UUID, name: String, ownerID: UUID, role: Role, createdAt: Date) {
        self.id = id; self.name = name; self.ownerID = ownerID; self.role = role; self.createdAt = createdAt
    }
}

/// A member of a session (`Member`).
public struct MemberInfo: Sendable, Hashable, Codable {
    public var userID: UUID
    public var displayName: String
    /// The server always sends it; optional so that a server that keeps emails private can omit it.
    public var email: String?
    public var role: Role
    /// Whether they have a collaboration socket open.
    public var online: Bool

    public init(userID: UUID, displayName: String, email: String?, role: Role, online: Bool) {
        self.userID = userID; self.displayName = displayName; self.email = email; self.role = role; self.online = online
    }
}

/// An invite code to a session (`Invite`).
public struct InviteInfo: Sendable, Hashable, Codable {
    public var code: String
    public var sessionID: UUID
    /// The role joining with it grants.
    public var role: Role
    public var expiresAt: Date
    public var maxUses: Int
    public var uses: Int
    public var revoked: Bool

    public init(code: String, sessionID: UUID, role: Role, expiresAt: Date, maxUses: Int, uses: Int, revoked: Bool) {
        self.code = code; self.sessionID = sessionID; self.role = role; self.expiresAt = expiresAt
        self.maxUses = maxUses; self.uses = uses; self.revoked = revoked
    }
}

/// What `POST /v1/invites/{code}/join` answers (`JoinResult`).
public struct JoinResult: Sendable, Hashable, Codable {
    public var session: SessionInfo

    public init(session: SessionInfo) { self.session = session }
}

/// `POST /v1/sessions` (`CreateSessionRequest`) and `PATCH /v1/sessions/{session}`
/// (`RenameSessionRequest`, the owner renames the session): the session's name.
public struct SessionNameRequest: Sendable, Hashable, Codable {
    public var name: String

    public init(name: String) { self.name = name }
}

/// `PATCH /v1/sessions/{session}/members/{user}` (`RoleRequest`).
public struct RoleRequest: Sendable, Hashable, Codable {
    public var role: Role

    public init(role: Role) { self.role = role }
}

/// `POST /v1/sessions/{session}/invites` (`CreateInviteRequest`); nil takes the server's
/// default (editor, a week, 10 uses).
public struct CreateInviteRequest: Sendable, Hashable, Codable {
    public var role: Role?
    public var expiresInSeconds: Double?
    public var maxUses: Int?

    public init(role: Role? = nil, expiresInSeconds: Double? = nil, maxUses: Int? = nil) {
        self.role = role; self.expiresInSeconds = expiresInSeconds; self.maxUses = maxUses
    }
}
