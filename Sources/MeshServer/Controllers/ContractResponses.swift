import Foundation
import Hummingbird
import MeshProtocol
import MeshStore

// The REST types live in MeshProtocol, shared with MeshClient; here they become Hummingbird
// responses and are built from store records.

extension UserProfile: ResponseEncodable {}
extension TokenPair: ResponseEncodable {}
extension SessionInfo: ResponseEncodable {}
extension MemberInfo: ResponseEncodable {}
extension InviteInfo: ResponseEncodable {}
extension JoinResult: ResponseEncodable {}
extension DocumentInfo: ResponseEncodable {}
extension DocumentContent: ResponseEncodable {}
extension WebSocketTicket: ResponseEncodable {}

extension UserProfile {
    init(_ user: UserRecord) {
        self.init(id: user.id, email: user.email, displayName: user.displayName, emailVerified: user.emailVerified)
    }
}

extension SessionInfo {
    /// A session as `role` sees it.
    init(_ session: SessionRecord, role: Role) {
        self.init(id: session.id, name: session.name, ownerID: session.ownerID, role: role, createdAt: session.createdAt)
    }
}

extension InviteInfo {
    init(_ invite: InviteRecord) {
        self.init(code: invite.code, sessionID: invite.sessionID, role: invite.role, expiresAt: invite.expiresAt,
                  maxUses: invite.maxUses, uses: invite.uses, revoked: invite.revokedAt != nil)
    }
}

extension DocumentInfo {
    init(_ document: DocumentRecord) {
        self.init(id: document.id, path: document.path, revision: document.revision, size: document.size,
                  updatedAt: document.updatedAt)
    }
}
