import Foundation
import Logging
import MeshTraces

/// `mesh-relay-bench <latency|stream|fanout> [options]` starts a Mesh server in this process
/// (127.0.0.1, an ephemeral port, a fresh database), sets up users and sessions over HTTP, and
/// measures the collaboration relay over real loopback WebSockets. It prints figures, never
/// pass/fail against the targets; it exits non-zero only when a run was wrong (a lost op, a
/// diverged text) or failed. Build with `-c release`: debug figures mean nothing.
let usage = """
    usage: mesh-relay-bench <scenario> [--database sqlite|postgres|memory] [--postgres-url URL] [--log-level LEVEL]
      latency  [--ops N (10000)] [--warmup N (1000)] [--pings N (5000)]
      stream   [--trace NAME (automerge-paper)] [--limit N] [--one-by-one]
      fanout   [--clients N (200)] [--per-session N (5)] [--rate EDITS/S (10)] [--seconds S (30)] [--warmup-seconds S (1)]
    --database memory is SQLite in memory (no file I/O), for comparison.
    --postgres-url defaults to $MESH_BENCH_POSTGRES_URL; a fresh database is created in that cluster and dropped after.
    """

var arguments = Array(CommandLine.arguments.dropFirst())
guard let scenario = arguments.first, ["latency", "stream", "fanout"].contains(scenario) else {
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
