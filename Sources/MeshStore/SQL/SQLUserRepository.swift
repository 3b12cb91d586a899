import Foundation
import SQLKit

/// ``UserRepository`` over SQL. Emails are unique case-insensitively through `email_key`
/// (``EmailAddress/key(_:)``: trimmed, lower-cased); `email` keeps the spelling the user gave.
struct SQLUserRepository: UserRepository, SQLRecordTable {
    let db: any SQLDatabase

    static let table = "users"
    static let columns = "id, email, display_name, password_hash, email_verified, created_at"

    func create(_ user: UserRecord) async throws {
        try await mappingConstraints(conflict: "email \(user.email) is taken") {
            try await db.raw("""
                INSERT INTO users (id, email, email_key, display_name, password_hash, email_verified, created_at)
                VALUES (\(bind: user.id.sqlValue), \(bind: user.email), \(bind: Self.key(user.email)),
                        \(bind: user.displayName), \(bind: user.passwordHash), \(bind: user.emailVerified),
                        \(bind: user.createdAt.sqlValue))
                """).run()
        }
    }

    func find(id: UUID) async throws -> UserRecord? {
        try await record(where: "id = \(bind: id.sqlValue)")
    }

    func find(email: String) async throws -> UserRecord? {
        try await record(where: "email_key = \(bind: Self.key(email))")
    }

    func update(_ user: UserRecord) async throws {
        let rows = try await mappingConstraints(conflict: "email \(user.email) is taken") {
            try await db.raw("""
                UPDATE users SET email = \(bind: user.email), email_key = \(bind: Self.key(user.email)),
                    display_name = \(bind: user.displayName), password_hash = \(bind: user.passwordHash),
                    email_verified = \(bind: user.emailVerified)
                WHERE id = \(bind: user.id.sqlValue) RETURNING id
                """).all()
        }
        if rows.isEmpty { throw StoreError.notFound("user \(user.id)") }
    }

    /// The case-insensitive key of an email (the one rule: ``EmailAddress/key(_:)``).
    static func key(_ email: String) -> String { EmailAddress.key(email) }

    static func record(_ row: any SQLRow) throws -> UserRecord {
        UserRecord(id: try row.uuid("id"), email: try row.string("email"),
                   displayName: try row.string("display_name"), passwordHash: try row.string("password_hash"),
                   emailVerified: try row.bool("email_verified"), createdAt: try row.date("created_at"))
    }
}
