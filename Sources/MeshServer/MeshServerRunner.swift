import Foundation
import Hummingbird
import Logging
import MeshStore
import ServiceLifecycle

/// What `mesh serve` runs: opens the store (running migrations), builds the application and
/// serves until SIGTERM or SIGINT, then shuts down gracefully.
public enum MeshServerRunner {
    public static func run(_ configuration: ServerConfiguration, logger: Logger,
                           onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let store: Store
        do {
            store = try await Store.open(configuration.storeBackend, logger: logger)
        } catch {
            throw ServerStartError("cannot open the database: \(error)")
        }
        let mesh: MeshApplication
        do {
            mesh = try await buildApplication(configuration, store: store, logger: logger, onServerRunning: onServerRunning)
        } catch {
            try? await store.shutdown()
            throw error
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: mesh.application)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGrace
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            try? await store.shutdown()
            throw ServerStartError("the server stopped: \(error) (is \(configuration.host):\(configuration.port) free?)")
        }
        try await store.shutdown()
    }
}
