import Foundation

/// A member's role in a session.
public enum SessionRole: String, Sendable, Hashable, Codable, CaseIterable {
    case owner, editor, viewer
}

/// A collaboration session, with the caller's role in it.
public struct SessionInfo: Sendable, Hashable, Codable {
    public var id: UUID
    public var name: String
    public var ownerID: UUID
    public var role: SessionRole
    public var createdAt: Date
}

/// A member of a session.
public struct MemberInfo: Sendable, Hashable, Codable {
    public var userID: UUID
    public var displayName: String
    public var role: SessionRole
    public var online: Bool
    /// Present only if the server shares members' emails (the current one does not).
    public var email: String?
}

/// An invite code to a session.
public struct InviteInfo: Sendable, Hashable, Codable {
    public var code: String
    public var sessionID: UUID
    public var role: SessionRole
    public var expiresAt: Date
    public var maxUses: Int
    public var uses: Int
    public var revoked: Bool
}

/// A document's metadata.
public struct DocumentInfo: Sendable, Hashable, Codable {
    public var id: UUID
    public var path: String
    public var revision: Int
    /// UTF-8 bytes.
    public var size: Int
    public var updatedAt: Date
}

/// A document's current text at a revision.
public struct DocumentContent: Sendable, Hashable, Codable {
    public var id: UUID
    public var path: String
    public var revision: Int
    public var text: String
}

struct JoinAnswer: Decodable { var session: SessionInfo }
struct NameBody: Encodable { var name: String }
struct RoleBody: Encodable { var role: SessionRole }
struct InviteBody: Encodable { var role: SessionRole?; var expiresInSeconds: Double?; var maxUses: Int? }
struct DocumentBody: Encodable { var path: String; var text: String? }
struct PathBody: Encodable { var path: String }
