import Foundation
import Logging
import MeshOT
import MeshProtocol
@preconcurrency import PostgresKit
import SQLKit

/// PostgreSQL's LISTEN/NOTIFY on the one channel the nodes of a database share: appends notify
/// from their trigger (``OpsNotice``, PostgresSchema migration 7), and nodes send
/// their own events with ``Store/notify(_:)``. A notification is delivered at commit, in commit
/// order, to the listeners connected then; nothing is kept for a listener that is not, so a
/// node catches up from the tables after ``Store/listen(onListening:onNotification:)`` returns
/// and starts again.
extension Store {
    /// The most bytes of one notification's payload (PostgreSQL refuses 8,000 and more).
    public static let maxNotificationBytes = 7_900

    /// Whether several nodes can share this store (PostgreSQL; SQLite serves one node).
    public var isShared: Bool { postgresURL != nil }

    /// Sends `payload` to every node listening, this one included, at once (autocommit).
    /// - Throws: on SQLite, or when the payload is over ``maxNotificationBytes``.
    public func notify(_ payload: String) async throws {
        guard isShared else { throw StoreOpenError("notifications need PostgreSQL") }
        guard payload.utf8.count <= Self.maxNotificationBytes else {
            throw StoreOpenError("a notification carries at most \(Self.maxNotificationBytes) bytes")
        }
        try await database.raw("SELECT pg_notify(\(bind: PostgresSchema.clusterChannel), \(bind: payload))").run()
    }

    /// Marks `node` alive now (`cluster_nodes`, in the database's clock): appends notify only
    /// while a node other than their writer was marked in the last 10 s. Rows of nodes silent
    /// for an hour are deleted.
    public func markAlive(node: UUID) async throws {
        try await database.raw("""
            INSERT INTO cluster_nodes (node, seen_at) VALUES (\(bind: node.uuidString), extract(epoch FROM clock_timestamp()))
            ON CONFLICT (node) DO UPDATE SET seen_at = excluded.seen_at
            """).run()
    }

    /// Deletes the rows of nodes not marked alive for an hour.
    public func forgetSilentNodes() async throws {
        try await database.raw("DELETE FROM cluster_nodes WHERE seen_at < extract(epoch FROM clock_timestamp()) - 3600").run()
    }

    /// Listens on a connection of its own, calling `onListening` once LISTEN is in place and then
    /// `onNotification` for each payload, in order, until the task is cancelled or the connection
    /// drops (then it throws). Catch up from the tables after `onListening`: what was notified
    /// before it is not delivered.
    public func listen(logger: Logger, onListening: @Sendable () async -> Void,
                       onNotification: @Sendable (String) async -> Void) async throws {
        guard let postgresURL else { throw StoreOpenError("notifications need PostgreSQL") }
        let configuration = try PostgresBackend.configuration(url: postgresURL)
        let connection = try await PostgresConnection.connect(
            configuration: configuration.coreConfiguration, id: 1, logger: logger)
        do {
            try await connection.listen(on: PostgresSchema.clusterChannel) { notifications in
                await onListening()
                for try await notification in notifications {
                    await onNotification(notification.payload)
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }
}

/// An append's notification, sent by the ops trigger at commit (PostgresSchema, migration 7):
/// the node whose connection wrote (``Store/node``), the document, its newest revision, and the
/// ops themselves when they fit in a notification (`p …`); else only the revision (`o …`).
public struct OpsNotice: Sendable, Hashable {
    /// The writer's ``Store/node``, or nil when the writer did not say (a tool, an older node).
    public var node: UUID?
    public var document: UUID
    public var revision: Int
    /// The ops committed, in revision order, or nil when they were too large to carry.
    public var ops: [OpRecord]?

    /// Whether `payload` is an append notification written by `node`, read without parsing the
    /// ops it carries (a node skips its own).
    public static func isWritten(_ payload: String, by node: UUID) -> Bool {
        payload.hasPrefix("p \(node.uuidString) ") || (payload.hasPrefix("o ") && payload.hasSuffix(" \(node.uuidString)"))
    }

    public init?(payload: String) {
        if payload.hasPrefix("o ") {
            // `o <document> <revision>[ <node>]` (migration 5 wrote no node).
            let parts = payload.split(separator: " ")
            guard parts.count == 3 || parts.count == 4, let document = UUID(uuidString: String(parts[1])),
                  let revision = Int(parts[2]), revision >= 0 else { return nil }
            self.document = document
            self.revision = revision
            node = parts.count == 4 ? UUID(uuidString: String(parts[3])) : nil
            ops = nil
            return
        }
        // `p <node> <document> [[revision, operation, opId, author, createdAt], …]`
        let parts = payload.split(separator: " ", maxSplits: 3)
        guard parts.count == 4, parts[0] == "p", let document = UUID(uuidString: String(parts[2])),
              let rows = (try? JSONValue.parse(Data(parts[3].utf8)))?.array, !rows.isEmpty else { return nil }
        var ops: [OpRecord] = []
        ops.reserveCapacity(rows.count)
        for row in rows {
            guard let fields = row.array, fields.count == 5, let revision = fields[0].int, revision > 0,
                  let operation = WireCodec.operation(fields[1]), let created = fields[4].double,
                  ops.last.map({ $0.revision + 1 == revision }) ?? true else { return nil }
            ops.append(OpRecord(documentID: document, revision: revision, operation: operation,
                                opId: fields[2].string, authorID: fields[3].string.flatMap(UUID.init(uuidString:)),
                                createdAt: Date(timeIntervalSince1970: created)))
        }
        node = UUID(uuidString: String(parts[1]))
        self.document = document
        revision = ops.last!.revision
        self.ops = ops
    }
}
