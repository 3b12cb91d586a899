import Foundation
import MeshOT
import MeshProtocol
import SQLKit

/// ``DocumentRepository`` over SQL. The primary key (document_id, revision) of `ops` is the sequencer:
/// of two nodes appending the same revision, the second one's whole batch fails with a conflict.
struct SQLDocumentRepository: DocumentRepository, SQLRecordTable {
    let db: any SQLDatabase
    /// Appends from many documents grouped into one statement.
    private let batcher: OpAppendBatcher

    /// - Parameter opRows: how rows of `ops` are inserted (SQLKit, or SQLite's quicker path).
    init(db: any SQLDatabase, opRows: any OpRowWriter) {
        self.db = db
        batcher = OpAppendBatcher(writer: opRows, maxRows: Self.opsPerInsert)
    }

    static let table = "documents"
    static let columns = "id, session_id, path, revision, size, created_at, updated_at"
    /// Rows per multi-row INSERT of ops (7 binds each), well under SQLite's and PostgreSQL's bind limits.
    private static let opsPerInsert = 500

    func create(_ document: DocumentRecord, text: String) async throws {
        try await mappingConstraints(conflict: "path \(document.path) is taken", missing: "session \(document.sessionID)") {
            try await db.transaction { db in
                try await db.raw("""
                    INSERT INTO documents (\(unsafeRaw: Self.columns))
                    VALUES (\(bind: document.id.sqlValue), \(bind: document.sessionID.sqlValue), \(bind: document.path),
                            \(bind: document.revision), \(bind: document.size), \(bind: document.createdAt.sqlValue),
                            \(bind: document.updatedAt.sqlValue))
                    """).run()
                try await db.raw("""
                    INSERT INTO snapshots (document_id, revision, text)
                    VALUES (\(bind: document.id.sqlValue), \(bind: document.revision), \(bind: text))
                    """).run()
            }
        }
    }

    func find(id: UUID) async throws -> DocumentRecord? {
        try await record(where: "id = \(bind: id.sqlValue)")
    }

    func find(sessionID: UUID, path: String) async throws -> DocumentRecord? {
        try await record(where: "session_id = \(bind: sessionID.sqlValue) AND path = \(bind: path)")
    }

    func list(sessionID: UUID) async throws -> [DocumentRecord] {
        try await records(where: "session_id = \(bind: sessionID.sqlValue)", orderedBy: "path")
    }

    func rename(id: UUID, to path: String) async throws {
        let rows = try await mappingConstraints(conflict: "path \(path) is taken") {
            try await db.raw("""
                UPDATE documents SET path = \(bind: path), updated_at = \(bind: Date().sqlValue)
                WHERE id = \(bind: id.sqlValue) RETURNING id
                """).all()
        }
        if rows.isEmpty { throw StoreError.notFound("document \(id)") }
    }

    @discardableResult
    func delete(id: UUID) async throws -> Int? {
        try await db.raw("DELETE FROM documents WHERE id = \(bind: id.sqlValue) RETURNING size")
            .first()?.int("size")
    }

    func totalSize(sessionID: UUID) async throws -> Int {
        // PostgreSQL's SUM(bigint) is numeric: cast it back to a BIGINT.
        try await db.raw("""
            SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM documents
            WHERE session_id = \(bind: sessionID.sqlValue)
            """).first()?.int("total") ?? 0
    }

    func count(sessionID: UUID) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM documents WHERE session_id = \(bind: sessionID.sqlValue)")
            .first()?.int("n") ?? 0
    }

    func append(_ ops: [OpRecord], documentID: UUID, size: Int) async throws {
        guard !ops.isEmpty else { return }
        // The trigger `ops_advance_document` advances the document to its newest op, in the same
        // statement; a missing document is a foreign-key violation, a taken revision a unique one.
        let rows = ops.map { OpRow($0, of: documentID, documentSize: size) }
        let revisions = "\(ops.map(\.revision).min()!)...\(ops.map(\.revision).max()!)"
        try await mappingConstraints(conflict: "revision in \(revisions) of document \(documentID) exists",
                                     missing: "document \(documentID)") {
            if rows.count <= Self.opsPerInsert {
                // One statement, shared with other documents' waiting appends.
                try await batcher.append(rows)
                return
            }
            try await db.transaction { db in try await Self.insert(rows, in: db) }
        }
    }

    func appendExclusively(documentID: UUID, after revision: Int,
                           prepare: @escaping @Sendable ([OpRecord]) async throws -> (ops: [OpRecord], size: Int)) async throws {
        try await mappingConstraints(conflict: "a revision after \(revision) of document \(documentID) exists",
                                     missing: "document \(documentID)") {
            try await db.transaction { db in
                try await db.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: documentID.sqlValue)))").run()
                let fetched = try await Self.operations(in: db, documentID: documentID, after: revision)
                let (ops, size) = try await prepare(fetched)
                let rows = ops.map { OpRow($0, of: documentID, documentSize: size) }
                try await Self.insert(rows, in: db)
            }
        }
    }

    func operations(documentID: UUID, after revision: Int, upToBytes: Int?) async throws -> [OpRecord] {
        guard let upToBytes else { return try await Self.operations(in: db, documentID: documentID, after: revision) }
        // A running total over the rows in revision order (a window, in SQLite and PostgreSQL
        // alike): only the rows within the budget leave the database.
        return try await Self.records(db.raw("""
            SELECT document_id, revision, operation, op_id, author_id, created_at FROM (
                SELECT document_id, revision, operation, op_id, author_id, created_at,
                       SUM(LENGTH(operation)) OVER (ORDER BY revision) AS running
                FROM ops WHERE document_id = \(bind: documentID.sqlValue) AND revision > \(bind: revision)
            ) AS bounded WHERE running <= \(bind: max(upToBytes, 0))
            ORDER BY revision
            """).all())
    }

    /// Inserts `rows` into `ops`, `opsPerInsert` to a statement (in the caller's transaction).
    private static func insert(_ rows: [OpRow], in db: any SQLDatabase) async throws {
        for start in stride(from: 0, to: rows.count, by: opsPerInsert) {
            try await SQLKitOpRowWriter(db: db).insert(Array(rows[start..<min(start + opsPerInsert, rows.count)]))
        }
    }

    private static func operations(in db: any SQLDatabase, documentID: UUID, after revision: Int) async throws -> [OpRecord] {
        try await records(db.raw("""
            SELECT document_id, revision, operation, op_id, author_id, created_at FROM ops
            WHERE document_id = \(bind: documentID.sqlValue) AND revision > \(bind: revision)
            ORDER BY revision
            """).all())
    }

    private static func records(_ rows: [any SQLRow]) throws -> [OpRecord] {
        try rows.map { row in
            OpRecord(documentID: try row.uuid("document_id"), revision: try row.int("revision"),
                     operation: try Self.operation(try row.string("operation")),
                     opId: try row.optionalString("op_id"), authorID: try row.optionalUUID("author_id"),
                     createdAt: try row.date("created_at"))
        }
    }

    func saveSnapshot(_ snapshot: SnapshotRecord) async throws {
        try await mappingConstraints(conflict: "snapshot exists", missing: "document \(snapshot.documentID)") {
            try await db.raw("""
                INSERT INTO snapshots (document_id, revision, text)
                VALUES (\(bind: snapshot.documentID.sqlValue), \(bind: snapshot.revision), \(bind: snapshot.text))
                ON CONFLICT (document_id, revision) DO UPDATE SET text = excluded.text
                """).run()
        }
    }

    func latestSnapshot(documentID: UUID, atOrBefore revision: Int?) async throws -> SnapshotRecord? {
        let row: (any SQLRow)?
        if let revision {
            row = try await db.raw("""
                SELECT document_id, revision, text FROM snapshots
                WHERE document_id = \(bind: documentID.sqlValue) AND revision <= \(bind: revision)
                ORDER BY revision DESC LIMIT 1
                """).first()
        } else {
            row = try await db.raw("""
                SELECT document_id, revision, text FROM snapshots
                WHERE document_id = \(bind: documentID.sqlValue) ORDER BY revision DESC LIMIT 1
                """).first()
        }
        return try row.map { row in
            SnapshotRecord(documentID: try row.uuid("document_id"), revision: try row.int("revision"),
                           text: try row.string("text"))
        }
    }

    /// One transaction that moves `compacted_through` first: on PostgreSQL, an append racing it
    /// waits for the document's row in its trigger and then sees the new cut (PostgresSchema, 4).
    @discardableResult
    func compact(documentID: UUID, through revision: Int) async throws -> Int {
        let id = documentID.sqlValue
        return try await db.transaction { db in
            let snapshot = try await db.raw("""
                SELECT revision FROM snapshots WHERE document_id = \(bind: id) AND revision <= \(bind: revision)
                ORDER BY revision DESC LIMIT 1
                """).first()
            if let cut = try snapshot?.int("revision") {
                let moved = try await db.raw("""
                    UPDATE documents SET compacted_through = \(bind: cut)
                    WHERE id = \(bind: id) AND compacted_through < \(bind: cut) RETURNING id
                    """).all()
                if !moved.isEmpty {
                    try await db.raw("DELETE FROM ops WHERE document_id = \(bind: id) AND revision <= \(bind: cut)").run()
                    try await db.raw("DELETE FROM snapshots WHERE document_id = \(bind: id) AND revision < \(bind: cut)").run()
                    return cut
                }
            }
            return try await db.raw("SELECT compacted_through FROM documents WHERE id = \(bind: id)")
                .first()?.int("compacted_through") ?? 0
        }
    }

    static func record(_ row: any SQLRow) throws -> DocumentRecord {
        DocumentRecord(id: try row.uuid("id"), sessionID: try row.uuid("session_id"), path: try row.string("path"),
                       revision: try row.int("revision"), size: try row.int("size"),
                       createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    /// An op's stored JSON, written by ``WireCodec/jsonText(_:)``.
    private static func operation(_ text: String) throws -> TextOperation {
        guard let operation = WireCodec.operation(try JSONValue.parse(Data(text.utf8))) else {
            throw StoredValueError(column: "operation", value: String(text.prefix(100)))
        }
        return operation
    }
}
