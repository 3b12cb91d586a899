import Foundation
import MeshTestSupport

/// `mesh serve` as a separate process (the binary `swift build` produced), for tests that kill
/// and restart the server.
final class ServerProcess: ServerEndpoint, @unchecked Sendable {
    let process: Process
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `mesh serve --port 0` (with `extraArguments` after the others) and waits for its
    /// "listening on" line.
    static func start(dataDirectory: String, databaseURL: String?, extraArguments: [String] = []) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = MeshExecutable.url
        var arguments = ["serve", "--port", "0", "--data-dir", dataDirectory, "--bcrypt-cost", "4", "--log-level", "error"]
        if let databaseURL { arguments += ["--database-url", databaseURL] }
        process.arguments = arguments + extraArguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The pipe is read on a dispatch queue (never on a cooperative thread: blocking reads
        // there starve Swift concurrency) and keeps draining for the life of the process.
        let found = LineWatcher()
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; found.finish(nil); return }
            found.feed(String(decoding: data, as: UTF8.self))
        }
        let port = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask { await found.port() }
            group.addTask { try await Task.sleep(for: .seconds(60)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let port else {
            process.terminate()
            throw TestSetupError("mesh serve did not print its listening line")
        }
        return ServerProcess(process: process, port: port)
    }

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    /// A test that failed half-way leaves no server behind: one left running kept the test
    /// process's inherited output open, and `swift test` waited for it after the last test.
    deinit {
        if process.processIdentifier > 0, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    func kill9() async {
        // Never kill(0, …): that is this test process's whole group.
        if process.processIdentifier > 0, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let process = self.process
        await offCooperativePool { process.waitUntilExit() }
    }

    /// SIGTERM and wait; returns the exit status.
    func terminate() async -> Int32 {
        process.terminate()
        let process = self.process
        return await offCooperativePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }
}

/// Finds the "listening on" line in a stream of output chunks.
final class LineWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = ""
    private var result: Int??
    private var waiters: [CheckedContinuation<Int?, Never>] = []

    func feed(_ chunk: String) {
        lock.lock()
        pending += chunk
        var port: Int?
        while result == nil, let newline = pending.firstIndex(of: "\n") {
            let line = pending[..<newline]
            if let range = line.range(of: "listening on http://127.0.0.1:") { port = Int(line[range.upperBound...]) }
            pending = String(pending[pending.index(after: newline)...])
            if port != nil { break }
        }
        if pending.count > 65536 { pending = "" }
        lock.unlock()
        if let port { finish(port) }
    }

    func finish(_ port: Int?) {
        lock.lock()
        guard result == nil else { lock.unlock(); return }
        result = .some(port)
        let w = waiters
        waiters.removeAll()
        lock.unlock()
        for waiter in w { waiter.resume(returning: port) }
    }

    func port() async -> Int? {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(returning: result)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}
