import Foundation
import SQLKit

/// ``InviteRepository`` over SQL. `redeem` counts a use with one conditional UPDATE, so concurrent
/// redemptions never exceed `maxUses`.
struct SQLInviteRepository: InviteRepository, SQLRecordTable {
    let db: any SQLDatabase

    static let table = "invites"
    static let columns = "code, session_id, role, created_by, expires_at, max_uses, uses, revoked_at, created_at"

    func create(_ invite: InviteRecord) async throws {
        try await mappingConstraints(conflict: "invite code exists", missing: "session \(invite.sessionID)") {
            try await db.raw("""
                INSERT INTO invites (\(unsafeRaw: Self.columns))
                VALUES (\(bind: invite.code), \(bind: invite.sessionID.sqlValue), \(bind: invite.role.rawValue),
                        \(bind: invite.createdBy.sqlValue), \(bind: invite.expiresAt.sqlValue), \(bind: invite.maxUses),
                        \(bind: invite.uses), \(bind: invite.revokedAt?.sqlValue), \(bind: invite.createdAt.sqlValue))
                """).run()
        }
    }

    func find(code: String) async throws -> InviteRecord? {
        try await record(where: "code = \(bind: code)")
    }

    func list(sessionID: UUID) async throws -> [InviteRecord] {
        try await records(where: "session_id = \(bind: sessionID.sqlValue)", orderedBy: "created_at, code")
    }

    func revoke(code: String, at date: Date) async throws {
        let rows = try await db.raw("""
            UPDATE invites SET revoked_at = COALESCE(revoked_at, \(bind: date.sqlValue))
            WHERE code = \(bind: code) RETURNING code
            """).all()
        if rows.isEmpty { throw StoreError.notFound("invite") }
    }

    func redeem(code: String, at date: Date) async throws -> InviteRecord {
        let redeemed = try await db.raw("""
            UPDATE invites SET uses = uses + 1
            WHERE code = \(bind: code) AND revoked_at IS NULL AND expires_at > \(bind: date.sqlValue)
              AND uses < max_uses
            RETURNING \(unsafeRaw: Self.columns)
            """).first().map(Self.record)
        if let redeemed { return redeemed }
        // Not counted: say why.
        guard let invite = try await find(code: code) else { throw StoreError.notFound("invite") }
        if invite.revokedAt != nil { throw StoreError.inviteUnusable("revoked") }
        if invite.expiresAt <= date { throw StoreError.inviteUnusable("expired") }
        throw StoreError.inviteUnusable("used up")
    }

    static func record(_ row: any SQLRow) throws -> InviteRecord {
        InviteRecord(code: try row.string("code"), sessionID: try row.uuid("session_id"), role: try row.role("role"),
                     createdBy: try row.uuid("created_by"), expiresAt: try row.date("expires_at"),
                     maxUses: try row.int("max_uses"), uses: try row.int("uses"),
                     revokedAt: try row.optionalDate("revoked_at"), createdAt: try row.date("created_at"))
    }
}
