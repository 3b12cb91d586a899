import Foundation
import Hummingbird
import MeshProtocol
import MeshSandbox
import MeshStore

/// Sessions, members and invites: `/v1/sessions/*` and `/v1/invites/*`.
struct SessionController {
    let store: Store
    let hub: CollaborationHub
    let limits: ServerConfiguration.Limits
    /// The sandbox and the debug sessions (nil without a sandbox): a deletion, a removal or a
    /// demotion stops what the session, or the member, runs there.
    var sandbox: Sandbox? = nil
    var debug: DebugHub? = nil
    var access: SessionAccess { SessionAccess(store: store) }

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.group("sessions")
            .post(use: create)
            .get(use: list)
            .get(":session", use: show)
            .patch(":session", use: rename)
            .delete(":session", use: delete)
            .get(":session/members", use: members)
            .patch(":session/members/:user", use: setRole)
            .delete(":session/members/:user", use: removeMember)
            .post(":session/invites", use: createInvite)
            .get(":session/invites", use: listInvites)
            .delete(":session/invites/:code", use: revokeInvite)
        group.post("invites/:code/join", use: join)
    }

    @Sendable func create(_ request: Request, context: MeshRequestContext) async throws -> EditedResponse<SessionInfo> {
        let user = try context.requireUser()
        let body = try await request.decodeSmall(as: SessionNameRequest.self, context: context)
        let name = try AccountRules.sessionName(body.name)
        let session = SessionRecord(name: name, ownerID: user.id)
        guard try await store.sessions.create(session, maxOwned: limits.maxSessionsPerUser) else {
            throw ApiError.tooLarge("you own \(limits.maxSessionsPerUser) sessions already, the most one user may; delete one first")
        }
        return .init(status: .created, response: dto(session, role: .owner))
    }

    @Sendable func list(_ request: Request, context: MeshRequestContext) async throws -> [SessionInfo] {
        let user = try context.requireUser()
        var result: [SessionInfo] = []
        for session in try await store.sessions.list(memberID: user.id) {
            let role = try await store.sessions.member(sessionID: session.id, userID: user.id)?.role ?? .viewer
            result.append(dto(session, role: role))
        }
        return result
    }

    @Sendable func show(_ request: Request, context: MeshRequestContext) async throws -> SessionInfo {
        let (_, session, role) = try await access.member(context)
        return dto(session, role: role)
    }

    /// Owner only, with the rules of ``create(_:context:)``.
    @Sendable func rename(_ request: Request, context: MeshRequestContext) async throws -> SessionInfo {
        let (_, session, role) = try await access.require(.owner, context)
        let body = try await request.decodeSmall(as: SessionNameRequest.self, context: context)
        var renamed = session
        renamed.name = try AccountRules.sessionName(body.name)
        try await store.sessions.rename(id: session.id, to: renamed.name)
        return dto(renamed, role: role)
    }

    @Sendable func delete(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let (_, session, _) = try await access.require(.owner, context)
        try await store.sessions.delete(id: session.id)
        // Its debug session ends (the participants are told, before their sockets notice the
        // deletion), its runs stop, its cache volume goes.
        await debug?.sessionDeleted(session.id)
        await hub.sessionDeleted(session.id)
        await sandbox?.sessionDeleted(session.id)
        return .noContent
    }

    @Sendable func members(_ request: Request, context: MeshRequestContext) async throws -> [MemberInfo] {
        let (_, session, _) = try await access.member(context)
        let online = await hub.onlineUsers(session.id)
        var result: [MemberInfo] = []
        for member in try await store.sessions.members(sessionID: session.id) {
            let user = try await store.users.find(id: member.userID)
            result.append(MemberInfo(userID: member.userID, displayName: user?.displayName ?? "?", email: user?.email ?? "", role: member.role,
                                    online: online.contains(member.userID)))
        }
        return result
    }

    /// Owner only; the owner's own role cannot change and nobody else becomes owner.
    @Sendable func setRole(_ request: Request, context: MeshRequestContext) async throws -> MemberInfo {
        let (_, session, _) = try await access.require(.owner, context)
        let target = try context.parameters.uuid("user")
        let body = try await request.decodeSmall(as: RoleRequest.self, context: context)
        guard body.role.isGrantable else { throw ApiError.badRequest("a session has exactly one owner") }
        guard target != session.ownerID else { throw ApiError.badRequest("the owner's role cannot change") }
        guard try await store.sessions.member(sessionID: session.id, userID: target) != nil else {
            throw ApiError.notFound("no such member")
        }
        try await store.sessions.setRole(sessionID: session.id, userID: target, role: body.role)
        await hub.roleChanged(session: session.id, user: target, role: body.role)
        await sandboxAccessChanged(session: session.id, user: target, role: body.role)
        let user = try await store.users.find(id: target)
        return MemberInfo(userID: target, displayName: user?.displayName ?? "?", email: user?.email ?? "", role: body.role,
                         online: await hub.onlineUsers(session.id).contains(target))
    }

    /// The owner removes anyone but themself; any other member may remove themself (leave).
    @Sendable func removeMember(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let (user, session, role) = try await access.member(context)
        let target = try context.parameters.uuid("user")
        guard target == user.id || role == .owner else { throw ApiError.forbidden("only the owner removes other members") }
        guard target != session.ownerID else { throw ApiError.badRequest("the owner cannot leave; delete the session instead") }
        // Removed by the owner: an invite they still hold no longer lets them back in.
        try await store.sessions.removeMember(sessionID: session.id, userID: target, banned: target != user.id)
        await hub.roleChanged(session: session.id, user: target, role: nil)
        await sandboxAccessChanged(session: session.id, user: target, role: nil)
        return .noContent
    }

    /// A member's role changed, or they left or were removed (nil): their debug participation
    /// follows at once (a debug session with no editor left ends), and below editor the runs
    /// they started stop.
    private func sandboxAccessChanged(session: UUID, user: UUID, role: Role?) async {
        await debug?.memberChanged(session: session, user: user, role: role)
        if (role ?? .viewer) < .editor {
            await sandbox?.kill(session: session, user: user, kind: .run)
        }
    }

    @Sendable func createInvite(_ request: Request, context: MeshRequestContext) async throws -> EditedResponse<InviteInfo> {
        let (user, session, _) = try await access.require(.owner, context)
        let body = try await request.decodeSmall(as: CreateInviteRequest.self, context: context)
        let role = body.role ?? .editor
        guard role.isGrantable else { throw ApiError.badRequest("an invite cannot make an owner") }
        let lifetime = body.expiresInSeconds ?? 7 * 24 * 3600
        guard lifetime > 0, lifetime <= 365 * 24 * 3600 else { throw ApiError.badRequest("expiresInSeconds must be within a year") }
        let maxUses = body.maxUses ?? 10
        guard (1...10_000).contains(maxUses) else { throw ApiError.badRequest("maxUses must be 1 to 10000") }
        let invite = InviteRecord(code: TokenService.newOpaqueToken().token, sessionID: session.id, role: role,
                                  createdBy: user.id, expiresAt: Date().addingTimeInterval(lifetime), maxUses: maxUses)
        try await store.invites.create(invite)
        return .init(status: .created, response: InviteInfo(invite))
    }

    @Sendable func listInvites(_ request: Request, context: MeshRequestContext) async throws -> [InviteInfo] {
        let (_, session, _) = try await access.require(.owner, context)
        return try await store.invites.list(sessionID: session.id).map(InviteInfo.init)
    }

    @Sendable func revokeInvite(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let (_, session, _) = try await access.require(.owner, context)
        let code = try context.parameters.require("code")
        guard let invite = try await store.invites.find(code: code), invite.sessionID == session.id else {
            throw ApiError.notFound("no such invite")
        }
        try await store.invites.revoke(code: code, at: Date())
        return .noContent
    }

    @Sendable func join(_ request: Request, context: MeshRequestContext) async throws -> JoinResult {
        let user = try context.requireUser()
        let code = try context.parameters.require("code")
        if let invite = try await store.invites.find(code: code),
           let member = try await store.sessions.member(sessionID: invite.sessionID, userID: user.id),
           let session = try await store.sessions.find(id: invite.sessionID) {
            return JoinResult(session: dto(session, role: member.role))   // already a member: no use counted
        }
        if let invite = try await store.invites.find(code: code),
           let removedAt = try await store.sessions.removedAt(sessionID: invite.sessionID, userID: user.id),
           invite.createdAt <= removedAt {
            throw ApiError.forbidden("the owner removed you from this session; this invite was made before that: ask for a new one")
        }
        let invite = try await store.invites.redeem(code: code, at: Date())
        try await store.sessions.addMember(MemberRecord(sessionID: invite.sessionID, userID: user.id, role: invite.role))
        guard let session = try await store.sessions.find(id: invite.sessionID),
              let member = try await store.sessions.member(sessionID: invite.sessionID, userID: user.id)
        else { throw ApiError.notFound("the session no longer exists") }
        await hub.roleChanged(session: session.id, user: user.id, role: member.role)
        return JoinResult(session: dto(session, role: member.role))
    }

    private func dto(_ session: SessionRecord, role: Role) -> SessionInfo {
        SessionInfo(session, role: role)
    }
}
