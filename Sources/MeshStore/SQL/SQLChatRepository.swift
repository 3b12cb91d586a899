import Foundation
import SQLKit

/// ``ChatRepository`` over SQL. Messages with equal timestamps keep their insertion order (`seq`).
struct SQLChatRepository: ChatRepository {
    let db: any SQLDatabase

    func insert(_ message: ChatMessageRecord) async throws {
        try await mappingConstraints(conflict: "chat message \(message.id) exists", missing: "session \(message.sessionID)") {
            try await db.raw("""
                INSERT INTO chat_messages (id, session_id, author_id, text, created_at)
                VALUES (\(bind: message.id.sqlValue), \(bind: message.sessionID.sqlValue),
                        \(bind: message.authorID.sqlValue), \(bind: message.text), \(bind: message.createdAt.sqlValue))
                """).run()
        }
    }

    /// One statement: the rows past the newest `newest` (an OFFSET into the session's index) go.
    func trim(sessionID: UUID, keeping newest: Int) async throws {
        // SQLite wants a LIMIT before an OFFSET, PostgreSQL a number: one larger than any session.
        try await db.raw("""
            DELETE FROM chat_messages WHERE seq IN (
                SELECT seq FROM chat_messages WHERE session_id = \(bind: sessionID.sqlValue)
                ORDER BY created_at DESC, seq DESC LIMIT \(bind: Int(Int32.max)) OFFSET \(bind: max(0, newest)))
            """).run()
    }

    func recent(sessionID: UUID, limit: Int) async throws -> [ChatMessageRecord] {
        guard limit > 0 else { return [] }
        let rows = try await db.raw("""
            SELECT id, session_id, author_id, text, created_at FROM chat_messages
            WHERE session_id = \(bind: sessionID.sqlValue)
            ORDER BY created_at DESC, seq DESC LIMIT \(bind: limit)
            """).all()
        return try rows.reversed().map { row in
            ChatMessageRecord(id: try row.uuid("id"), sessionID: try row.uuid("session_id"),
                              authorID: try row.uuid("author_id"), text: try row.string("text"),
                              createdAt: try row.date("created_at"))
        }
    }
}
