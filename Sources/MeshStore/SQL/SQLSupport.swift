import Foundation
import MeshProtocol
import PostgresKit
import SQLKit
import SQLiteKit

// Shared plumbing of the SQL repositories: statements from static strings, transactions, the mapping
// of constraint violations to `StoreError`, and the column encodings common to SQLite and PostgreSQL
// (UUIDs as TEXT, dates as DOUBLE seconds since 1970, roles as their raw value).

extension SQLDatabase {
    /// Executes one statement written out in full (DDL, pragmas, transaction control); no binds.
    func exec(_ sql: String) async throws {
        try await self.execute(sql: SQLRaw(sql)) { _ in }
    }

    /// Runs `body` in one transaction on one connection: COMMIT when it returns, ROLLBACK when it throws.
    ///
    /// `body` must use the database it is given, never `self` (on SQLite `self` would wait for the
    /// session `body` is running in).
    func transaction<R: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        try await self.withSession { db in
            // IMMEDIATE takes SQLite's write lock up front, so a transaction never fails half-way with BUSY.
            try await db.exec(db.dialect.name == "sqlite" ? "BEGIN IMMEDIATE" : "BEGIN")
            do {
                let result = try await body(db)
                try await db.exec("COMMIT")
                return result
            } catch {
                do { try await db.exec("ROLLBACK") } catch {
                    db.logger.warning("ROLLBACK failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                throw error
            }
        }
    }
}

/// What the `ops` triggers raise for a revision at or before its document's `compacted_through`
/// (a stale writer's): reported as a unique violation, so as ``StoreError/conflict(_:)``.
let compactedRevisionError = "mesh: the revision is compacted"

/// A constraint violation reported by SQLite or PostgreSQL.
enum ConstraintViolation: Sendable {
    case unique, foreignKey

    init?(_ error: any Error) {
        if let error = error as? SQLiteAppendError {
            guard let constraint = error.constraint else { return nil }
            self = constraint
        } else if let error = error as? SQLiteError {
            switch error.reason {
            case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraintUniqueRowIDFailed: self = .unique
            case .constraintForeignKeyFailed: self = .foreignKey
            case .constraintTriggerFailed where error.message.contains(compactedRevisionError): self = .unique
            case .constraint where error.message.contains(compactedRevisionError): self = .unique
            case .constraint where error.message.contains("UNIQUE"): self = .unique
            case .constraint where error.message.contains("FOREIGN KEY"): self = .foreignKey
            default: return nil
            }
        } else if let error = error as? PSQLError, error.code == .server {
            switch error.serverInfo?[.sqlState] {
            case "23505": self = .unique        // unique_violation
            case "23503": self = .foreignKey    // foreign_key_violation
            default: return nil
            }
        } else {
            return nil
        }
    }
}

/// Runs `body`, reporting a unique-key violation as ``StoreError/conflict(_:)`` and a missing parent
/// row (a foreign-key violation) as ``StoreError/notFound(_:)``.
func mappingConstraints<R>(
    conflict: @autoclosure () -> String,
    missing: @autoclosure () -> String = "referenced row",
    _ body: () async throws -> R
) async throws -> R {
    do {
        return try await body()
    } catch {
        switch ConstraintViolation(error) {
        case .unique: throw StoreError.conflict(conflict())
        case .foreignKey: throw StoreError.notFound(missing())
        case nil: throw error
        }
    }
}

/// A column whose stored value cannot be read back as a record field.
struct StoredValueError: Error, CustomStringConvertible {
    var column: String
    var value: String
    var description: String { "unreadable stored value in column \(column): \(value)" }
}

// MARK: - Column encodings

extension UUID {
    /// The stored form of a UUID: its canonical (upper-case) text.
    var sqlValue: String { uuidString }
}

extension Date {
    /// The stored form of a date: seconds since 1970.
    var sqlValue: Double { timeIntervalSince1970 }
}

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func int(_ column: String) throws -> Int { try decode(column: column, as: Int.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Bool.self) }

    func optionalString(_ column: String) throws -> String? {
        try decodeNil(column: column) ? nil : string(column)
    }

    func uuid(_ column: String) throws -> UUID {
        try parsed(column) { UUID(uuidString: $0) }
    }

    func optionalUUID(_ column: String) throws -> UUID? {
        try decodeNil(column: column) ? nil : uuid(column)
    }

    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try decode(column: column, as: Double.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try decodeNil(column: column) ? nil : date(column)
    }

    func role(_ column: String) throws -> Role {
        try parsed(column) { Role(rawValue: $0) }
    }

    /// The text of `column` as `parse` reads it; a ``StoredValueError`` when it reads nothing.
    private func parsed<Value>(_ column: String, _ parse: (String) -> Value?) throws -> Value {
        let text = try string(column)
        guard let value = parse(text) else { throw StoredValueError(column: column, value: text) }
        return value
    }
}
