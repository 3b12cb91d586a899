import AsyncHTTPClient
import Foundation
import Logging
import MeshServer
import MeshStore
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Testing

/// A real `mesh serve` application on 127.0.0.1 and an ephemeral port, over a real database.
final class TestServer: Sendable {
    let baseURL: String
    let port: Int
    let store: Store
    let mesh: MeshApplication
    private let task: Task<Void, any Error>

    static func start(_ database: TestDatabase, mailer: (any Mailer)? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        try await start(backend: try await database.makeBackend(), mailer: mailer, configure: configure)
    }

    /// A server on an existing database: started again on the backend of a stopped one, it is
    /// that server restarted (tokens stay valid: the signing secret is fixed).
    static func start(backend: StoreBackend, mailer: (any Mailer)? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var logger = Logger(label: "mesh.test")
        logger.logLevel = ProcessInfo.processInfo.environment["MESH_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-srv-\(UUID().uuidString)").path
        var configuration = ServerConfiguration(dataDirectory: dataDir)
        configuration.port = 0
        configuration.auth.bcryptCost = 4
        configuration.auth.maxSignupsPerAddress = 10_000   // every test user signs up from 127.0.0.1
        configuration.auth.jwtSecret = Array("test-secret-with-at-least-64-bytes-so-hs384-and-hs512-can-be-made!!".utf8)
        // The server suites never run code: no Docker calls (Tests/MeshCLITests covers the sandbox).
        configuration.sandbox.enabled = false
        configure(&configuration)
        let store = try await Store.open(backend, logger: logger)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let mesh = try await buildApplication(configuration, store: store, logger: logger, mailer: mailer) { port in
            portContinuation.yield(port)
        }
        let app = mesh.application
        let task = Task {
            // However the server ends, the wait for its port below ends too.
            defer { portContinuation.finish() }
            let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
            try await group.run()
        }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try? await store.shutdown()
            throw TestSetupError("the server did not start: \(String(describing: await task.result))")
        }
        return TestServer(port: port, store: store, mesh: mesh, task: task)
    }

    private init(port: Int, store: Store, mesh: MeshApplication, task: Task<Void, any Error>) {
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
        self.store = store
        self.mesh = mesh
        self.task = task
    }

    /// Stops the server; a server that does not stop within 60 s is a failure, not a hang.
    /// (Servers of parallel suites share the process's event loops: one busy with a
    /// BackpressureTests' multi-megabyte document was seen to hold another's stop past 20 s.)
    func stop() async {
        task.cancel()
        let task = self.task
        let stopped = await completes(within: .seconds(60)) { _ = await task.result }
        if !stopped { Issue.record("the test server did not stop within 60 s of cancellation") }
        try? await store.shutdown()
    }
}

/// Runs `body` against a fresh server, always stopping it.
func withServer<T>(_ database: TestDatabase, mailer: (any Mailer)? = nil,
                   configure: (inout ServerConfiguration) -> Void = { _ in },
                   _ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start(database, mailer: mailer, configure: configure)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// True when `body` finishes within `limit`. Unlike a task group, this does not wait for a body
/// that ignores cancellation: the body is left running and the caller moves on.
func completes(within limit: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
    let once = NIOLockedValueBox<CheckedContinuation<Bool, Never>?>(nil)
    return await withCheckedContinuation { continuation in
        once.withLockedValue { $0 = continuation }
        let resume: @Sendable (Bool) -> Void = { value in
            once.withLockedValue { stored in
                stored?.resume(returning: value)
                stored = nil
            }
        }
        let work = Task { await body(); resume(true) }
        Task { try? await Task.sleep(for: limit); resume(false); _ = work }
    }
}
