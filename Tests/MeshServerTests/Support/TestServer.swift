import AsyncHTTPClient
import Foundation
import Logging
import MeshServer
import MeshStore
import NIOCore
import ServiceLifecycle

/// A real `mesh serve` application on 127.0.0.1 and an ephemeral port, over a real database.
final class TestServer: Sendable {
    let baseURL: String
    let port: Int
    let store: Store
    let mesh: MeshApplication
    private let task: Task<Void, any Error>

    static func start(_ database: TestDatabase, mailer: (any Mailer)? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var logger = Logger(label: "mesh.test")
        logger.logLevel = ProcessInfo.processInfo.environment["MESH_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-srv-\(UUID().uuidString)").path
        var configuration = ServerConfiguration(dataDirectory: dataDir)
        configuration.port = 0
        configuration.auth.bcryptCost = 4
        configuration.auth.jwtSecret = Array("test-secret-with-at-least-64-bytes-so-hs384-and-hs512-can-be-made!!".utf8)
        configure(&configuration)
        let store = try await Store.open(try database.makeBackend(), logger: logger)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let mesh = try await buildApplication(configuration, store: store, logger: logger, mailer: mailer) { port in
            portContinuation.yield(port)
        }
        let app = mesh.application
        let task = Task {
            let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
            try await group.run()
        }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestSetupError("the server did not start") }
        return TestServer(port: port, store: store, mesh: mesh, task: task)
    }

    private init(port: Int, store: Store, mesh: MeshApplication, task: Task<Void, any Error>) {
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
        self.store = store
        self.mesh = mesh
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = await task.result
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
