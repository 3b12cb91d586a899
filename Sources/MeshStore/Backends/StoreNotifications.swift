import Foundation
import Logging
@preconcurrency import PostgresKit
import SQLKit

/// PostgreSQL's LISTEN/NOTIFY on the one channel the nodes of a database share: appends notify
/// `o <document> <revision>` from their trigger (PostgresSchema, migration 5), and nodes send
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
