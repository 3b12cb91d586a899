import Foundation
import MeshSandbox
import MeshStore

/// Everything `mesh serve` can be told, from flags or environment variables.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 7420
    /// Where the SQLite database and the signing secret live.
    public var dataDirectory: String
    /// `postgres://…` to run on PostgreSQL; nil or empty for the embedded SQLite database (see
    /// ``storeBackend`` for every form).
    public var databaseURL: String?
    /// Origins allowed to open the WebSocket (browsers send one; editors usually do not).
    /// Empty means: refuse every request that carries an `Origin` header.
    public var allowedOrigins: [String] = []
    /// The certificate and key to serve HTTPS and `wss://` with, reloaded on SIGHUP; nil: plain HTTP.
    public var tls: TLSFiles?
    /// How long a graceful stop (SIGTERM, SIGINT) may take to finish requests in flight and
    /// commit what was acknowledged; then what is left is cancelled (a client that stopped
    /// reading a response would otherwise hold the server for ever).
    public var shutdownGrace: Duration = .seconds(20)
    public var limits = Limits()
    public var auth = AuthSettings()
    public var sandbox = SandboxSettings()

    public init(dataDirectory: String = ServerConfiguration.defaultDataDirectory()) {
        self.dataDirectory = dataDirectory
    }

    /// The database `databaseURL` names, decided once (``StoreBackend/init(databaseURL:dataDirectory:)``)
    /// for the store the server opens and for what `mesh serve` locks and logs.
    public var storeBackend: StoreBackend {
        StoreBackend(databaseURL: databaseURL, dataDirectory: dataDirectory)
    }

    /// The folder of the SQLite file that serves this node alone, which `mesh serve` locks against
    /// a second node; nil for PostgreSQL (several nodes share it) and an in-memory database.
    public var singleNodeDirectory: String? { storeBackend.sqliteDirectory }

    /// The database for logs (a PostgreSQL password hidden).
    public var databaseDescription: String { storeBackend.description }

    /// `$XDG_DATA_HOME/mesh`, else `~/.local/share/mesh`.
    public static func defaultDataDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/mesh" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.local/share/mesh"
    }

    /// Size and rate limits.
    public struct Limits: Sendable {
        public var maxFrameBytes = 1 << 20
        public var maxDocumentBytes = 8 << 20
        /// A session's documents together, checked on every op that grows one and on creation.
        public var maxSessionBytes = 64 << 20
        /// Sessions one user may own.
        public var maxSessionsPerUser = 100
        public var maxDocumentsPerSession = 10_000
        /// Chat messages kept per session: each new one deletes those past the newest this many.
        public var maxChatMessagesPerSession = 10_000
        /// Annotations of one document, replies included.
        public var maxAnnotationsPerDocument = 1_000
        /// Sustained messages per second per connection, and the burst allowed above it.
        public var messagesPerSecond = 500.0
        public var messageBurst = 2_000.0
        /// Messages, and bytes, queued for one connection before it counts as too slow and is
        /// disconnected (the bytes fit two snapshots of the largest document).
        public var sendQueueLimit = 8_192
        public var sendQueueBytes = 2 * (8 << 20) + (1 << 20)
        /// Bytes queued for all connections together before the next one to queue is cut off.
        public var serverSendQueueBytes = 1 << 30
        /// Collaboration WebSockets one user may have open at once.
        public var maxConnectionsPerUser = 32
        /// How long a new WebSocket may take to send `hello`.
        public var helloTimeout: Duration = .seconds(10)
        /// A new connection's first request (TLS handshake included) must come within
        /// `requestHeadTimeout`, a kept-alive connection's next one within
        /// `idleConnectionTimeout`; else the connection is closed.
        public var requestHeadTimeout: Duration = .seconds(30), idleConnectionTimeout: Duration = .seconds(75)
        /// How often the server pings each WebSocket; one that does not answer by the next ping is closed.
        public var pingInterval: Duration = .seconds(30)
        /// Operations kept in memory per document for transforming late operations.
        public var historyLimit = 1_024
        /// A snapshot is written every this many operations.
        public var snapshotInterval = 500
        /// Operations kept in the store behind the newest one; older ones are deleted once a
        /// snapshot covers them. Never fewer than `historyLimit` (see ``retainedOps``).
        public var opRetention = 10_000
        /// The server sends a document hash every this many operations.
        public var hashInterval = 100
        public var chatHistory = 50
        public init() {}

        /// `opRetention`, at least `historyLimit`: a reload must find the history it keeps.
        public var retainedOps: Int { max(opRetention, historyLimit) }
    }

    /// Token lifetimes and costs.
    /// The Docker sandbox for `mesh run` and `mesh dap`.
    public struct SandboxSettings: Sendable {
        /// Off: run and debug answer 503; the rest of the server does not need Docker.
        public var enabled = true
        public var dockerSocket = DockerClient.defaultSocket
        public var image = RuntimeImage.reference
        public var limits = SandboxLimits()
        public init() {}
    }

    public struct AuthSettings: Sendable {
        public var issuer = "mesh"
        public var audience = "mesh"
        public var accessTokenLifetime: TimeInterval = 15 * 60
        public var refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
        public var bcryptCost = 12
        /// Failed logins allowed per account and address within `throttleWindow` (10 times as
        /// many per account, 20 times per address); also password changes per account.
        public var maxFailedLogins = 5
        public var throttleWindow: TimeInterval = 15 * 60
        /// Accounts one address may create within `throttleWindow`.
        public var maxSignupsPerAddress = 10
        /// How long a browser's WebSocket ticket (`POST /v1/ws-ticket`) can be used.
        public var webSocketTicketLifetime: TimeInterval = 30
        /// Addresses of reverse proxies (a TLS terminator) whose `X-Forwarded-For` is believed.
        public var trustedProxies: Set<String> = []
        /// The HMAC secret; when nil it is read from (or generated into) the data directory.
        public var jwtSecret: [UInt8]?
        public init() {}
    }
}
