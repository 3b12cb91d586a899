import Foundation

/// `mesh run` in the background, for tests that act while the program runs (its output goes to
/// files, read at any time).
final class BackgroundRun: @unchecked Sendable {
    let process = Process()
    private let outFile: URL, errFile: URL

    init(_ arguments: [String], home: URL, directory: URL) throws {
        let id = UUID().uuidString
        outFile = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-run-out-\(id)")
        errFile = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-run-err-\(id)")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.executableURL = MeshBinary.url
        process.arguments = ["run"] + arguments
        process.environment = MeshBinary.baseEnvironment.merging(["MESH_HOME": home.path]) { $1 }
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
    }

    deinit {
        if process.isRunning, process.processIdentifier > 0 { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outFile)
        try? FileManager.default.removeItem(at: errFile)
    }

    var stdout: String { (try? String(contentsOf: outFile, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errFile, encoding: .utf8)) ?? "" }

    /// Waits until the program's output (streamed back by the server) contains `text`.
    func waitForOutput(_ text: String, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !stdout.contains(text) {
            guard process.isRunning else { throw TestFailure("mesh run ended before printing \(text): \(stdout) \(stderr)") }
            guard ContinuousClock.now < deadline else { throw TestFailure("mesh run printed no \(text) within \(timeout): \(stdout) \(stderr)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits for `mesh run` to end; its exit status, or nil when it still ran after `timeout`
    /// (it is killed then).
    func finish(timeout: Duration = .seconds(30)) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            killClient()
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// The client vanishes (SIGKILL: no goodbye to the server).
    func killClient() {
        // Never kill(0, …): that is this test process's whole group.
        guard process.isRunning, process.processIdentifier > 0 else { return }
        kill(process.processIdentifier, SIGKILL)
    }
}
