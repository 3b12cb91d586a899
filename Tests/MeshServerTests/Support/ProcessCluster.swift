import Foundation
import MeshLoopbackBalancer
import MeshStore
import MeshTestSupport

extension LoopbackBalancer: ServerEndpoint {
    var baseURL: String { "http://127.0.0.1:\(port)" }
}

/// `mesh serve` processes (the built binary) on one fresh PostgreSQL database, all with one
/// signing secret (the same `jwt-secret` written into each node's data directory), behind a
/// ``LoopbackBalancer``: nodes can be killed, stopped and started again like real servers, and
/// clients that reconnect through the balancer land on whichever node the rotation gives.
actor ProcessCluster {
    let databaseURL: String
    let balancer: LoopbackBalancer
    private var nodes: [MeshServerProcess?]
    private let dataDirectories: [String]

    /// What every node runs with besides MeshServerProcess's own arguments: no Docker, and room
    /// for every test user signing up from 127.0.0.1.
    static let nodeArguments = ["--no-sandbox", "--max-signups-per-address", "10000"]

    private init(databaseURL: String, balancer: LoopbackBalancer, nodes: [MeshServerProcess], dataDirectories: [String]) {
        self.databaseURL = databaseURL
        self.balancer = balancer
        self.nodes = nodes
        self.dataDirectories = dataDirectories
    }

    /// Starts `count` nodes on a fresh PostgreSQL database (a missing `MESH_TEST_POSTGRES_URL`
    /// fails, as everywhere) and waits until each hears the others.
    static func start(_ count: Int) async throws -> ProcessCluster {
        guard case let .postgres(url) = try await TestDatabase.postgres.makeBackend() else {
            throw TestSetupError("expected a PostgreSQL database")
        }
        let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) })
        var directories: [String] = []
        for _ in 0..<count {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-node-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: directory + "/jwt-secret", contents: secret,
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw TestSetupError("cannot write \(directory)/jwt-secret")
            }
            directories.append(directory)
        }
        var nodes: [MeshServerProcess] = []
        do {
            for directory in directories {
                nodes.append(try await MeshServerProcess.start(dataDirectory: URL(fileURLWithPath: directory), databaseURL: url, extraArguments: nodeArguments))
            }
        } catch {
            for node in nodes { await node.stopped() }
            throw error
        }
        let balancer = try await LoopbackBalancer.start(backends: nodes.map { "127.0.0.1:\($0.port)" })
        let cluster = ProcessCluster(databaseURL: url, balancer: balancer, nodes: nodes, dataDirectories: directories)
        do {
            try await cluster.waitUntilFormed()
        } catch {
            await cluster.shutdown()
            throw error
        }
        return cluster
    }

    var count: Int { nodes.count }

    /// Node `index` (it must be running).
    func node(_ index: Int) -> MeshServerProcess {
        guard let node = nodes[index] else { preconditionFailure("node \(index) is not running") }
        return node
    }

    func isRunning(_ index: Int) -> Bool { nodes[index] != nil }

    /// The balancer's name for node `index` (`127.0.0.1:port`), nil when it is not running.
    func backend(_ index: Int) -> String? { nodes[index].map(Self.address(of:)) }

    /// The index of the running node whose balancer name is `backend`.
    func index(ofBackend backend: String) -> Int? {
        nodes.indices.first { index in nodes[index].map(Self.address(of:)) == backend }
    }

    private static func address(of node: MeshServerProcess) -> String { "127.0.0.1:\(node.port)" }

    /// SIGKILL: the node vanishes mid-sentence. Its port refuses from now on, so the balancer
    /// skips it (it stays in the rotation, as behind a balancer that has not noticed yet).
    func kill9(_ index: Int) async {
        guard let node = nodes[index] else { return }
        await node.kill9()
        nodes[index] = nil
    }

    /// SIGTERM: a graceful stop; returns the exit status.
    func stop(_ index: Int) async -> Int32 {
        guard let node = nodes[index] else { return 0 }
        let status = await node.stopped() ?? -1
        nodes[index] = nil
        return status
    }

    /// Starts node `index` again on its data directory (a new port) and puts it back in the
    /// balancer's rotation in its place.
    func restart(_ index: Int) async throws {
        precondition(nodes[index] == nil, "node \(index) is running")
        nodes[index] = try await MeshServerProcess.start(dataDirectory: URL(fileURLWithPath: dataDirectories[index]),
                                                         databaseURL: databaseURL, extraArguments: Self.nodeArguments)
        balancer.setBackends(nodes.compactMap { node in node.map(Self.address(of:)) })
    }

    /// Waits until every running node is healthy and hears exactly the other running ones (a
    /// dead node's heartbeat is forgotten after 4 s; a started one is heard within a second).
    func waitUntilFormed(timeout: Duration = .seconds(30)) async throws {
        let running = nodes.compactMap { $0 }
        try await eventually("every node hears the \(running.count - 1) others", timeout: timeout) {
            for node in running {
                guard let health = try? await node.request(.GET, "/health"), health.status == 200,
                      let others = health["nodes"] as? [Any], others.count == running.count - 1 else { return false }
            }
            return true
        }
    }

    /// Stops every running node (gracefully) and the balancer.
    func shutdown() async {
        await balancer.stop()
        for index in nodes.indices { _ = await stop(index) }
        for directory in dataDirectories { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// Runs `body` with a cluster of `count` nodes, always shutting it down.
func withProcessCluster(_ count: Int, _ body: (ProcessCluster) async throws -> Void) async throws {
    let cluster = try await ProcessCluster.start(count)
    do {
        try await body(cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
}
