import Foundation
import Logging
import SQLKit
import SQLiteKit

/// One SQLite connection shared by every task. Each statement, and each session (so each
/// transaction), holds a lock for its duration: a transaction never interleaves with another task's
/// statements. SQLite serializes writers anyway, so one connection costs little.
struct SerializedSQLiteDatabase: SQLDatabase {
    let base: any SQLDatabase
    let lock: AsyncLock
    /// The connection under `base`, for statements that skip SQLKit (take `lock` first).
    let connection: SQLiteConnection
    /// Appends ops on the calling thread (take `lock` first); nil for an in-memory database.
    let appender: SQLiteDirectAppender?

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await lock.withLock { try await base.execute(sql: query, onRow) }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await lock.withLock { try await closure(base) }
    }
}

/// Opens SQLite databases for a ``Store``.
enum SQLiteBackend {
    /// Opens (creating it and its directory if needed) the database at `path`, or a private in-memory
    /// database when `path` is nil.
    static func open(path: String?, logger: Logger) async throws -> (SerializedSQLiteDatabase, close: @Sendable () async throws -> Void) {
        if let path {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreOpenError("cannot create the data directory \(directory): \(error.localizedDescription)")
            }
        }
        let location = path ?? ":memory:"
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: path.map { .file(path: $0) } ?? .memory, threadPool: .singleton,
                logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            throw StoreOpenError("cannot open the SQLite database \(location): \(error)")
        }
        let sql = connection.sql(queryLogLevel: .trace)
        var checkpointer: WALCheckpointer?
        do {
            // Wait up to 5 s for another process's lock instead of failing with SQLITE_BUSY.
            try await sql.exec("PRAGMA busy_timeout = 5000")
            try await sql.exec("PRAGMA foreign_keys = ON")
            // WAL with synchronous=NORMAL is durable against a crash of the process (a committed
            // transaction is in the WAL file, written before COMMIT returns); only an OS crash or power
            // loss may lose the last transactions, never corrupt the database.
            try await sql.exec("PRAGMA journal_mode = WAL")
            try await sql.exec("PRAGMA synchronous = NORMAL")
            if let path {
                // Checkpoints run beside the writer, never inside one of its commits.
                try await sql.exec("PRAGMA wal_autocheckpoint = 0")
                // A log rewound after a busy spell is cut back to 64 MB rather than kept at its peak.
                try await sql.exec("PRAGMA journal_size_limit = 67108864")
                checkpointer = try await WALCheckpointer.start(path: path, logger: logger)
            }
        } catch {
            try? await connection.close()
            throw StoreOpenError("cannot use the SQLite database \(location): \(error)")
        }
        var appender: SQLiteDirectAppender?
        if let path {
            do {
                appender = try SQLiteDirectAppender(path: path)
            } catch {
                await checkpointer?.stop()
                try? await connection.close()
                throw StoreOpenError("cannot use the SQLite database \(location): \(error)")
            }
        }
        let walCheckpointer = checkpointer
        let database = SerializedSQLiteDatabase(base: sql, lock: AsyncLock(), connection: connection, appender: appender)
        return (database, {
            await walCheckpointer?.stop()
            await database.lock.withLock { database.appender?.close() }
            try await connection.close()
        })
    }
}
