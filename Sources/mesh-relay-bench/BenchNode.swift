import AsyncHTTPClient
import Foundation
import MeshClient
import NIOConcurrencyHelpers
import NIOCore

/// A `mesh serve` process for the cluster benchmark: the real binary (by default the one built
/// next to this benchmark), on 127.0.0.1 and a port of its own, on a shared PostgreSQL database.
final class BenchNode: @unchecked Sendable {
    /// 0-based; printed 1-based.
    let index: Int
    let port: Int
    private let process: Process
    var address: String { "127.0.0.1:\(port)" }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(index: Int, port: Int, process: Process) {
        self.index = index
        self.port = port
        self.process = process
    }

    /// Starts `mesh serve --port 0` and waits (up to 60 s) for its "listening on" line.
    static func start(index: Int, mesh: String, dataDirectory: String, databaseURL: String) async throws -> BenchNode {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mesh)
        process.arguments = [
            "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDirectory, "--database-url", databaseURL,
            // Signing up hundreds of users at the default cost 12 takes minutes; irrelevant here.
            "--bcrypt-cost", "4", "--max-signups-per-address", "1000000",
            "--access-token-seconds", "3600", "--no-sandbox", "--log-level", "error",
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let line = ListeningLine()
        // Read on a dispatch queue, never a cooperative thread; drained for the process's life.
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                line.finish(nil)
            } else {
                line.feed(String(decoding: data, as: UTF8.self))
            }
        }
        let timeout = Task {
            try? await Task.sleep(for: .seconds(60))
            line.finish(nil)
        }
        let port = await line.port()
        timeout.cancel()
        guard let port else {
            process.terminate()
            throw BenchError("mesh serve (node \(index + 1), \(mesh)) did not print its listening line within 60 s")
        }
        return BenchNode(index: index, port: port, process: process)
    }

    var processIdentifier: Int32 { process.processIdentifier }

    /// SIGKILL, then waits for the exit.
    func kill9() async {
        kill(process.processIdentifier, SIGKILL)
        await waitUntilExit()
    }

    /// SIGTERM (a graceful stop), then waits; returns the exit status.
    func terminate() async -> Int32 {
        if process.isRunning { process.terminate() }
        await waitUntilExit()
        return process.terminationStatus
    }

    private func waitUntilExit() async {
        let process = self.process
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                process.waitUntilExit()
                done.resume()
            }
        }
    }

    /// `/health`'s `nodes`: the other nodes this one hears (nil when it does not answer 200).
    func peers() async -> [String]? {
        guard let response = try? await MeshAPIClient.sharedHTTPClient.execute(HTTPClientRequest(url: baseURL + "/health"),
                                                                                 timeout: .seconds(10)),
              response.status.code == 200,
              let body = try? await response.body.collect(upTo: 1 << 20),
              let json = try? JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any]
        else { return nil }
        return json["nodes"] as? [String] ?? []
    }

    /// This node's Prometheus counters that matter with several nodes.
    func clusterFigures() async -> String {
        guard let response = try? await MeshAPIClient.sharedHTTPClient.execute(HTTPClientRequest(url: baseURL + "/metrics"),
                                                                                 timeout: .seconds(30)),
              let body = try? await response.body.collect(upTo: 16 << 20)
        else { return "no /metrics" }
        var values: [String: Double] = [:]
        for line in String(buffer: body).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let value = Double(parts[parts.count - 1]) { values[String(parts[0])] = value }
        }
        func value(_ name: String) -> String { values[name].map { grouped(Int($0)) } ?? "?" }
        return "ops committed \(value("mesh_ops_committed_total")) in \(value("mesh_commit_batches_total")) transactions, "
            + "commits another node won first \(value("mesh_commit_conflicts_total")), "
            + "ops relayed from other nodes \(value("mesh_ops_from_nodes_total"))"
    }
}

/// Waits for `mesh serve`'s "listening on http://127.0.0.1:PORT" line in its output chunks.
final class ListeningLine: Sendable {
    private struct State {
        var pending = ""
        var result: Int?? = nil
        var waiters: [CheckedContinuation<Int?, Never>] = []
    }
    private let state = NIOLockedValueBox(State())

    func feed(_ chunk: String) {
        let port: Int? = state.withLockedValue { state in
            guard state.result == nil else { return nil }
            state.pending += chunk
            while let newline = state.pending.firstIndex(of: "\n") {
                let line = state.pending[..<newline]
                if let range = line.range(of: "listening on http://127.0.0.1:"), let port = Int(line[range.upperBound...]) {
                    return port
                }
                state.pending = String(state.pending[state.pending.index(after: newline)...])
            }
            if state.pending.count > 65_536 { state.pending = "" }
            return nil
        }
        if let port { finish(port) }
    }

    /// The port, or nil: the output ended or the wait timed out first. Only the first call counts.
    func finish(_ port: Int?) {
        let waiters: [CheckedContinuation<Int?, Never>] = state.withLockedValue { state in
            guard state.result == nil else { return [] }
            state.result = .some(port)
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    func port() async -> Int? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
            let ready: Int?? = state.withLockedValue { state in
                if let result = state.result { return .some(result) }
                state.waiters.append(continuation)
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
