import Foundation
import Logging
import SQLKit

/// One versioned schema change: statements run in order, once, recorded in `schema_migrations`.
struct Migration: Sendable {
    var version: Int
    var name: String
    /// One SQL statement each (SQLite prepares only the first statement of a string).
    var statements: [String]
}

/// Applies the pending migrations of a dialect in one transaction.
///
/// On PostgreSQL the transaction first takes an advisory lock, so servers starting together against
/// one database migrate one at a time; SQLite's `BEGIN IMMEDIATE` does the same. DDL is transactional
/// in both, so a failed migration leaves the schema as it was.
struct Migrator: Sendable {
    var database: any SQLDatabase
    var migrations: [Migration]
    var logger: Logger

    /// Arbitrary key of the PostgreSQL advisory lock that serializes migrations.
    private static let advisoryLockKey = 0x6D65_7368  // "mesh"

    func run() async throws {
        let migrations = self.migrations.sorted { $0.version < $1.version }
        let logger = self.logger
        try await database.transaction { db in
            if db.dialect.name == "postgresql" {
                try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
            }
            try await db.exec("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)
                """)
            let applied = Set(try await db.raw("SELECT version FROM schema_migrations").all()
                .map { try $0.int("version") })
            if let newest = applied.max(), let known = migrations.last?.version, newest > known {
                throw StoreOpenError(
                    "the database schema is at version \(newest), newer than this server knows (\(known)): upgrade the server")
            }
            for migration in migrations where !applied.contains(migration.version) {
                logger.info("applying migration", metadata: [
                    "version": "\(migration.version)", "name": "\(migration.name)", "dialect": "\(db.dialect.name)",
                ])
                for statement in migration.statements { try await db.exec(statement) }
                try await db.raw("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Date().sqlValue))
                    """).run()
            }
        }
    }
}
