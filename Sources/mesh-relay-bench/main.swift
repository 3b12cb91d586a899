import Foundation
import Logging
import MeshTraces

/// `mesh-relay-bench <latency|stream|fanout> [options]` starts a Mesh server in this process
/// (127.0.0.1, an ephemeral port, a fresh database), sets up users and sessions over HTTP, and
/// measures the collaboration relay over real loopback WebSockets. `cluster` instead runs
/// several `mesh serve` processes on one PostgreSQL database behind a loopback balancer and
/// kills one half-way (ClusterBenchmark). It prints figures, never pass/fail against the
/// targets; it exits non-zero only when a run was wrong (a lost op, a diverged text) or failed.
/// Build with `-c release`: debug figures mean nothing.
let usage = """
    usage: mesh-relay-bench <scenario> [--database sqlite|postgres|memory] [--postgres-url URL] [--log-level LEVEL]
      latency  [--ops N (10000)] [--warmup N (1000)] [--pings N (5000)]
      stream   [--trace NAME (automerge-paper)] [--limit N] [--one-by-one]
      fanout   [--clients N (200)] [--per-session N (5)] [--rate EDITS/S (10)] [--seconds S (30)] [--warmup-seconds S (1)]
      cluster  [--nodes N (3)] [--clients N (300)] [--sessions N (60)] [--rate EDITS/S (10)] [--seconds S (60)]
               [--kill-at S (30; 0: no kill)] [--warmup-seconds S (1)] [--database-url URL] [--mesh PATH]
    --database memory is SQLite in memory (no file I/O), for comparison.
    --postgres-url defaults to $MESH_BENCH_POSTGRES_URL; a fresh database is created in that cluster and dropped after.
    cluster runs `mesh serve` processes on PostgreSQL only: --database-url (else --postgres-url, $MESH_BENCH_POSTGRES_URL,
    $MESH_TEST_POSTGRES_URL) names a cluster where a fresh database is created and dropped after; --mesh defaults to
    $MESH_BIN, else the `mesh` built next to this benchmark.
    """

var arguments = Array(CommandLine.arguments.dropFirst())
guard let scenario = arguments.first, ["latency", "stream", "fanout", "cluster"].contains(scenario) else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
arguments.removeFirst()

var options: [String: String] = [:]
var flags: Set<String> = []
let booleanFlags: Set<String> = ["--one-by-one"]
var index = 0
while index < arguments.count {
    let name = arguments[index]
    if booleanFlags.contains(name) {
        flags.insert(name)
        index += 1
    } else if name.hasPrefix("--"), index + 1 < arguments.count {
        options[name] = arguments[index + 1]
        index += 2
    } else {
        FileHandle.standardError.write(Data("unexpected argument \(name)\n\(usage)\n".utf8))
        exit(2)
    }
}

@MainActor func intOption(_ name: String, _ fallback: Int) -> Int {
    guard let text = options[name] else { return fallback }
    guard let value = Int(text.replacingOccurrences(of: "_", with: "")), value >= 0 else {
        FileHandle.standardError.write(Data("\(name) needs a whole number, not \(text)\n".utf8))
        exit(2)
    }
    return value
}

@MainActor func doubleOption(_ name: String, _ fallback: Double) -> Double {
    guard let text = options[name] else { return fallback }
    guard let value = Double(text), value > 0 else {
        FileHandle.standardError.write(Data("\(name) needs a positive number, not \(text)\n".utf8))
        exit(2)
    }
    return value
}

guard let database = BenchDatabase(rawValue: options["--database"] ?? "sqlite") else {
    FileHandle.standardError.write(Data("--database must be sqlite, postgres or memory\n".utf8))
    exit(2)
}
let postgresURL = options["--postgres-url"] ?? ProcessInfo.processInfo.environment["MESH_BENCH_POSTGRES_URL"]
let logLevel = options["--log-level"].flatMap(Logger.Level.init(rawValue:)) ?? .critical

let known: [String: Set<String>] = [
    "latency": ["--ops", "--warmup", "--pings"],
    "stream": ["--trace", "--limit"],
    "fanout": ["--clients", "--per-session", "--rate", "--seconds", "--warmup-seconds"],
    "cluster": ["--nodes", "--clients", "--sessions", "--rate", "--seconds", "--kill-at", "--warmup-seconds", "--database-url", "--mesh"],
]
for name in options.keys where !(known[scenario]!.contains(name) || ["--database", "--postgres-url", "--log-level"].contains(name)) {
    FileHandle.standardError.write(Data("\(name) is not an option of \(scenario)\n\(usage)\n".utf8))
    exit(2)
}

#if DEBUG
print("warning: a debug build; figures mean nothing (swift build -c release --product mesh-relay-bench)")
#endif
print("mesh-relay-bench \(CommandLine.arguments.dropFirst().joined(separator: " "))")
print("machine: \(machineDescription()); \(Date())")

if scenario == "cluster" {
    if let name = options["--database"], name != "postgres" {
        FileHandle.standardError.write(Data("cluster runs on PostgreSQL only (--database postgres)\n".utf8))
        exit(2)
    }
    var cluster = ClusterBenchmark.Options()
    cluster.nodes = max(1, intOption("--nodes", cluster.nodes))
    cluster.clients = intOption("--clients", cluster.clients)
    cluster.sessions = max(1, intOption("--sessions", cluster.sessions))
    cluster.editsPerSecond = doubleOption("--rate", cluster.editsPerSecond)
    cluster.seconds = doubleOption("--seconds", cluster.seconds)
    cluster.warmupSeconds = options["--warmup-seconds"].map { Double($0) ?? 1 } ?? cluster.warmupSeconds
    if let text = options["--kill-at"] {
        guard let seconds = Double(text), seconds >= 0 else {
            FileHandle.standardError.write(Data("--kill-at needs a number of seconds (0: no kill), not \(text)\n".utf8))
            exit(2)
        }
        cluster.killAt = seconds > 0 ? seconds : nil
    }
    let environment = ProcessInfo.processInfo.environment
    cluster.adminURL = options["--database-url"] ?? postgresURL ?? environment["MESH_TEST_POSTGRES_URL"] ?? ""
    cluster.mesh = options["--mesh"] ?? environment["MESH_BIN"]
        ?? (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
            .deletingLastPathComponent().appendingPathComponent("mesh").path
    do {
        let correct = try await ClusterBenchmark.run(options: cluster)
        if !correct {
            print("RUN WAS WRONG: see above")
            exit(1)
        }
    } catch {
        FileHandle.standardError.write(Data("mesh-relay-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

do {
    // The trace is loaded before the server starts: decoding it is not part of the run.
    var trace: EditingTrace?
    if scenario == "stream" {
        let name = options["--trace"] ?? "automerge-paper"
        let url = EditingTrace.sequentialTracesFolder().appendingPathComponent("\(name).json.gz")
        trace = try EditingTrace.load(url)
    }
    let server = try await BenchServer.start(database, postgresURL: postgresURL, logLevel: logLevel)
    let correct: Bool
    do {
        switch scenario {
        case "latency":
            correct = try await LatencyBenchmark.run(server: server, ops: max(1, intOption("--ops", 10_000)),
                                                     warmup: intOption("--warmup", 1_000), pings: max(10, intOption("--pings", 5_000)))
        case "stream":
            let limit = options["--limit"].map { _ in intOption("--limit", 0) }
            correct = try await StreamBenchmark.run(server: server, trace: trace!, limit: limit,
                                                    oneByOne: flags.contains("--one-by-one"))
        default:
            var fanout = FanoutBenchmark.Options()
            fanout.clients = intOption("--clients", fanout.clients)
            fanout.perSession = intOption("--per-session", fanout.perSession)
            fanout.editsPerSecond = doubleOption("--rate", fanout.editsPerSecond)
            fanout.seconds = doubleOption("--seconds", fanout.seconds)
            fanout.warmupSeconds = options["--warmup-seconds"].map { Double($0) ?? 1 } ?? fanout.warmupSeconds
            correct = try await FanoutBenchmark.run(server: server, options: fanout)
        }
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
    if !correct {
        print("RUN WAS WRONG: see above")
        exit(1)
    }
} catch {
    FileHandle.standardError.write(Data("mesh-relay-bench: \(error)\n".utf8))
    exit(1)
}
