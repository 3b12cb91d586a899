/// The SQLite schema, as migrations. UUIDs are TEXT, dates REAL seconds since 1970, booleans 0/1.
enum SQLiteSchema {
    static let migrations: [Migration] = [
        Migration(version: 1, name: "initial schema", statements: [
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL, password_hash TEXT NOT NULL,
                email_verified INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL)
            """,
            """
            CREATE TABLE refresh_tokens (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, family_id TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE, expires_at REAL NOT NULL,
                used_at REAL, revoked_at REAL, created_at REAL NOT NULL)
            """,
            "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",
            "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
            """
            CREATE TABLE verification_tokens (
                token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, email TEXT NOT NULL,
                expires_at REAL NOT NULL, used_at REAL)
            """,
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at REAL NOT NULL)
            """,
            """
            CREATE TABLE members (
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                user_id TEXT NOT NULL, role TEXT NOT NULL, joined_at REAL NOT NULL,
                PRIMARY KEY (session_id, user_id))
            """,
            "CREATE INDEX members_user ON members (user_id)",
            """
            CREATE TABLE invites (
                code TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                role TEXT NOT NULL, created_by TEXT NOT NULL, expires_at REAL NOT NULL,
                max_uses INTEGER NOT NULL, uses INTEGER NOT NULL DEFAULT 0,
                revoked_at REAL, created_at REAL NOT NULL)
            """,
            "CREATE INDEX invites_session ON invites (session_id)",
            """
            CREATE TABLE documents (
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                path TEXT NOT NULL, revision INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL, updated_at REAL NOT NULL,
                UNIQUE (session_id, path))
            """,
            """
            CREATE TABLE ops (
                document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                revision INTEGER NOT NULL, operation TEXT NOT NULL, op_id TEXT, author_id TEXT,
                created_at REAL NOT NULL,
                PRIMARY KEY (document_id, revision))
            """,
            """
            CREATE TABLE snapshots (
                document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                revision INTEGER NOT NULL, text TEXT NOT NULL,
                PRIMARY KEY (document_id, revision))
            """,
            """
            CREATE TABLE chat_messages (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                author_id TEXT NOT NULL, text TEXT NOT NULL, created_at REAL NOT NULL)
            """,
            "CREATE INDEX chat_messages_session_time ON chat_messages (session_id, created_at)",
            """
            CREATE TABLE annotations (
                id TEXT PRIMARY KEY,
                document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                parent_id TEXT REFERENCES annotations (id) ON DELETE CASCADE,
                author_id TEXT NOT NULL, from_offset INTEGER NOT NULL, to_offset INTEGER NOT NULL,
                revision INTEGER NOT NULL, body TEXT NOT NULL, resolved INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL)
            """,
            "CREATE INDEX annotations_document ON annotations (document_id)",
            "CREATE INDEX annotations_parent ON annotations (parent_id)",
        ]),
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
        Migration(version: 3, name: "removed members", statements: [
            """
            CREATE TABLE removed_members (
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                user_id TEXT NOT NULL, removed_at REAL NOT NULL,
                PRIMARY KEY (session_id, user_id))
            """,
        ]),
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
        Migration(version: 5, name: "websocket tickets", statements: [
            """
            CREATE TABLE ws_tickets (
                ticket_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                expires_at REAL NOT NULL, created_at REAL NOT NULL)
            """,
            "CREATE INDEX ws_tickets_user ON ws_tickets (user_id, expires_at)",
            "CREATE INDEX ws_tickets_expiry ON ws_tickets (expires_at)",
        ]),
    ]
}
