import Foundation
import Logging
import SQLKit
import Synchronization

/// The persistence of a Mesh server: every repository over one SQL database, SQLite or PostgreSQL.
///
/// The repositories are one implementation over SQLKit shared by both backends, which differ only in
/// their connections and their DDL. Every repository is safe to call from many tasks at once.
public final class Store: Sendable {
    public let users: any UserRepository
    public let refreshTokens: any RefreshTokenRepository
    public let verificationTokens: any VerificationTokenRepository
    public let webSocketTickets: any WebSocketTicketRepository
    public let sessions: any SessionRepository
    public let invites: any InviteRepository
    public let documents: any DocumentRepository
    public let chat: any ChatRepository
    public let annotations: any AnnotationRepository
    /// "sqlite" or "postgres".
    public let backendName: String
    /// The PostgreSQL database several nodes share (nil on SQLite, which serves one node).
    let postgresURL: String?
    /// This process's name among the nodes of a shared database: its connections carry it, so
    /// that the append notifications name the node that wrote (``OpsNotice/node``).
    public let node: UUID

    let database: any SQLDatabase
    private let close: @Sendable () async throws -> Void
    /// Set by the first ``shutdown()``.
    private let closed = Atomic<Bool>(false)

    init(database: any SQLDatabase, opRows: (any OpRowWriter)? = nil, backendName: String, postgresURL: String? = nil,
         node: UUID = UUID(), close: @escaping @Sendable () async throws -> Void) {
        self.database = database
        self.node = node
        self.backendName = backendName
        self.postgresURL = postgresURL
        self.close = close
        users = SQLUserRepository(db: database)
        refreshTokens = SQLRefreshTokenRepository(db: database)
        verificationTokens = SQLVerificationTokenRepository(db: database)
        webSocketTickets = SQLWebSocketTicketRepository(db: database)
        sessions = SQLSessionRepository(db: database)
        invites = SQLInviteRepository(db: database)
        documents = SQLDocumentRepository(db: database, opRows: opRows ?? SQLKitOpRowWriter(db: database))
        chat = SQLChatRepository(db: database)
        annotations = SQLAnnotationRepository(db: database)
    }

    /// Connects to `backend` and brings its schema up to date.
    /// - Throws: ``StoreOpenError`` when the database cannot be opened, reached or migrated.
    public static func open(_ backend: StoreBackend, logger: Logger) async throws -> Store {
        let database: any SQLDatabase
        var opRows: (any OpRowWriter)?
        let migrations: [Migration]
        let close: @Sendable () async throws -> Void
        let node = UUID()
        switch backend {
        case .sqlite, .sqliteInMemory:
            let path: String? = if case let .sqlite(path) = backend { path } else { nil }
            let sqlite: SerializedSQLiteDatabase
            (sqlite, close) = try await SQLiteBackend.open(path: path, logger: logger)
            database = sqlite
            opRows = SQLiteOpRowWriter(database: sqlite)
            migrations = SQLiteSchema.migrations
        case let .postgres(url):
            (database, close) = try await PostgresBackend.open(url: url, node: node, logger: logger)
            migrations = PostgresSchema.migrations
        }
        do {
            try await Migrator(database: database, migrations: migrations, logger: logger).run()
        } catch {
            try? await close()
            if let error = error as? StoreOpenError { throw error }
            throw StoreOpenError("cannot migrate the database \(backend): \(PostgresBackend.describe(error))")
        }
        logger.info("store open", metadata: ["backend": "\(backend)"])
        let postgresURL: String? = if case let .postgres(url) = backend { url } else { nil }
        return Store(database: database, opRows: opRows, backendName: backend.name, postgresURL: postgresURL, node: node, close: close)
    }

    /// Checks the database answers (`SELECT 1`), for health checks.
    public func ping() async throws {
        try await database.exec("SELECT 1")
    }

    /// Opens the store, runs `body` on it and shuts it down, also when `body` throws.
    public static func withOpen<R>(_ backend: StoreBackend, logger: Logger, _ body: (Store) async throws -> R) async throws -> R {
        let store = try await open(backend, logger: logger)
        let result: R
        do {
            result = try await body(store)
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
        return result
    }

    /// Closes the connections; the repositories fail afterwards. Calling it again does nothing.
    public func shutdown() async throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await close()
    }
}
