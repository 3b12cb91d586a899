import Foundation
import MeshProtocol
import SQLKit
import SQLiteKit

/// One row of `ops`, in its stored form.
struct OpRow: Sendable {
    var documentID: String
    var revision: Int
    /// The operation as JSON.
    var operation: String
    var opId: String?
    var authorID: String?
    /// Seconds since 1970.
    var createdAt: Double
    /// The document's size in bytes after this op (the trigger copies it to `documents`).
    var documentSize: Int

    static let columns = ["document_id", "revision", "operation", "op_id", "author_id", "created_at", "document_size"]

    /// `INSERT INTO ops (…) VALUES (?, …), …` for `rows` rows, binds in ``columns`` order.
    static func insertStatement(rows: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO ops (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// The values in ``columns`` order, as SQLite values.
    var sqliteData: [SQLiteData] {
        [.text(documentID), .integer(revision), .text(operation), opId.map(SQLiteData.text) ?? .null,
         authorID.map(SQLiteData.text) ?? .null, .float(createdAt), .integer(documentSize)]
    }

    /// The values in ``columns`` order, for SQLKit.
    var sqlBinds: [any SQLExpression] {
        [SQLBind(documentID), SQLBind(revision), SQLBind(operation), SQLBind(opId), SQLBind(authorID),
         SQLBind(createdAt), SQLBind(documentSize)]
    }
}

/// Inserts rows into `ops` in one statement (so one atomic commit), the backend's quickest way.
protocol OpRowWriter: Sendable {
    func insert(_ rows: [OpRow]) async throws
}

/// Through SQLKit's query builder: any SQL database.
struct SQLKitOpRowWriter: OpRowWriter {
    let db: any SQLDatabase

    func insert(_ rows: [OpRow]) async throws {
        try await db.insert(into: "ops").columns(OpRow.columns).rows(rows.map(\.sqlBinds)).run()
    }
}

/// SQLite's quick paths for the append of every edit, where SQLKit's serializer and bind encoder
/// cost a third of the commit and SQLiteNIO's thread hand-offs more than half
/// (`mesh-relay-bench latency`, docs/performance.md). It takes the connection's lock like every
/// other statement, so it never lands inside another task's transaction:
/// - when the lock is free and the batch small, ``SQLiteDirectAppender`` inserts on this thread;
/// - otherwise (or if another process holds the database), SQLiteNIO runs it, without SQLKit.
struct SQLiteOpRowWriter: OpRowWriter {
    let database: SerializedSQLiteDatabase

    func insert(_ rows: [OpRow]) async throws {
        if let appender = database.appender, SQLiteDirectAppender.takes(rows), database.lock.tryLock() {
            let inserted: Bool
            do {
                inserted = try appender.insert(rows)
            } catch {
                database.lock.unlock()
                throw error
            }
            database.lock.unlock()
            if inserted { return }
        }
        let binds = rows.flatMap(\.sqliteData)
        let sql = OpRow.insertStatement(rows: rows.count)
        // The futures API: a commit, once asked for, finishes even if the caller's task is
        // cancelled (the async API would throw instead).
        try await database.lock.withLock {
            try await database.connection.query(sql, binds, logger: database.connection.logger) { _ in }.get()
        }
    }
}

extension OpRow {
    /// `op`, stored under `documentID` (the document it is appended to), which is
    /// `documentSize` bytes long after it.
    init(_ op: OpRecord, of documentID: UUID, documentSize: Int) {
        self.init(documentID: documentID.sqlValue, revision: op.revision, operation: WireCodec.jsonText(op.operation),
                  opId: op.opId, authorID: op.authorID?.sqlValue, createdAt: op.createdAt.sqlValue, documentSize: documentSize)
    }
}
