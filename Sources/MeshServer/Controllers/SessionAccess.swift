import Foundation
import Hummingbird
import MeshProtocol
import MeshStore

/// Who may do what in a session: looked up per request, so role changes apply at once.
struct SessionAccess {
    let store: Store

    /// The caller's membership, or 404 for non-members (not revealing that the session exists).
    func member(_ context: MeshRequestContext, session: UUID) async throws -> (AuthUser, SessionRecord, Role) {
        let user = try context.requireUser()
        guard let record = try await store.sessions.find(id: session),
              let member = try await store.sessions.member(sessionID: session, userID: user.id)
        else { throw ApiError.notFound("no such session") }
        return (user, record, member.role)
    }

    /// As ``member(_:session:)`` and at least `role`, else 403.
    func require(_ role: Role, _ context: MeshRequestContext, session: UUID) async throws -> (AuthUser, SessionRecord, Role) {
        let found = try await member(context, session: session)
        guard found.2 >= role else { throw ApiError.forbidden("this needs the \(role.rawValue) role; you are \(found.2.rawValue)") }
        return found
    }

    /// ``member(_:session:)`` of the route's `:session`.
    func member(_ context: MeshRequestContext) async throws -> (AuthUser, SessionRecord, Role) {
        try await member(context, session: try context.parameters.uuid("session"))
    }

    /// ``require(_:_:session:)`` in the route's `:session`.
    func require(_ role: Role, _ context: MeshRequestContext) async throws -> (AuthUser, SessionRecord, Role) {
        try await require(role, context, session: try context.parameters.uuid("session"))
    }
}

extension Parameters {
    func uuid(_ name: String) throws -> UUID {
        guard let raw = get(name), let id = UUID(uuidString: raw) else { throw ApiError.badRequest("\(name) must be a UUID") }
        return id
    }
}
