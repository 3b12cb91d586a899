import Foundation
import MeshClient
import MeshLoopbackBalancer
import MeshOT
import MeshProtocol

/// `cluster`: `--nodes` real `mesh serve` processes on one fresh PostgreSQL database (all with
/// one signing secret), a ``LoopbackBalancer`` in front of them, and `--clients` clients in
/// `--sessions` sessions (one document each) typing unique tokens at `--rate` for `--seconds`.
/// Half-way (`--kill-at`) the last node is killed with SIGKILL; its clients reconnect through
/// the balancer, catch up and resend, as `mesh lsp` does.
///
/// Clients first connect straight to the nodes, round-robin (client i to node i mod N), so each
/// knows its node; after the kill they reconnect through the balancer one at a time (a gate),
/// so that ``LoopbackBalancer/backend(ofConnection:)`` tells which node each one reached. That
/// gives the broadcast latency split: sender and receiver on one node, or on two.
///
/// Every token is a whole line inserted at a line start (never inside another token), so the
/// final text must hold each typed token exactly once.
enum ClusterBenchmark {
    struct Options {
        var nodes = 3
        var clients = 300
        var sessions = 60
        var editsPerSecond = 10.0
        var seconds = 60.0
        /// Seconds after the start at which the last node is killed; nil: no kill.
        var killAt: Double? = 30
        var warmupSeconds = 1.0
        /// A PostgreSQL URL whose user may create databases: a fresh one is made there, dropped after.
        var adminURL = ""
        /// The `mesh` binary.
        var mesh = ""
    }

    static let tick = 1
    static let stop = 2
    /// The local event a connection's end pushes; each connection of a client has its own.
    static func closeTag(_ generation: Int) -> Int { 1_000 + generation }

    static func run(options: Options) async throws -> Bool {
        var options = options
        guard options.nodes >= 1, options.sessions >= 1, options.clients % options.sessions == 0,
              options.clients / options.sessions >= 2 else {
            throw BenchError("--clients must be a multiple of --sessions, with at least 2 clients per session, and --nodes ≥ 1")
        }
        guard FileManager.default.isExecutableFile(atPath: options.mesh) else {
            throw BenchError("no mesh binary at \(options.mesh): build it (swift build -c release --product mesh) or pass --mesh PATH")
        }
        guard !options.adminURL.isEmpty, var components = URLComponents(string: options.adminURL) else {
            throw BenchError("cluster needs PostgreSQL: --database-url URL (or $MESH_BENCH_POSTGRES_URL; scripts/postgres-test-cluster.sh prints one)")
        }
        if options.nodes < 2 { options.killAt = nil }
        if let killAt = options.killAt, killAt >= options.seconds {
            throw BenchError("--kill-at must be before the end (--seconds \(options.seconds))")
        }

        // A fresh database, dropped at the end.
        let name = "mesh_cluster_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try runTool("psql", [options.adminURL, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"])
        components.path = "/" + name
        let databaseURL = components.string!
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-cluster-bench-\(UUID().uuidString)").path
        var nodes: [BenchNode] = []
        var balancer: LoopbackBalancer?
        func cleanUp() async {
            await balancer?.stop()
            for node in nodes { _ = await node.terminate() }
            try? runTool("psql", [options.adminURL, "-qc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
            try? FileManager.default.removeItem(atPath: root)
        }
        do {
            // One signing secret for every node, as a deployment shares it (docs/deployment.md).
            let secret = Data((0..<32).map { _ in UInt8.random(in: .min ... .max) })
            for index in 0..<options.nodes {
                let directory = root + "/node\(index + 1)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                guard FileManager.default.createFile(atPath: directory + "/jwt-secret", contents: secret,
                                                     attributes: [.posixPermissions: 0o600]) else {
                    throw BenchError("cannot write \(directory)/jwt-secret")
                }
                // One after the other: the first runs the migrations.
                nodes.append(try await BenchNode.start(index: index, mesh: options.mesh, dataDirectory: directory,
                                                       databaseURL: databaseURL))
            }
            let formedFrom = ContinuousClock.now
            while true {
                var formed = true
                for node in nodes where (await node.peers())?.count != options.nodes - 1 { formed = false }
                if formed { break }
                guard formedFrom.duration(to: .now) < .seconds(30) else {
                    throw BenchError("the nodes did not all hear each other within 30 s (their /health)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let front = try await LoopbackBalancer.start(backends: nodes.map(\.address))
            balancer = front
            print("cluster: \(options.nodes) mesh serve processes (\(options.mesh)) on PostgreSQL database \(name) at "
                  + "\(components.host ?? "?"):\(components.port ?? 5432), ports \(nodes.map { String($0.port) }.joined(separator: ", ")); "
                  + "loopback balancer on \(front.port) (round-robin, a refusing node skipped)")
            let correct = try await measure(options: options, nodes: nodes, balancer: front)
            await cleanUp()
            return correct
        } catch {
            await cleanUp()
            throw error
        }
    }

    /// What every client's driver shares.
    struct Shared: Sendable {
        let log: ClusterSendLog
        let gate: ConnectGate
        let balancer: LoopbackBalancer
        /// `127.0.0.1:port` → node index.
        let nodeIndex: [String: Int]
        let measureFrom: ContinuousClock.Instant
    }

    /// Skips frames in `mailbox` until one decodes to what `match` accepts (an `error`, or the
    /// connection's end, fails). What followed in the same batch is put back.
    static func expect<T>(_ mailbox: Inbox, _ what: String, closeTag: Int, _ match: (ServerMessage) -> T?) async throws -> T {
        while let batch = await mailbox.next() {
            for (k, item) in batch.enumerated() {
                guard let text = item.text else {
                    if item.tag == closeTag { throw BenchError("the connection closed while waiting for \(what)") }
                    continue
                }
                let message = try Wire.decode(text)
                if case let .error(error) = message { throw BenchError("expected \(what), got error \(error)") }
                if let found = match(message) {
                    mailbox.pushFront(Array(batch[(k + 1)...]))
                    return found
                }
            }
        }
        throw BenchError("the inbox ended while waiting for \(what)")
    }
}
