import Foundation
import MeshOT
import MeshProtocol

/// An account.
public struct UserRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var email: String
    public var displayName: String
    public var passwordHash: String
    public var emailVerified: Bool
    public var createdAt: Date

    public init(id: UUID = UUID(), email: String, displayName: String, passwordHash: String,
                emailVerified: Bool = false, createdAt: Date = Date()) {
        self.id = id; self.email = email; self.displayName = displayName
        self.passwordHash = passwordHash; self.emailVerified = emailVerified; self.createdAt = createdAt
    }
}

/// An opaque refresh token, stored only as a hash. Tokens issued by rotation share a family.
public struct RefreshTokenRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var userID: UUID
    public var familyID: UUID
    public var tokenHash: String
    public var expiresAt: Date
    /// Set when the token was used (and replaced) or revoked; a used token presented again
    /// revokes its whole family.
    public var usedAt: Date?
    public var revokedAt: Date?
    public var createdAt: Date

    public init(id: UUID = UUID(), userID: UUID, familyID: UUID, tokenHash: String, expiresAt: Date,
                usedAt: Date? = nil, revokedAt: Date? = nil, createdAt: Date = Date()) {
        self.id = id; self.userID = userID; self.familyID = familyID; self.tokenHash = tokenHash
        self.expiresAt = expiresAt; self.usedAt = usedAt; self.revokedAt = revokedAt; self.createdAt = createdAt
    }
}

/// A one-time email verification token, stored as a hash.
public struct VerificationTokenRecord: Sendable, Hashable, Codable {
    public var tokenHash: String
    public var userID: UUID
    public var email: String
    public var expiresAt: Date
    public var usedAt: Date?

    public init(tokenHash: String, userID: UUID, email: String, expiresAt: Date, usedAt: Date? = nil) {
        self.tokenHash = tokenHash; self.userID = userID; self.email = email
        self.expiresAt = expiresAt; self.usedAt = usedAt
    }
}

/// A single-use ticket that opens (or renews) one `/v1/ws` socket of `userID` in `sessionID`,
/// stored as a hash. Issued to browsers, which must not hold an access token.
public struct WebSocketTicketRecord: Sendable, Hashable, Codable {
    public var ticketHash: String
    public var userID: UUID
    public var sessionID: UUID
    public var expiresAt: Date
    public var createdAt: Date

    public init(ticketHash: String, userID: UUID, sessionID: UUID, expiresAt: Date, createdAt: Date = Date()) {
        self.ticketHash = ticketHash; self.userID = userID; self.sessionID = sessionID
        self.expiresAt = expiresAt; self.createdAt = createdAt
    }
}

/// A collaboration session.
public struct SessionRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var name: String
    public var ownerID: UUID
    public var createdAt: Date

    public init(id: UUID = UUID(), name: String, ownerID: UUID, createdAt: Date = Date()) {
        self.id = id; self.name = name; self.ownerID = ownerID; self.createdAt = createdAt
    }
}

/// A user's membership of a session.
public struct MemberRecord: Sendable, Hashable, Codable {
    public var sessionID: UUID
    public var userID: UUID
    public var role: Role
    public var joinedAt: Date

    public init(sessionID: UUID, userID: UUID, role: Role, joinedAt: Date = Date()) {
        self.sessionID = sessionID; self.userID = userID; self.role = role; self.joinedAt = joinedAt
    }
}

/// An invitation to a session, redeemable `maxUses` times until `expiresAt`.
public struct InviteRecord: Sendable, Hashable, Codable {
    public var code: String
    public var sessionID: UUID
    public var role: Role
    public var createdBy: UUID
    public var expiresAt: Date
    public var maxUses: Int
    public var uses: Int
    public var revokedAt: Date?
    public var createdAt: Date

    public init(code: String, sessionID: UUID, role: Role, createdBy: UUID, expiresAt: Date,
                maxUses: Int, uses: Int = 0, revokedAt: Date? = nil, createdAt: Date = Date()) {
        self.code = code; self.sessionID = sessionID; self.role = role; self.createdBy = createdBy
        self.expiresAt = expiresAt; self.maxUses = maxUses; self.uses = uses
        self.revokedAt = revokedAt; self.createdAt = createdAt
    }
}

/// A shared document, keyed by its workspace-relative path within a session.
public struct DocumentRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var sessionID: UUID
    public var path: String
    /// The revision of the last committed operation.
    public var revision: Int
    /// Length of the current text in UTF-8 bytes (for size limits).
    public var size: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID = UUID(), sessionID: UUID, path: String, revision: Int = 0, size: Int = 0,
                createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.id = id; self.sessionID = sessionID; self.path = path; self.revision = revision
        self.size = size; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

/// One committed operation in a document's op log: who changed what, when.
public struct OpRecord: Sendable, Hashable, Codable {
    public var documentID: UUID
    public var revision: Int
    public var operation: TextOperation
    public var opId: String?
    public var authorID: UUID?
    public var createdAt: Date

    public init(documentID: UUID, revision: Int, operation: TextOperation, opId: String?,
                authorID: UUID?, createdAt: Date = Date()) {
        self.documentID = documentID; self.revision = revision; self.operation = operation
        self.opId = opId; self.authorID = authorID; self.createdAt = createdAt
    }

    /// The operation as OT and the collaboration protocol know it (the author as a user id).
    public var committed: CommittedOperation {
        CommittedOperation(revision: revision, operation: operation, opId: opId, author: authorID?.uuidString)
    }
}

/// A document's full text at a revision; the op log after it rebuilds the current text.
public struct SnapshotRecord: Sendable, Hashable, Codable {
    public var documentID: UUID
    public var revision: Int
    public var text: String

    public init(documentID: UUID, revision: Int, text: String) {
        self.documentID = documentID; self.revision = revision; self.text = text
    }
}

/// A chat message in a session.
public struct ChatMessageRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var sessionID: UUID
    public var authorID: UUID
    public var text: String
    public var createdAt: Date

    public init(id: UUID = UUID(), sessionID: UUID, authorID: UUID, text: String, createdAt: Date = Date()) {
        self.id = id; self.sessionID = sessionID; self.authorID = authorID; self.text = text; self.createdAt = createdAt
    }
}

/// A comment anchored to a scalar range of a document at `revision`; replies have a `parentID`.
public struct AnnotationRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var documentID: UUID
    public var parentID: UUID?
    public var authorID: UUID
    public var from: Int
    public var to: Int
    /// The document revision at which `from`/`to` were last stored.
    public var revision: Int
    public var body: String
    public var resolved: Bool
    public var createdAt: Date

    public init(id: UUID = UUID(), documentID: UUID, parentID: UUID? = nil, authorID: UUID, from: Int, to: Int,
                revision: Int, body: String, resolved: Bool = false, createdAt: Date = Date()) {
        self.id = id; self.documentID = documentID; self.parentID = parentID; self.authorID = authorID
        self.from = from; self.to = to; self.revision = revision; self.body = body
        self.resolved = resolved; self.createdAt = createdAt
    }
}
