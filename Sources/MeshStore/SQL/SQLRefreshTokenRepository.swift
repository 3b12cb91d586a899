import Foundation
import SQLKit

/// ``RefreshTokenRepository`` over SQL; `markUsed` is one conditional UPDATE, so it is atomic.
struct SQLRefreshTokenRepository: RefreshTokenRepository {
    let db: any SQLDatabase

    func insert(_ token: RefreshTokenRecord) async throws {
        try await mappingConstraints(conflict: "refresh token already exists") {
            try await db.raw("""
                INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, used_at, revoked_at, created_at)
                VALUES (\(bind: token.id.sqlValue), \(bind: token.userID.sqlValue), \(bind: token.familyID.sqlValue),
                        \(bind: token.tokenHash), \(bind: token.expiresAt.sqlValue), \(bind: token.usedAt?.sqlValue),
                        \(bind: token.revokedAt?.sqlValue), \(bind: token.createdAt.sqlValue))
                """).run()
        }
    }

    func find(hash: String) async throws -> RefreshTokenRecord? {
        try await db.raw("""
            SELECT id, user_id, family_id, token_hash, expires_at, used_at, revoked_at, created_at
            FROM refresh_tokens WHERE token_hash = \(bind: hash)
            """).first().map(Self.record)
    }

    func markUsed(id: UUID, at date: Date) async throws -> Bool {
        let rows = try await db.raw("""
            UPDATE refresh_tokens SET used_at = \(bind: date.sqlValue)
            WHERE id = \(bind: id.sqlValue) AND used_at IS NULL AND revoked_at IS NULL
            RETURNING id
            """).all()
        return rows.count == 1
    }

    func revokeFamily(_ familyID: UUID, at date: Date) async throws {
        try await db.raw("""
            UPDATE refresh_tokens SET revoked_at = \(bind: date.sqlValue)
            WHERE family_id = \(bind: familyID.sqlValue) AND revoked_at IS NULL
            """).run()
    }

    func revokeAll(userID: UUID, exceptFamily keepFamily: UUID?, at date: Date) async throws {
        if let keepFamily {
            try await db.raw("""
                UPDATE refresh_tokens SET revoked_at = \(bind: date.sqlValue)
                WHERE user_id = \(bind: userID.sqlValue) AND revoked_at IS NULL
                  AND family_id <> \(bind: keepFamily.sqlValue)
                """).run()
        } else {
            try await db.raw("""
                UPDATE refresh_tokens SET revoked_at = \(bind: date.sqlValue)
                WHERE user_id = \(bind: userID.sqlValue) AND revoked_at IS NULL
                """).run()
        }
    }

    static func record(_ row: any SQLRow) throws -> RefreshTokenRecord {
        RefreshTokenRecord(id: try row.uuid("id"), userID: try row.uuid("user_id"), familyID: try row.uuid("family_id"),
                           tokenHash: try row.string("token_hash"), expiresAt: try row.date("expires_at"),
                           usedAt: try row.optionalDate("used_at"), revokedAt: try row.optionalDate("revoked_at"),
                           createdAt: try row.date("created_at"))
    }
}
