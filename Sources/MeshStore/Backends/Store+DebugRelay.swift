import Foundation
import SQLKit

/// A debug session runs on one node, which owns its container (``claimDebugSession``); a
/// participant connected to another node reaches it through frames in `debug_frames`, addressed
/// to a node and consumed by it (``takeDebugFrames(for:)``), each insert waking that node with
/// `d <node>` on the cluster channel. PostgreSQL only (several nodes); nothing else carries them.
extension Store {
    /// One message between a participant's node and the debug session's node.
    public struct DebugFrame: Sendable, Hashable {
        public var session: UUID
        /// The participant's connection id.
        public var participant: UUID
        /// The node that sent it.
        public var from: UUID
        /// `join`, `dap`, `role`, `refuse`, `leave` (to the owner) or `dap`, `end` (to the
        /// participant's node); MeshServer's `DebugRelayMessage` reads and writes them.
        public var kind: String
        public var payload: String
        public init(session: UUID, participant: UUID, from: UUID, kind: String, payload: String) {
            self.session = session; self.participant = participant; self.from = from; self.kind = kind; self.payload = payload
        }
    }

    /// Makes `node` the owner of `session`'s debug session unless another node owns it and
    /// renewed its claim less than `lease` seconds ago (database time, so the nodes' clocks do
    /// not matter); returns the owner.
    public func claimDebugSession(_ session: UUID, node: UUID, lease: Double) async throws -> UUID {
        let claimed = try await database.raw("""
            INSERT INTO debug_owners (session_id, node, claimed_at)
            VALUES (\(bind: session.uuidString), \(bind: node.uuidString), EXTRACT(EPOCH FROM clock_timestamp()))
            ON CONFLICT (session_id) DO UPDATE SET node = excluded.node, claimed_at = excluded.claimed_at
            WHERE debug_owners.node = excluded.node OR debug_owners.claimed_at < excluded.claimed_at - \(bind: lease)
            RETURNING node
            """).first()
        var row = claimed
        if row == nil {
            row = try await database.raw("SELECT node FROM debug_owners WHERE session_id = \(bind: session.uuidString)").first()
        }
        guard let text = try row?.decode(column: "node", as: String.self), let owner = UUID(uuidString: text) else {
            throw StoreError.notFound("debug owner of \(session)")
        }
        return owner
    }

    /// Takes `session`'s debug session from `dead` (a node taken for dead) for `node`; returns
    /// the owner afterwards.
    public func takeDebugSession(_ session: UUID, from dead: UUID, for node: UUID) async throws -> UUID {
        try await database.raw("""
            UPDATE debug_owners SET node = \(bind: node.uuidString), claimed_at = EXTRACT(EPOCH FROM clock_timestamp())
            WHERE session_id = \(bind: session.uuidString) AND node = \(bind: dead.uuidString)
            """).run()
        return try await claimDebugSession(session, node: node, lease: 1e12)
    }

    /// Renews `node`'s claims on the debug sessions it runs (every heartbeat).
    public func renewDebugClaims(node: UUID) async throws {
        try await database.raw("""
            UPDATE debug_owners SET claimed_at = EXTRACT(EPOCH FROM clock_timestamp()) WHERE node = \(bind: node.uuidString)
            """).run()
    }

    /// `node` no longer runs `session`'s debug session.
    public func releaseDebugSession(_ session: UUID, node: UUID) async throws {
        try await database.raw("""
            DELETE FROM debug_owners WHERE session_id = \(bind: session.uuidString) AND node = \(bind: node.uuidString)
            """).run()
    }

    /// Queues `frame` for `node` and wakes it (one statement, so one commit).
    public func sendDebugFrame(_ frame: DebugFrame, to node: UUID) async throws {
        try await database.raw("""
            WITH queued AS (
                INSERT INTO debug_frames (node, session_id, participant, sender, kind, payload, created_at)
                VALUES (\(bind: node.uuidString), \(bind: frame.session.uuidString), \(bind: frame.participant.uuidString),
                        \(bind: frame.from.uuidString), \(bind: frame.kind), \(bind: frame.payload), \(bind: Date().timeIntervalSince1970))
                RETURNING node)
            SELECT pg_notify(\(bind: PostgresSchema.clusterChannel), 'd ' || node) FROM queued
            """).run()
    }

    /// Takes (deletes and returns, oldest first) the frames queued for `node`.
    public func takeDebugFrames(for node: UUID) async throws -> [DebugFrame] {
        let rows = try await database.raw("""
            DELETE FROM debug_frames WHERE node = \(bind: node.uuidString)
            RETURNING seq, session_id, participant, sender, kind, payload
            """).all()
        var frames: [(Int, DebugFrame)] = []
        for row in rows {
            guard let session = UUID(uuidString: try row.decode(column: "session_id", as: String.self)),
                  let participant = UUID(uuidString: try row.decode(column: "participant", as: String.self)),
                  let from = UUID(uuidString: try row.decode(column: "sender", as: String.self)) else { continue }
            frames.append((try row.decode(column: "seq", as: Int.self), DebugFrame(
                session: session, participant: participant, from: from,
                kind: try row.decode(column: "kind", as: String.self), payload: try row.decode(column: "payload", as: String.self))))
        }
        return frames.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Drops what was queued for a node that is gone.
    public func dropDebugFrames(for node: UUID) async throws {
        try await database.raw("DELETE FROM debug_frames WHERE node = \(bind: node.uuidString)").run()
    }
}
