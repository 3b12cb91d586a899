import Foundation
import Hummingbird
import MeshStore

struct SessionDTO: ResponseCodable {
    var id: UUID
    var name: String
    var ownerID: UUID
    var role: Role
    var createdAt: Date
}

struct MemberDTO: ResponseCodable {
    var userID: UUID
    var displayName: String
    var email: String
    var role: Role
    var online: Bool
}

struct InviteDTO: ResponseCodable {
    var code: String
    var sessionID: UUID
    var role: Role
    var expiresAt: Date
    var maxUses: Int
    var uses: Int
    var revoked: Bool

    init(_ invite: InviteRecord) {
        code = invite.code; sessionID = invite.sessionID; role = invite.role; expiresAt = invite.expiresAt
        maxUses = invite.maxUses; uses = invite.uses; revoked = invite.revokedAt != nil
    }
}

struct JoinResult: ResponseCodable {
    var session: SessionDTO
}

struct DocumentDTO: ResponseCodable {
    var id: UUID
    var path: String
    var revision: Int
    var size: Int
    var updatedAt: Date

    init(_ document: DocumentRecord) {
        id = document.id; path = document.path; revision = document.revision; size = document.size
        updatedAt = document.updatedAt
    }
}

struct DocumentContentDTO: ResponseCodable {
    var id: UUID
    var path: String
    var revision: Int
    var text: String
}

struct CreateSessionRequest: Decodable { var name: String }
struct RoleRequest: Decodable { var role: Role }
struct CreateInviteRequest: Decodable { var role: Role?; var expiresInSeconds: Double?; var maxUses: Int? }
struct CreateDocumentRequest: Decodable { var path: String; var text: String? }
struct RenameDocumentRequest: Decodable { var path: String }
