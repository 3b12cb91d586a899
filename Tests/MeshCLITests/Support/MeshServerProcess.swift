import Foundation
import MeshTestSupport

/// A `mesh serve` subprocess on a free port with its own data folder and a cheap bcrypt cost.
final class MeshServerProcess: @unchecked Sendable {
    let process = Process()
    /// `http://127.0.0.1:PORT`, from the server's "listening on" line.
    private(set) var url = ""
    let logFile: URL
    private let lock = NSLock()
    private var output = ""

    struct StartError: Error, CustomStringConvertible { var description: String }

    init(dataDirectory: URL, extraArguments: [String] = []) {
        logFile = dataDirectory.deletingLastPathComponent().appendingPathComponent("server-\(UUID().uuidString).log")
        process.executableURL = MeshBinary.url
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory.path, "--bcrypt-cost", "4"]
            + extraArguments
        process.environment = MeshBinary.baseEnvironment
    }

    /// Starts the server and waits, without blocking a thread, for
    /// `mesh serve: listening on http://127.0.0.1:PORT` (or the process's end, or `timeout`).
    func start(timeout: Duration = .seconds(60)) async throws {
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        let (listening, announce) = AsyncStream.makeStream(of: String.self)
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                announce.finish()
                return
            }
            lock.withLock { output += String(decoding: data, as: UTF8.self) }
            if let found = listeningURL() { announce.yield(found) }
        }
        process.terminationHandler = { _ in announce.finish() }
        try process.run()
        let found = await withTaskGroup(of: String?.self) { group in
            group.addTask { await listening.first { _ in true } }
            group.addTask { try? await Task.sleep(for: timeout); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if let found {
            url = found
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
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and returns at once, for a `defer` (which cannot wait): the server is
    /// killed if it has not exited within `timeout`. ``stopped(timeout:)`` waits for the exit.
    func stop(timeout: Duration = .seconds(30)) {
        process.endWithoutWaiting(grace: timeout)
    }

    /// Sends SIGTERM and waits, without holding a thread, for the exit; returns the exit status
    /// (nil: killed by a signal, or still running after `timeout` and killed then).
    @discardableResult
    func stopped(timeout: Duration = .seconds(30)) async -> Int32? {
        guard process.isRunning else { return exitStatus }
        return await process.stop(timeout: timeout)
    }

    private var exitStatus: Int32? {
        process.terminationReason == .exit ? process.terminationStatus : nil
    }
}
