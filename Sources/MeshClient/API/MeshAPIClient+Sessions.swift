import Foundation
import MeshProtocol

/// Sessions, members, invites and documents.
extension MeshAPIClient {
    // MARK: Sessions

    /// Creates a session; the caller becomes its owner.
    public func createSession(name: String) async throws -> SessionInfo {
        try await call(.POST, "/v1/sessions", body: SessionNameRequest(name: name))
    }

    /// The sessions the caller is a member of.
    public func sessions() async throws -> [SessionInfo] {
        try await call(.GET, "/v1/sessions")
    }

    public func session(_ id: UUID) async throws -> SessionInfo {
        try await call(.GET, "/v1/sessions/\(id)")
    }

    /// Deletes a session (owner only).
    public func deleteSession(_ id: UUID) async throws {
        try await callEmpty(.DELETE, "/v1/sessions/\(id)")
    }

    // MARK: Members

    public func members(of session: UUID) async throws -> [MemberInfo] {
        try await call(.GET, "/v1/sessions/\(session)/members")
    }

    /// Changes a member's role (owner only; not to or from owner).
    public func setRole(session: UUID, user: UUID, role: Role) async throws -> MemberInfo {
        try await call(.PATCH, "/v1/sessions/\(session)/members/\(user)", body: RoleRequest(role: role))
    }

    /// Removes a member (owner), or leaves the session (when `user` is the caller).
    public func removeMember(session: UUID, user: UUID) async throws {
        try await callEmpty(.DELETE, "/v1/sessions/\(session)/members/\(user)")
    }

    // MARK: Invites

    /// Creates an invite (owner only). Nil arguments take the server's defaults (editor, a week, 10 uses).
    public func createInvite(session: UUID, role: Role? = nil, expiresInSeconds: Double? = nil,
                             maxUses: Int? = nil) async throws -> InviteInfo {
        try await call(.POST, "/v1/sessions/\(session)/invites",
                       body: CreateInviteRequest(role: role, expiresInSeconds: expiresInSeconds, maxUses: maxUses))
    }

    public func invites(of session: UUID) async throws -> [InviteInfo] {
        try await call(.GET, "/v1/sessions/\(session)/invites")
    }

    public func revokeInvite(session: UUID, code: String) async throws {
        try await callEmpty(.DELETE, "/v1/sessions/\(session)/invites/\(segment(code))")
    }

    /// Joins the invite's session with the invite's role; returns the session.
    public func join(invite code: String) async throws -> SessionInfo {
        let answer: JoinResult = try await call(.POST, "/v1/invites/\(segment(code))/join")
        return answer.session
    }

    // MARK: Documents

    public func documents(of session: UUID) async throws -> [DocumentInfo] {
        try await call(.GET, "/v1/sessions/\(session)/documents")
    }

    /// Creates a document at a workspace-relative path (editor or owner).
    public func createDocument(session: UUID, path: String, text: String) async throws -> DocumentInfo {
        try await call(.POST, "/v1/sessions/\(session)/documents", body: CreateDocumentRequest(path: path, text: text))
    }

    /// A document's current text and revision.
    public func document(session: UUID, id: UUID) async throws -> DocumentContent {
        try await call(.GET, "/v1/sessions/\(session)/documents/\(id)")
    }

    /// Renames (moves) a document to another workspace-relative path (editor or owner); its
    /// id, text and history stay. The session is told (`document` events).
    @discardableResult
    public func renameDocument(session: UUID, id: UUID, to path: String) async throws -> DocumentInfo {
        try await call(.PATCH, "/v1/sessions/\(session)/documents/\(id)", body: RenameDocumentRequest(path: path))
    }

    /// Deletes a document for everyone (editor or owner).
    public func deleteDocument(session: UUID, id: UUID) async throws {
        try await callEmpty(.DELETE, "/v1/sessions/\(session)/documents/\(id)")
    }
}
