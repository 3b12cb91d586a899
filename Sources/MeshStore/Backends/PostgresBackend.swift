import Foundation
import Logging
@preconcurrency import PostgresKit
import SQLKit

/// The AsyncKit pool, whose state is guarded by its own lock.
// @unchecked: AsyncKit's `EventLoopGroupConnectionPool` is thread-safe but not marked `Sendable`.
final class PostgresPool: @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
    init(_ pool: EventLoopGroupConnectionPool<PostgresConnectionSource>) { self.pool = pool }
}

/// Opens PostgreSQL databases for a ``Store``.
enum PostgresBackend {
    /// Connections of the pool, spread over the event loops.
    static let maxConnections = 8

    /// Opens a pool on the database at `url` and checks the server answers (failing fast otherwise).
    ///
    /// Statements run on any pooled connection; the pool database's `withSession` leases one connection
    /// for the whole session, which is what transactions run in.
    /// Every pooled connection carries `mesh.node` = `node`, which the append trigger puts in its
    /// notification (``OpsNotice/node``).
    static func open(url: String, node: UUID, logger: Logger) async throws -> (any SQLDatabase, close: @Sendable () async throws -> Void) {
        var configuration = try self.configuration(url: url)
        configuration.coreConfiguration.options.additionalStartupParameters.append(("options", "-c mesh.node=\(node.uuidString)"))
        // One direct connection first: an unreachable or refusing server fails at once with its
        // own error, where the pool would wait out its request timeout.
        do {
            let probe = try await PostgresConnection.connect(
                configuration: configuration.coreConfiguration, id: 0, logger: logger)
            try? await probe.close()
        } catch {
            throw StoreOpenError("cannot connect to PostgreSQL at \(endpoint(url)): \(describe(error))")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let loops = Array(group.makeIterator()).count
        let pool = EventLoopGroupConnectionPool(
            source: PostgresConnectionSource(sqlConfiguration: configuration),
            maxConnectionsPerEventLoop: max(1, maxConnections / max(1, loops)),
            requestTimeout: .seconds(10), logger: logger, on: group)
        let box = PostgresPool(pool)
        let database = pool.database(logger: logger).sql(queryLogLevel: .trace)
        do {
            try await database.exec("SELECT 1")
        } catch {
            try? await pool.shutdownAsync()
            throw StoreOpenError("cannot connect to PostgreSQL at \(endpoint(url)): \(describe(error))")
        }
        return (database, { try await box.pool.shutdownAsync() })
    }

    /// Runs `body` on one new connection to `url`, outside any pool and without migrations
    /// (administration, such as creating and dropping test databases).
    static func withConnection(url: String, logger: Logger, _ body: (any SQLDatabase) async throws -> Void) async throws {
        let configuration = try self.configuration(url: url)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: configuration.coreConfiguration, id: 0, logger: logger)
        } catch {
            throw StoreOpenError("cannot connect to PostgreSQL at \(endpoint(url)): \(describe(error))")
        }
        do {
            try await body(connection.sql(queryLogLevel: .trace))
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func configuration(url: String) throws -> SQLPostgresConfiguration {
        var configuration: SQLPostgresConfiguration
        do {
            configuration = try SQLPostgresConfiguration(url: url)
        } catch {
            throw StoreOpenError("""
                malformed database URL \(StoreBackend.redacted(url)): expected \
                postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require], \
                sqlite:PATH or sqlite::memory:
                """)
        }
        configuration.coreConfiguration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// "host:port/database" of a PostgreSQL URL, for messages.
    static func endpoint(_ url: String) -> String {
        guard let components = URLComponents(string: url) else { return StoreBackend.redacted(url) }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return "\(components.host ?? "?"):\(components.port ?? SQLPostgresConfiguration.ianaPortNumber)/\(database)"
    }

    /// The useful part of a PostgresNIO error (its plain description is deliberately opaque).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return String(describing: underlying) }
        return "\(error.code)"
    }
}
