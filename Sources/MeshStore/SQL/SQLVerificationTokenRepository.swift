import Foundation
import SQLKit

/// ``VerificationTokenRepository`` over SQL; `consume` is one conditional UPDATE, so a token is
/// consumed at most once even under concurrent requests.
struct SQLVerificationTokenRepository: VerificationTokenRepository {
    let db: any SQLDatabase

    func insert(_ token: VerificationTokenRecord) async throws {
        try await mappingConstraints(conflict: "verification token already exists") {
            try await db.raw("""
                INSERT INTO verification_tokens (token_hash, user_id, email, expires_at, used_at)
                VALUES (\(bind: token.tokenHash), \(bind: token.userID.sqlValue), \(bind: token.email),
                        \(bind: token.expiresAt.sqlValue), \(bind: token.usedAt?.sqlValue))
                """).run()
        }
    }

    func consume(hash: String, at date: Date) async throws -> VerificationTokenRecord? {
        try await db.raw("""
            UPDATE verification_tokens SET used_at = \(bind: date.sqlValue)
            WHERE token_hash = \(bind: hash) AND used_at IS NULL AND expires_at > \(bind: date.sqlValue)
            RETURNING token_hash, user_id, email, expires_at, used_at
            """).first().map { row in
                VerificationTokenRecord(tokenHash: try row.string("token_hash"), userID: try row.uuid("user_id"),
                                        email: try row.string("email"), expiresAt: try row.date("expires_at"),
                                        usedAt: try row.optionalDate("used_at"))
            }
    }
}
