/// The PostgreSQL schema, as migrations: the SQLite schema with PostgreSQL types (UUIDs TEXT,
/// dates DOUBLE PRECISION seconds since 1970, integers BIGINT, booleans BOOLEAN). Paths use the "C"
/// collation, so documents list in the same (byte) order as on SQLite.
enum PostgresSchema {
    /// The LISTEN/NOTIFY channel the nodes of one database share (``Store/notify(_:)``).
    static let clusterChannel = "mesh_events"
    /// The most bytes of ops an append notification carries (the rest of its payload is under 100).
    static let maxOpsNotificationBytes = 7_700
    /// How long after its last heartbeat a node still counts as alive for the append
    /// notifications (the nodes take each other for dead after 6 s).
    static let aliveSeconds = 10

    static let migrations: [Migration] = [
        Migration(version: 1, name: "initial schema", statements: SchemaTables.initial(.postgres, sessions: """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL)
            """)),
        // Appending ops becomes one INSERT, for one document or many: a statement-level trigger
        // advances each document to its newest inserted op, in the same statement.
        Migration(version: 2, name: "ops advance their document", statements: [
            "ALTER TABLE ops ADD COLUMN document_size BIGINT",
            """
            CREATE FUNCTION ops_advance_document() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                \(Self.advanceDocuments)
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER ops_advance_document AFTER INSERT ON ops
            REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ops_advance_document()
            """,
        ]),
        // A member the owner removed cannot come back with an invite made before the removal.
        Migration(version: 3, name: "removed members", statements: SchemaTables.removedMembers(.postgres)),
        // Ops behind a snapshot are deleted (compacted); a stale writer cannot put one back: a
        // revision at or before `compacted_through` is refused as a unique violation, like a
        // taken one. The check runs in the statement trigger, after its UPDATE of the document:
        // that UPDATE waits for a compaction holding the document's row, so the check (a new
        // snapshot, READ COMMITTED) sees it. A row trigger's check, before the insert, could
        // miss a compaction committing meanwhile.
        Migration(version: 4, name: "op log compaction", statements: [
            "ALTER TABLE documents ADD COLUMN compacted_through BIGINT NOT NULL DEFAULT 0",
            """
            CREATE OR REPLACE FUNCTION ops_advance_document() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                \(Self.advanceDocuments)
                \(Self.refuseCompactedRevisions)
                RETURN NULL;
            END
            $$
            """,
            "CREATE INDEX sessions_owner ON sessions (owner_id)",
        ]),
        // Several nodes on one database (docs/architecture.md, "Several nodes"): every append
        // wakes the other nodes with one notification per document ("o <document> <revision>",
        // delivered at commit), and an op a client resent to a second node cannot be stored
        // twice: (document, author, opId) is unique, a violation like a taken revision.
        Migration(version: 5, name: "several nodes", statements: [
            """
            CREATE UNIQUE INDEX ops_author_op_id ON ops (document_id, author_id, op_id)
            WHERE op_id IS NOT NULL AND author_id IS NOT NULL
            """,
            """
            CREATE OR REPLACE FUNCTION ops_advance_document() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                \(Self.advanceDocuments)
                \(Self.refuseCompactedRevisions)
                PERFORM pg_notify('\(clusterChannel)', 'o ' || i.document_id || ' ' || i.revision)
                FROM (SELECT document_id, MAX(revision) AS revision FROM inserted GROUP BY document_id) AS i;
                RETURN NULL;
            END
            $$
            """,
        ]),
        // A debug session runs on one node; participants on other nodes reach it through frames
        // (Store+DebugRelay.swift).
        Migration(version: 6, name: "debug across nodes", statements: [
            """
            CREATE TABLE debug_owners (
                session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
                node TEXT NOT NULL, claimed_at DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE debug_frames (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, node TEXT NOT NULL,
                session_id TEXT NOT NULL, participant TEXT NOT NULL, sender TEXT NOT NULL,
                kind TEXT NOT NULL, payload TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
            """,
            "CREATE INDEX debug_frames_node ON debug_frames (node, seq)",
        ]),
        // The append notification names the node that wrote (its connections carry `mesh.node`,
        // PostgresBackend) and carries the ops when they fit:
        // `p <node> <document> [[revision, operation, opId, author, createdAt], …]`, else
        // `o <document> <revision> <node>`. A node skips its own and takes the others' ops
        // without a query (StoreNotifications.swift). It is sent only while another node is alive
        // (`cluster_nodes`, written by every node's heartbeat): a node alone pays no NOTIFY.
        Migration(version: 7, name: "ops in notifications, while other nodes are alive", statements: [
            "CREATE TABLE cluster_nodes (node TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL)",
            """
            CREATE OR REPLACE FUNCTION ops_advance_document() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                writer TEXT := COALESCE(NULLIF(current_setting('mesh.node', true), ''), '-');
            BEGIN
                \(Self.advanceDocuments)
                \(Self.refuseCompactedRevisions)
                IF NOT EXISTS (SELECT 1 FROM cluster_nodes AS c WHERE c.node <> writer
                               AND c.seen_at > extract(epoch FROM clock_timestamp()) - \(Self.aliveSeconds)) THEN
                    RETURN NULL;
                END IF;
                PERFORM pg_notify('\(clusterChannel)', CASE
                    WHEN octet_length(j.ops) <= \(Self.maxOpsNotificationBytes)
                        THEN 'p ' || writer || ' ' || j.document_id || ' ' || j.ops
                    ELSE 'o ' || j.document_id || ' ' || j.revision || ' ' || writer END)
                FROM (SELECT document_id, MAX(revision) AS revision,
                             json_agg(json_build_array(revision, operation::json, op_id, author_id, created_at)
                                      ORDER BY revision)::text AS ops
                      FROM inserted GROUP BY document_id) AS j;
                RETURN NULL;
            END
            $$
            """,
        ]),
        // Browsers open /v1/ws with a single-use ticket, which any node may redeem
        // (SQLWebSocketTicketRepository.swift). SQLite's version 5.
        Migration(version: 8, name: "websocket tickets", statements: SchemaTables.webSocketTickets(.postgres)),
    ]
}
