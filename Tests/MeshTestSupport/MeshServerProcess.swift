import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `mesh serve` as a subprocess, the one launcher of the tests that run the server's binary: on a
/// free port of 127.0.0.1 (`--port 0`), with its own data folder, a cheap bcrypt cost and no
/// `MESH_*` variable of the developer's; its stderr goes to a log file beside the data folder.
public final class MeshServerProcess: @unchecked Sendable {
    public let process = Process()
    /// `http://127.0.0.1:PORT`, from the server's "listening on" line.
    public private(set) var url = ""
    /// The port of ``url``.
    public private(set) var port = 0
    public var baseURL: String { url }
    public let logFile: URL
    private let lock = NSLock()
    private var output = ""

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The environment a server or a CLI run starts from: this process's, without `MESH_*`
    /// variables, so that a developer's own server or login never leaks into a test.
    public static var baseEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MESH_") }
    }

    /// - Parameters:
    ///   - databaseURL: PostgreSQL (`--database-url`); nil: SQLite in `dataDirectory`.
    ///   - extraArguments: after the others.
    public init(dataDirectory: URL, databaseURL: String? = nil, extraArguments: [String] = []) {
        logFile = dataDirectory.deletingLastPathComponent().appendingPathComponent("server-\(UUID().uuidString).log")
        process.executableURL = MeshExecutable.url
        var arguments = ["serve", "--port", "0", "--data-dir", dataDirectory.path, "--bcrypt-cost", "4"]
        if let databaseURL { arguments += ["--database-url", databaseURL] }
        process.arguments = arguments + extraArguments
        process.environment = Self.baseEnvironment
    }

    /// A server made and started (``start(timeout:)``).
    public static func start(dataDirectory: URL, databaseURL: String? = nil,
                             extraArguments: [String] = []) async throws -> MeshServerProcess {
        let server = MeshServerProcess(dataDirectory: dataDirectory, databaseURL: databaseURL, extraArguments: extraArguments)
        try await server.start()
        return server
    }

    /// A test that failed half-way leaves no server behind.
    deinit {
        if process.processIdentifier > 0, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Starts the server and waits, without blocking a thread, for
    /// `mesh serve: listening on http://127.0.0.1:PORT` (or the process's end, or `timeout`).
    public func start(timeout: Duration = .seconds(60)) async throws {
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        let (listening, announce) = AsyncStream.makeStream(of: String.self)
        process.terminationHandler = { _ in announce.finish() }
        try process.run()
        // Drained for the life of the process; weakly, so that a server whose test failed
        // half-way is killed when its handle goes (deinit).
        DescriptorReader.start(pipe.fileHandleForReading, name: "serve stdout") { [weak self] data in
            guard let self else { return }
            lock.withLock { output += String(decoding: data, as: UTF8.self) }
            if let found = listeningURL() { announce.yield(found) }
        } onEnd: {
            announce.finish()
        }
        let found = await withTaskGroup(of: String?.self) { group in
            group.addTask { await listening.first { _ in true } }
            group.addTask { try? await Task.sleep(for: timeout); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let found, let port = found.split(separator: ":").last.flatMap({ Int($0) }) {
            url = found
            self.port = port
            return
        }
        stop()
        throw StartError(description: "mesh serve did not report listening; stdout: \(lock.withLock { output }) log: \(log)")
    }

    private func listeningURL() -> String? {
        let text = lock.withLock { output }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("mesh serve: listening on ") }),
              let range = line.range(of: "listening on ")
        else { return nil }
        return line[range.upperBound...].trimmingCharacters(in: .whitespaces)
    }

    /// What the server wrote to stderr.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and returns at once, for a `defer` (which cannot wait): the server is
    /// killed if it has not exited within `timeout`. ``stopped(timeout:)`` waits for the exit.
    public func stop(timeout: Duration = .seconds(30)) {
        process.endWithoutWaiting(grace: timeout)
    }

    /// Sends SIGTERM and waits, without holding a thread, for the exit; returns the exit status
    /// (nil: killed by a signal, or still running after `timeout` and killed then).
    @discardableResult
    public func stopped(timeout: Duration = .seconds(30)) async -> Int32? {
        guard process.isRunning else { return process.terminationReason == .exit ? process.terminationStatus : nil }
        return await process.stop(timeout: timeout)
    }

    /// `kill -9`, and waits for the exit.
    public func kill9() async {
        // Never kill(0, …): that is this test process's whole group.
        guard process.processIdentifier > 0, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        let process = self.process
        await offCooperativePool { process.waitUntilExit() }
    }
}
