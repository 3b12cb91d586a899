import Foundation
import SQLKit

/// ``WebSocketTicketRepository`` over SQL. `consume` is one `DELETE … RETURNING`, so two nodes
/// (or two sockets) presenting the same ticket at once cannot both get it.
struct SQLWebSocketTicketRepository: WebSocketTicketRepository {
    let db: any SQLDatabase

    /// In one transaction: expired tickets go, the user's live ones are counted, the new one is
    /// stored. On PostgreSQL two parallel requests may both pass the count (READ COMMITTED): the
    /// limit bounds a user's tickets to about `maxOutstanding`, which is all it is for.
    func insert(_ ticket: WebSocketTicketRecord, maxOutstanding: Int, now: Date) async throws -> Bool {
        try await mappingConstraints(conflict: "ticket already exists", missing: "session \(ticket.sessionID)") {
            try await db.transaction { db in
                try await db.raw("DELETE FROM ws_tickets WHERE expires_at <= \(bind: now.sqlValue)").run()
                let outstanding = try await db.raw("""
                    SELECT COUNT(*) AS n FROM ws_tickets WHERE user_id = \(bind: ticket.userID.sqlValue)
                    """).first()?.int("n") ?? 0
                guard outstanding < maxOutstanding else { return false }
                try await db.raw("""
                    INSERT INTO ws_tickets (ticket_hash, user_id, session_id, expires_at, created_at)
                    VALUES (\(bind: ticket.ticketHash), \(bind: ticket.userID.sqlValue), \(bind: ticket.sessionID.sqlValue),
                            \(bind: ticket.expiresAt.sqlValue), \(bind: ticket.createdAt.sqlValue))
                    """).run()
                return true
            }
        }
    }

    func consume(hash: String, at now: Date) async throws -> WebSocketTicketRecord? {
        let record = try await db.raw("""
            DELETE FROM ws_tickets WHERE ticket_hash = \(bind: hash)
            RETURNING ticket_hash, user_id, session_id, expires_at, created_at
            """).first().map { row in
                WebSocketTicketRecord(ticketHash: try row.string("ticket_hash"), userID: try row.uuid("user_id"),
                                      sessionID: try row.uuid("session_id"), expiresAt: try row.date("expires_at"),
                                      createdAt: try row.date("created_at"))
            }
        guard let record, record.expiresAt > now else { return nil }
        return record
    }

    func deleteAll(userID: UUID) async throws {
        try await db.raw("DELETE FROM ws_tickets WHERE user_id = \(bind: userID.sqlValue)").run()
    }
}
