import AsyncHTTPClient
import Foundation
import Logging
import MeshClient
import MeshServer
import MeshStore
import NIOCore
import ServiceLifecycle

/// Which database the in-process server runs on.
enum BenchDatabase: String, CaseIterable {
    /// A fresh SQLite file in a temporary directory (WAL, synchronous=NORMAL, as `mesh serve`).
    case sqlite
    /// A fresh database created in the PostgreSQL cluster at `--postgres-url`.
    case postgres
    /// SQLite in memory: the same server without file I/O, to see what the database costs.
    case memory
}

/// A real Mesh server (`buildApplication`, as `mesh serve`) on 127.0.0.1 and an ephemeral port.
struct BenchServer: Sendable {
    let port: Int
    let store: Store
    let configuration: ServerConfiguration
    let databaseDescription: String
    private let task: Task<Void, any Error>
    private let dataDirectory: String
    private let dropDatabase: (@Sendable () -> Void)?

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The limits every scenario raises, printed with the results.
    static func configure(_ configuration: inout ServerConfiguration) {
        // The latency and stream scenarios send thousands of messages per second on one
        // connection: the default 500/s (burst 2,000) would close it as rate limited.
        configuration.limits.messagesPerSecond = 1_000_000
        configuration.limits.messageBurst = 1_000_000
        // Signing up 200 users at the default bcrypt cost 12 takes minutes; irrelevant here.
        configuration.auth.bcryptCost = 4
        // Every benchmark user signs up from 127.0.0.1.
        configuration.auth.maxSignupsPerAddress = 100_000
        configuration.auth.jwtSecret = Array("mesh-relay-bench-secret-with-at-least-64-bytes-for-hs512-signing!".utf8)
    }

    static func start(_ database: BenchDatabase, postgresURL: String?, logLevel: Logger.Level) async throws -> BenchServer {
        var logger = Logger(label: "mesh.relay-bench")
        logger.logLevel = logLevel
        let dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mesh-relay-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var configuration = ServerConfiguration(dataDirectory: dataDirectory)
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)

        let backend: StoreBackend
        var description: String
        var drop: (@Sendable () -> Void)?
        switch database {
        case .sqlite:
            let path = dataDirectory + "/mesh.sqlite"
            backend = .sqlite(path: path)
            description = "SQLite file \(path) (WAL, synchronous=NORMAL)"
        case .memory:
            backend = .sqliteInMemory
            description = "SQLite in memory"
        case .postgres:
            guard let admin = postgresURL, !admin.isEmpty, var components = URLComponents(string: admin) else {
                throw BenchError("--database postgres needs --postgres-url URL (scripts/postgres-test-cluster.sh prints one)")
            }
            let name = "mesh_relay_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
            try runTool("psql", [admin, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"])
            components.path = "/" + name
            backend = .postgres(url: components.string!)
            description = "PostgreSQL database \(name) at \(components.host ?? "?"):\(components.port ?? 5432)"
            drop = { try? runTool("psql", [admin, "-qc", "DROP DATABASE IF EXISTS \(name)"]) }
        }
        let store = try await Store.open(backend, logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let mesh = try await buildApplication(configuration, store: store, logger: logger) { port in
            portContinuation.yield(port)
        }
        let app = mesh.application
        let task = Task {
            let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchError("the server did not start") }
        return BenchServer(port: port, store: store, configuration: configuration, databaseDescription: description,
                           task: task, dataDirectory: dataDirectory, dropDatabase: drop)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        try? await store.shutdown()
        dropDatabase?()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// What the run changed from the defaults, for the output.
    var limitsDescription: String {
        let l = configuration.limits
        return "server limits: rate limit raised to \(Int(l.messagesPerSecond)) msg/s (burst \(Int(l.messageBurst))); "
            + "send queue \(l.sendQueueLimit) messages; history \(l.historyLimit); snapshot every \(l.snapshotInterval) ops; "
            + "hash every \(l.hashInterval) ops; bcrypt cost \(configuration.auth.bcryptCost)"
    }

    // MARK: HTTP setup

    func signup(_ name: String) async throws -> BenchUser {
        try await BenchUser.signup(name, at: baseURL)
    }

    /// The server's text of a document (GET /v1/sessions/:id/documents/:doc).
    func documentText(_ user: BenchUser, session: UUID, document: UUID) async throws -> (revision: Int, text: String) {
        let content = try await user.api.document(session: session, id: document)
        return (content.revision, content.text)
    }

    /// The server's own commit figures (`/metrics`): database time per batch, ops per batch.
    func commitFigures() async throws -> CommitFigures {
        let response = try await MeshAPIClient.sharedHTTPClient.execute(HTTPClientRequest(url: baseURL + "/metrics"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return CommitFigures(prometheus: String(buffer: body))
    }
}

/// Sums from the server's Prometheus histograms, to see what dominates an op's trip.
struct CommitFigures {
    var opsCommitted = 0.0
    var batches = 0.0
    var databaseSeconds = 0.0
    var databaseCount = 0.0
    var commitSeconds = 0.0
    var commitCount = 0.0

    init() {}

    init(prometheus text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[parts.count - 1]) else { continue }
            switch parts[0] {
            case "mesh_ops_committed_total": opsCommitted = value
            case "mesh_commit_batches_total": batches = value
            case "mesh_db_query_seconds_sum": databaseSeconds = value
            case "mesh_db_query_seconds_count": databaseCount = value
            case "mesh_op_commit_seconds_sum": commitSeconds = value
            case "mesh_op_commit_seconds_count": commitCount = value
            default: break
            }
        }
    }

    /// What happened between two readings.
    static func - (a: CommitFigures, b: CommitFigures) -> CommitFigures {
        var d = CommitFigures()
        d.opsCommitted = a.opsCommitted - b.opsCommitted
        d.batches = a.batches - b.batches
        d.databaseSeconds = a.databaseSeconds - b.databaseSeconds
        d.databaseCount = a.databaseCount - b.databaseCount
        d.commitSeconds = a.commitSeconds - b.commitSeconds
        d.commitCount = a.commitCount - b.commitCount
        return d
    }

    var summary: String {
        let perBatch = databaseCount > 0 ? databaseSeconds / databaseCount * 1e3 : 0
        let commit = commitCount > 0 ? commitSeconds / commitCount * 1e3 : 0
        let opsPerBatch = batches > 0 ? opsCommitted / batches : 0
        return String(format: "server: %.0f ops committed in %.0f transactions (%.2f ops each); database %.3f ms per transaction (mean), op arrival→commit %.3f ms (mean)",
                      opsCommitted, batches, opsPerBatch, perBatch, commit)
    }
}

func runTool(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        throw BenchError("\(tool) failed: \(message)")
    }
}
