import Foundation
import SQLKit

/// ``AnnotationRepository`` over SQL. Replies reference their parent with ON DELETE CASCADE, so deleting
/// an annotation deletes its replies, and deleting a document deletes its annotations.
struct SQLAnnotationRepository: AnnotationRepository, SQLRecordTable {
    let db: any SQLDatabase

    static let table = "annotations"
    static let columns =
        "id, document_id, parent_id, author_id, from_offset, to_offset, revision, body, resolved, created_at"

    func insert(_ a: AnnotationRecord) async throws {
        try await mappingConstraints(conflict: "annotation \(a.id) exists", missing: "document or parent annotation") {
            try await db.raw("""
                INSERT INTO annotations (\(unsafeRaw: Self.columns))
                VALUES (\(bind: a.id.sqlValue), \(bind: a.documentID.sqlValue), \(bind: a.parentID?.sqlValue),
                        \(bind: a.authorID.sqlValue), \(bind: a.from), \(bind: a.to), \(bind: a.revision),
                        \(bind: a.body), \(bind: a.resolved), \(bind: a.createdAt.sqlValue))
                """).run()
        }
    }

    func find(id: UUID) async throws -> AnnotationRecord? {
        try await record(where: "id = \(bind: id.sqlValue)")
    }

    func list(documentID: UUID) async throws -> [AnnotationRecord] {
        try await records(where: "document_id = \(bind: documentID.sqlValue)", orderedBy: "created_at, id")
    }

    func update(_ a: AnnotationRecord) async throws {
        let rows = try await db.raw("""
            UPDATE annotations SET from_offset = \(bind: a.from), to_offset = \(bind: a.to),
                revision = \(bind: a.revision), resolved = \(bind: a.resolved)
            WHERE id = \(bind: a.id.sqlValue) RETURNING id
            """).all()
        if rows.isEmpty { throw StoreError.notFound("annotation \(a.id)") }
    }

    func delete(id: UUID) async throws {
        try await db.raw("DELETE FROM annotations WHERE id = \(bind: id.sqlValue)").run()
    }

    static func record(_ row: any SQLRow) throws -> AnnotationRecord {
        AnnotationRecord(id: try row.uuid("id"), documentID: try row.uuid("document_id"),
                         parentID: try row.optionalUUID("parent_id"), authorID: try row.uuid("author_id"),
                         from: try row.int("from_offset"), to: try row.int("to_offset"),
                         revision: try row.int("revision"), body: try row.string("body"),
                         resolved: try row.bool("resolved"), createdAt: try row.date("created_at"))
    }
}
