import Foundation
import MeshProtocol
import SQLKit

/// ``SessionRepository`` over SQL. Deleting a session cascades to its members, invites, documents
/// (and so their ops, snapshots and annotations) and chat.
struct SQLSessionRepository: SessionRepository {
    let db: any SQLDatabase

    func create(_ session: SessionRecord) async throws {
        _ = try await insert(session, maxOwned: nil)
    }

    func create(_ session: SessionRecord, maxOwned: Int) async throws -> Bool {
        try await insert(session, maxOwned: maxOwned)
    }

    func ownedCount(ownerID: UUID) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM sessions WHERE owner_id = \(bind: ownerID.sqlValue)")
            .first()?.int("n") ?? 0
    }

    /// The session and its owner's membership in one transaction, after counting the owner's
    /// sessions when `maxOwned` is set. SQLite's `BEGIN IMMEDIATE` already makes creations wait
    /// for each other; on PostgreSQL an advisory lock per owner does.
    private func insert(_ session: SessionRecord, maxOwned: Int?) async throws -> Bool {
        try await mappingConstraints(conflict: "session \(session.id) exists") {
            try await db.transaction { db in
                if let maxOwned {
                    if db.dialect.name == "postgresql" {
                        // Two int4 keys: a space apart from the migrations' one bigint key.
                        try await db.raw("""
                            SELECT pg_advisory_xact_lock(\(unsafeRaw: Self.ownerLockClass), hashtext(\(bind: session.ownerID.sqlValue)))
                            """).run()
                    }
                    let owned = try await db.raw("""
                        SELECT COUNT(*) AS n FROM sessions WHERE owner_id = \(bind: session.ownerID.sqlValue)
                        """).first()?.int("n") ?? 0
                    guard owned < maxOwned else { return false }
                }
                try await db.raw("""
                    INSERT INTO sessions (id, name, owner_id, created_at)
                    VALUES (\(bind: session.id.sqlValue), \(bind: session.name), \(bind: session.ownerID.sqlValue),
                            \(bind: session.createdAt.sqlValue))
                    """).run()
                try await db.raw("""
                    INSERT INTO members (session_id, user_id, role, joined_at)
                    VALUES (\(bind: session.id.sqlValue), \(bind: session.ownerID.sqlValue),
                            \(bind: Role.owner.rawValue), \(bind: session.createdAt.sqlValue))
                    """).run()
                return true
            }
        }
    }

    /// The first key of the advisory lock that serializes one owner's session creations ("sess").
    private static let ownerLockClass = "1936028531"

    func find(id: UUID) async throws -> SessionRecord? {
        try await db.raw("SELECT id, name, owner_id, created_at FROM sessions WHERE id = \(bind: id.sqlValue)")
            .first().map(Self.session)
    }

    func list(memberID: UUID) async throws -> [SessionRecord] {
        try await db.raw("""
            SELECT s.id, s.name, s.owner_id, s.created_at FROM sessions s
            JOIN members m ON m.session_id = s.id
            WHERE m.user_id = \(bind: memberID.sqlValue)
            ORDER BY s.created_at, s.id
            """).all().map(Self.session)
    }

    func rename(id: UUID, to name: String) async throws {
        let rows = try await db.raw("""
            UPDATE sessions SET name = \(bind: name) WHERE id = \(bind: id.sqlValue) RETURNING id
            """).all()
        if rows.isEmpty { throw StoreError.notFound("session \(id)") }
    }

    func delete(id: UUID) async throws {
        try await db.raw("DELETE FROM sessions WHERE id = \(bind: id.sqlValue)").run()
    }

    func members(sessionID: UUID) async throws -> [MemberRecord] {
        try await db.raw("""
            SELECT session_id, user_id, role, joined_at FROM members
            WHERE session_id = \(bind: sessionID.sqlValue) ORDER BY joined_at, user_id
            """).all().map(Self.member)
    }

    func member(sessionID: UUID, userID: UUID) async throws -> MemberRecord? {
        try await db.raw("""
            SELECT session_id, user_id, role, joined_at FROM members
            WHERE session_id = \(bind: sessionID.sqlValue) AND user_id = \(bind: userID.sqlValue)
            """).first().map(Self.member)
    }

    /// One upsert: a present member keeps the higher of its role and the new one (and its join date).
    func addMember(_ member: MemberRecord) async throws {
        try await mappingConstraints(conflict: "member exists", missing: "session \(member.sessionID)") {
            try await db.raw("""
                INSERT INTO members (session_id, user_id, role, joined_at)
                VALUES (\(bind: member.sessionID.sqlValue), \(bind: member.userID.sqlValue),
                        \(bind: member.role.rawValue), \(bind: member.joinedAt.sqlValue))
                ON CONFLICT (session_id, user_id) DO UPDATE SET role = CASE
                    WHEN \(unsafeRaw: Self.rank("excluded.role")) > \(unsafeRaw: Self.rank("members.role"))
                    THEN excluded.role ELSE members.role END
                """).run()
        }
    }

    func setRole(sessionID: UUID, userID: UUID, role: Role) async throws {
        let rows = try await db.raw("""
            UPDATE members SET role = \(bind: role.rawValue)
            WHERE session_id = \(bind: sessionID.sqlValue) AND user_id = \(bind: userID.sqlValue)
            RETURNING user_id
            """).all()
        if rows.isEmpty { throw StoreError.notFound("member \(userID) of session \(sessionID)") }
    }

    func removeMember(sessionID: UUID, userID: UUID, banned: Bool) async throws {
        try await db.transaction { db in
            try await db.raw("""
                DELETE FROM members WHERE session_id = \(bind: sessionID.sqlValue) AND user_id = \(bind: userID.sqlValue)
                """).run()
            guard banned else { return }
            try await db.raw("""
                INSERT INTO removed_members (session_id, user_id, removed_at)
                VALUES (\(bind: sessionID.sqlValue), \(bind: userID.sqlValue), \(bind: Date().sqlValue))
                ON CONFLICT (session_id, user_id) DO UPDATE SET removed_at = excluded.removed_at
                """).run()
        }
    }

    func removedAt(sessionID: UUID, userID: UUID) async throws -> Date? {
        try await db.raw("""
            SELECT removed_at FROM removed_members
            WHERE session_id = \(bind: sessionID.sqlValue) AND user_id = \(bind: userID.sqlValue)
            """).first().map { try $0.date("removed_at") }
    }

    /// An SQL expression ranking the role stored in `column` like `Role`'s order.
    private static func rank(_ column: String) -> String {
        "(CASE \(column) WHEN '\(Role.owner.rawValue)' THEN 2 WHEN '\(Role.editor.rawValue)' THEN 1 ELSE 0 END)"
    }

    static func session(_ row: any SQLRow) throws -> SessionRecord {
        SessionRecord(id: try row.uuid("id"), name: try row.string("name"), ownerID: try row.uuid("owner_id"),
                      createdAt: try row.date("created_at"))
    }

    static func member(_ row: any SQLRow) throws -> MemberRecord {
        MemberRecord(sessionID: try row.uuid("session_id"), userID: try row.uuid("user_id"),
                     role: try row.role("role"), joinedAt: try row.date("joined_at"))
    }
}
