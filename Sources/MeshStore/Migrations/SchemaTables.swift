/// The tables SQLite and PostgreSQL create alike but for column types, written once for both
/// schemas (``SQLiteSchema``, ``PostgresSchema``). A migration that has run never runs again:
/// an edit here must leave every version's SQL byte for byte as it was.
enum SchemaTables {
    /// Migration 1's statements, in order. `sessions` is each schema's own (the two lay out
    /// its columns differently, and SQLite keeps a table's text as it was written).
    static func initial(_ d: SchemaDialect, sessions: String) -> [String] {
        [
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL, password_hash TEXT NOT NULL,
                email_verified \(d.falseFlag), created_at \(d.date) NOT NULL)
            """,
            """
            CREATE TABLE refresh_tokens (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, family_id TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE, expires_at \(d.date) NOT NULL,
                used_at \(d.date), revoked_at \(d.date), created_at \(d.date) NOT NULL)
            """,
            "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",
            "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
            """
            CREATE TABLE verification_tokens (
                token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, email TEXT NOT NULL,
                expires_at \(d.date) NOT NULL, used_at \(d.date))
            """,
            sessions,
            """
            CREATE TABLE members (
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                user_id TEXT NOT NULL, role TEXT NOT NULL, joined_at \(d.date) NOT NULL,
                PRIMARY KEY (session_id, user_id))
            """,
            "CREATE INDEX members_user ON members (user_id)",
            """
            CREATE TABLE invites (
                code TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                role TEXT NOT NULL, created_by TEXT NOT NULL, expires_at \(d.date) NOT NULL,
                max_uses \(d.integer) NOT NULL, uses \(d.integer) NOT NULL DEFAULT 0,
                revoked_at \(d.date), created_at \(d.date) NOT NULL)
            """,
            "CREATE INDEX invites_session ON invites (session_id)",
            """
            CREATE TABLE documents (
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                path \(d.path) NOT NULL, revision \(d.integer) NOT NULL DEFAULT 0, size \(d.integer) NOT NULL DEFAULT 0,
                created_at \(d.date) NOT NULL, updated_at \(d.date) NOT NULL,
                UNIQUE (session_id, path))
            """,
            """
            CREATE TABLE ops (
                document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                revision \(d.integer) NOT NULL, operation TEXT NOT NULL, op_id TEXT, author_id TEXT,
                created_at \(d.date) NOT NULL,
                PRIMARY KEY (document_id, revision))
            """,
            """
            CREATE TABLE snapshots (
                document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                revision \(d.integer) NOT NULL, text TEXT NOT NULL,
                PRIMARY KEY (document_id, revision))
            """,
            """
            CREATE TABLE chat_messages (
                seq \(d.sequenceKey), id TEXT NOT NULL UNIQUE,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                author_id TEXT NOT NULL, text TEXT NOT NULL, created_at \(d.date) NOT NULL)
            """,
            "CREATE INDEX chat_messages_session_time ON chat_messages (session_id, created_at)",
            """
            CREATE TABLE annotations (
                id TEXT PRIMARY KEY,
                document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                parent_id TEXT REFERENCES annotations (id) ON DELETE CASCADE,
                author_id TEXT NOT NULL, from_offset \(d.integer) NOT NULL, to_offset \(d.integer) NOT NULL,
                revision \(d.integer) NOT NULL, body TEXT NOT NULL, resolved \(d.falseFlag),
                created_at \(d.date) NOT NULL)
            """,
            "CREATE INDEX annotations_document ON annotations (document_id)",
            "CREATE INDEX annotations_parent ON annotations (parent_id)",
        ]
    }

    /// Migration 3's statement: `removed_members`.
    static func removedMembers(_ d: SchemaDialect) -> [String] {
        [
            """
            CREATE TABLE removed_members (
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                user_id TEXT NOT NULL, removed_at \(d.date) NOT NULL,
                PRIMARY KEY (session_id, user_id))
            """,
        ]
    }

    /// SQLite's migration 5 and PostgreSQL's 8: `ws_tickets`.
    static func webSocketTickets(_ d: SchemaDialect) -> [String] {
        [
            """
            CREATE TABLE ws_tickets (
                ticket_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL,
                session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                expires_at \(d.date) NOT NULL, created_at \(d.date) NOT NULL)
            """,
            "CREATE INDEX ws_tickets_user ON ws_tickets (user_id, expires_at)",
            "CREATE INDEX ws_tickets_expiry ON ws_tickets (expires_at)",
        ]
    }
}

/// The two dialects, and how each writes the columns the schemas differ in.
enum SchemaDialect {
    case sqlite, postgres

    /// Integers.
    var integer: String { self == .sqlite ? "INTEGER" : "BIGINT" }
    /// Dates, seconds since 1970.
    var date: String { self == .sqlite ? "REAL" : "DOUBLE PRECISION" }
    /// A boolean that starts false (its whole definition).
    var falseFlag: String { self == .sqlite ? "INTEGER NOT NULL DEFAULT 0" : "BOOLEAN NOT NULL DEFAULT FALSE" }
    /// `documents.path`.
    var path: String { self == .sqlite ? "TEXT" : "TEXT COLLATE \"C\"" }
    /// `chat_messages.seq`, the key numbering messages in the order they were stored.
    var sequenceKey: String {
        self == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    }
}
