import ArgumentParser
import Foundation
import Logging
import MeshProtocol
import MeshSandbox
import MeshServer

/// `mesh serve`: the central server, on embedded SQLite unless `--database-url` says otherwise.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Mesh server (embedded SQLite by default, PostgreSQL with --database-url).",
        discussion: """
            Plain HTTP unless --tls-cert and --tls-key are given: then HTTPS and wss:// on the same \
            port. SIGHUP re-reads both files (a certificate renewal) without dropping a connection: \
            the next connections get the new certificate; files that do not load leave the old one \
            in use and log an error. Clients that do not trust the issuing CA take --ca-file or \
            $MESH_CA_FILE.
            """)

    @Option(help: "Address to listen on (env MESH_HOST).")
    var host: String = environmentValue("MESH_HOST", or: "127.0.0.1")

    @Option(help: "Port to listen on; 0 picks a free one (env MESH_PORT).")
    var port: Int = environmentValue("MESH_PORT", or: 7420)

    @Option(help: "Folder for the SQLite database and the signing secret (env MESH_DATA_DIR).")
    var dataDir: String = environmentValue("MESH_DATA_DIR", or: ServerConfiguration.defaultDataDirectory())

    @Option(help: "postgres://user:password@host:port/database to use PostgreSQL; sqlite:PATH for an SQLite file elsewhere than the data folder (env MESH_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "PEM certificate chain to serve HTTPS and wss:// with, the server's certificate first; re-read on SIGHUP (env MESH_TLS_CERT).")
    var tlsCert: String?

    @Option(help: "Unencrypted PEM private key of --tls-cert; re-read on SIGHUP (env MESH_TLS_KEY).")
    var tlsKey: String?

    @Option(help: "Comma-separated Origins allowed to open the WebSocket (env MESH_ALLOWED_ORIGINS).")
    var allowedOrigins: String = environmentValue("MESH_ALLOWED_ORIGINS", or: "")

    @Option(help: "Largest WebSocket message in bytes, taken within 1 KiB to 1 GiB as clients take it (env MESH_MAX_FRAME_BYTES).")
    var maxFrameBytes: Int = environmentValue("MESH_MAX_FRAME_BYTES", or: 1 << 20)

    @Option(help: "Largest document in bytes (env MESH_MAX_DOCUMENT_BYTES).")
    var maxDocumentBytes: Int = environmentValue("MESH_MAX_DOCUMENT_BYTES", or: 8 << 20)

    @Option(help: "Largest total of a session's documents in bytes (env MESH_MAX_SESSION_BYTES).")
    var maxSessionBytes: Int = environmentValue("MESH_MAX_SESSION_BYTES", or: 64 << 20)

    @Option(help: "Sessions one user may own (env MESH_MAX_SESSIONS_PER_USER).")
    var maxSessionsPerUser: Int = environmentValue("MESH_MAX_SESSIONS_PER_USER", or: 100)

    @Option(help: "Documents one session may have (env MESH_MAX_DOCUMENTS_PER_SESSION).")
    var maxDocumentsPerSession: Int = environmentValue("MESH_MAX_DOCUMENTS_PER_SESSION", or: 10_000)

    @Option(help: "Chat messages kept per session; older ones are deleted (env MESH_MAX_CHAT_MESSAGES).")
    var maxChatMessages: Int = environmentValue("MESH_MAX_CHAT_MESSAGES", or: 10_000)

    @Option(help: "Annotations (replies included) one document may have (env MESH_MAX_ANNOTATIONS_PER_DOCUMENT).")
    var maxAnnotationsPerDocument: Int = environmentValue("MESH_MAX_ANNOTATIONS_PER_DOCUMENT", or: 1_000)

    @Option(help: "Operations kept behind a document's newest one; older ones are deleted once a snapshot covers them, at least 1024 (env MESH_OP_RETENTION).")
    var opRetention: Int = environmentValue("MESH_OP_RETENTION", or: 10_000)

    @Option(help: "Messages per second per connection (env MESH_RATE_LIMIT).")
    var rateLimit: Double = environmentValue("MESH_RATE_LIMIT", or: 500)

    @Option(help: "Lifetime of an access token in seconds; sockets re-authenticate before it ends (env MESH_ACCESS_TOKEN_SECONDS).")
    var accessTokenSeconds: Int = environmentValue("MESH_ACCESS_TOKEN_SECONDS", or: 900)

    @Option(help: "bcrypt cost (env MESH_BCRYPT_COST).")
    var bcryptCost: Int = environmentValue("MESH_BCRYPT_COST", or: 12)

    @Option(help: "Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client, for login throttling (env MESH_TRUSTED_PROXIES).")
    var trustedProxies: String = environmentValue("MESH_TRUSTED_PROXIES", or: "")

    @Option(help: "Accounts one client address may create per 15 minutes (env MESH_MAX_SIGNUPS_PER_ADDRESS).")
    var maxSignupsPerAddress: Int = environmentValue("MESH_MAX_SIGNUPS_PER_ADDRESS", or: 10)

    @Option(help: "dockerd's Unix socket (env MESH_DOCKER_SOCKET).")
    var dockerSocket: String = environmentValue("MESH_DOCKER_SOCKET", or: "/var/run/docker.sock")

    @Flag(help: "Disable the Docker sandbox (mesh run and mesh dap answer 503) (env MESH_SANDBOX=off).")
    var noSandbox = ProcessInfo.processInfo.environment["MESH_SANDBOX"] == "off"

    @Option(help: "Sandbox container memory limit in MiB (env MESH_SANDBOX_MEMORY_MB).")
    var sandboxMemoryMb: Int = environmentValue("MESH_SANDBOX_MEMORY_MB", or: 512)

    @Option(help: "Sandbox container process limit (env MESH_SANDBOX_PIDS).")
    var sandboxPids: Int = environmentValue("MESH_SANDBOX_PIDS", or: 128)

    @Option(help: "Sandbox CPUs per container (env MESH_SANDBOX_CPUS).")
    var sandboxCpus: Double = environmentValue("MESH_SANDBOX_CPUS", or: 1)

    @Option(help: "Seconds a `mesh run` program may run (env MESH_SANDBOX_RUN_SECONDS).")
    var sandboxRunSeconds: Double = environmentValue("MESH_SANDBOX_RUN_SECONDS", or: 60)

    @Option(help: "Program output a run or debug session may produce, in MiB, before it is stopped (env MESH_SANDBOX_OUTPUT_MB).")
    var sandboxOutputMb: Int = environmentValue("MESH_SANDBOX_OUTPUT_MB", or: 4)

    @Option(help: "Seconds a debug container may sit idle (env MESH_SANDBOX_IDLE_SECONDS).")
    var sandboxIdleSeconds: Double = environmentValue("MESH_SANDBOX_IDLE_SECONDS", or: 600)

    @Option(help: "Seconds any sandbox container may live (env MESH_SANDBOX_TOTAL_SECONDS).")
    var sandboxTotalSeconds: Double = environmentValue("MESH_SANDBOX_TOTAL_SECONDS", or: 1800)

    @Option(help: "Sandbox containers the server runs at once, runs and debug sessions together (env MESH_SANDBOX_MAX_CONTAINERS).")
    var sandboxMaxContainers: Int = environmentValue("MESH_SANDBOX_MAX_CONTAINERS", or: 32)

    @Option(help: "Sandbox containers one user runs at once (env MESH_SANDBOX_MAX_CONTAINERS_PER_USER).")
    var sandboxMaxContainersPerUser: Int = environmentValue("MESH_SANDBOX_MAX_CONTAINERS_PER_USER", or: 4)

    @Option(help: "What a session's Go build cache may hold in MiB beyond the image's warm cache; 0: no per-session cache, every build starts cold (env MESH_SANDBOX_CACHE_MB).")
    var sandboxCacheMb: Int = environmentValue("MESH_SANDBOX_CACHE_MB", or: 1024)

    @Option(help: "Sandbox seccomp filter: mesh (a short deny-list, fast under a debugger) or docker (Docker's default allow-list) (env MESH_SANDBOX_SECCOMP).")
    var sandboxSeccomp: String = environmentValue("MESH_SANDBOX_SECCOMP", or: "mesh")

    @Option(help: "Seconds a graceful stop (SIGTERM, SIGINT) may take to finish requests and commits; then the rest is cancelled (env MESH_SHUTDOWN_SECONDS).")
    var shutdownSeconds: Int = environmentValue("MESH_SHUTDOWN_SECONDS", or: 20)

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env LOG_LEVEL).")
    var logLevel: String = environmentValue("LOG_LEVEL", or: "info")

    func run() async throws {
        var log = Logger(label: "mesh.serve")
        log.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let logger = log
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard (4...31).contains(bcryptCost) else { throw ValidationError("--bcrypt-cost must be 4 to 31") }
        guard (5...86_400).contains(accessTokenSeconds) else { throw ValidationError("--access-token-seconds must be 5 to 86400") }
        guard let seccomp = SeccompProfile(rawValue: sandboxSeccomp) else {
            throw ValidationError("--sandbox-seccomp must be mesh or docker")
        }
        // The flags, else their variables (an empty TLS variable is unset).
        let environment = ProcessInfo.processInfo.environment
        let databaseURL = self.databaseURL ?? environment["MESH_DATABASE_URL"]
        let tlsCert = self.tlsCert ?? environment["MESH_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 }
        let tlsKey = self.tlsKey ?? environment["MESH_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let tls = try Self.tlsFiles(certificate: tlsCert, key: tlsKey)
        var configuration = ServerConfiguration(dataDirectory: dataDir)
        configuration.host = host
        configuration.port = port
        configuration.databaseURL = databaseURL
        configuration.tls = tls
        configuration.shutdownGrace = .seconds(max(1, shutdownSeconds))
        configuration.allowedOrigins = allowedOrigins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        configuration.limits.maxFrameBytes = ServerMessage.Welcome.messageLimit(maxFrameBytes: maxFrameBytes)
        configuration.limits.maxDocumentBytes = maxDocumentBytes
        configuration.limits.maxSessionBytes = maxSessionBytes
        configuration.limits.maxSessionsPerUser = max(1, maxSessionsPerUser)
        configuration.limits.maxDocumentsPerSession = max(1, maxDocumentsPerSession)
        configuration.limits.maxChatMessagesPerSession = max(1, maxChatMessages)
        configuration.limits.maxAnnotationsPerDocument = max(1, maxAnnotationsPerDocument)
        configuration.limits.opRetention = max(configuration.limits.historyLimit, opRetention)
        configuration.limits.messagesPerSecond = rateLimit
        configuration.limits.messageBurst = max(rateLimit * 4, 100)
        configuration.auth.bcryptCost = bcryptCost
        configuration.auth.maxSignupsPerAddress = max(1, maxSignupsPerAddress)
        configuration.auth.accessTokenLifetime = TimeInterval(accessTokenSeconds)
        configuration.auth.trustedProxies = Set(trustedProxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        configuration.sandbox.enabled = !noSandbox
        configuration.sandbox.dockerSocket = dockerSocket
        configuration.sandbox.limits.memoryBytes = max(16, sandboxMemoryMb) << 20
        configuration.sandbox.limits.pids = max(8, sandboxPids)
        configuration.sandbox.limits.cpus = max(0.1, sandboxCpus)
        configuration.sandbox.limits.runSeconds = max(1, sandboxRunSeconds)
        configuration.sandbox.limits.outputBytes = max(1, min(sandboxOutputMb, 1 << 20)) << 20
        configuration.sandbox.limits.idleSeconds = max(1, sandboxIdleSeconds)
        configuration.sandbox.limits.totalSeconds = max(1, sandboxTotalSeconds)
        configuration.sandbox.limits.seccomp = seccomp
        configuration.sandbox.limits.cacheBytes = max(0, min(sandboxCacheMb, 1 << 20)) << 20
        configuration.sandbox.limits.maxContainers = max(1, sandboxMaxContainers)
        configuration.sandbox.limits.maxContainersPerUser = max(1, sandboxMaxContainersPerUser)
        let backend = configuration.databaseDescription
        let scheme = tls == nil ? "http" : "https"
        // An SQLite file serves one node: a second `mesh serve` on its folder is refused. Which
        // database the URL names is the store's rule (an empty URL and `sqlite:PATH` are SQLite too).
        var lock: Int32?
        if let folder = configuration.singleNodeDirectory {
            do {
                lock = try DataDirectoryLock.acquire(folder)
            } catch {
                FileHandle.standardError.write(Data("mesh serve: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        defer { if let lock { close(lock) } }
        do {
            try await MeshServerRunner.run(configuration, logger: logger) { port in
                logger.notice("mesh serve listening", metadata: ["url": "\(scheme)://\(host):\(port)", "database": "\(backend)"])
                // A line scripts and tests can wait for (written unbuffered).
                FileHandle.standardOutput.write(Data("mesh serve: listening on \(scheme)://\(host):\(port)\n".utf8))
            }
        } catch let error as ServerStartError {
            FileHandle.standardError.write(Data("mesh serve: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension ServeCommand {
    /// Both TLS files or neither (plain HTTP); one alone is refused before anything starts.
    static func tlsFiles(certificate: String?, key: String?) throws -> TLSFiles? {
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case let (certificate?, key?):
            return TLSFiles(certificatePath: certificate, keyPath: key)
        case (_?, nil):
            throw ValidationError("--tls-cert needs --tls-key (env MESH_TLS_KEY): the private key of the certificate")
        case (nil, _?):
            throw ValidationError("--tls-key needs --tls-cert (env MESH_TLS_CERT): the certificate chain of the key")
        }
    }
}
