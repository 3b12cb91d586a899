/// The SQLite schema, as migrations. UUIDs are TEXT, dates REAL seconds since 1970, booleans 0/1.
enum SQLiteSchema {
    static let migrations: [Migration] = [
        Migration(version: 1, name: "initial schema", statements: SchemaTables.initial(.sqlite, sessions: """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at REAL NOT NULL)
            """)),
        // Appending ops becomes one statement: the trigger advances the document in the same
        // (implicit) transaction as the insert, so a commit is one SQLite call, not four.
        Migration(version: 2, name: "ops advance their document", statements: [
            "ALTER TABLE ops ADD COLUMN document_size INTEGER",
            """
            CREATE TRIGGER ops_advance_document AFTER INSERT ON ops
            BEGIN
                UPDATE documents SET revision = MAX(revision, NEW.revision),
                    size = COALESCE(NEW.document_size, size), updated_at = NEW.created_at
                WHERE id = NEW.document_id;
            END
            """,
        ]),
        // A member the owner removed cannot come back with an invite made before the removal.
        Migration(version: 3, name: "removed members", statements: SchemaTables.removedMembers(.sqlite)),
        // Ops behind a snapshot are deleted (compacted); a stale writer cannot put one back: a
        // revision at or before `compacted_through` is refused like a taken one.
        Migration(version: 4, name: "op log compaction", statements: [
            "ALTER TABLE documents ADD COLUMN compacted_through INTEGER NOT NULL DEFAULT 0",
            """
            CREATE TRIGGER ops_refuse_compacted BEFORE INSERT ON ops
            WHEN NEW.revision <= (SELECT compacted_through FROM documents WHERE id = NEW.document_id)
            BEGIN
                SELECT RAISE(ABORT, '\(compactedRevisionError)');
            END
            """,
            "CREATE INDEX sessions_owner ON sessions (owner_id)",
        ]),
        // Browsers open /v1/ws with a single-use ticket (SQLWebSocketTicketRepository.swift).
        Migration(version: 5, name: "websocket tickets", statements: SchemaTables.webSocketTickets(.sqlite)),
    ]
}
