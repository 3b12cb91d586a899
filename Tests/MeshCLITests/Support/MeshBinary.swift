import Foundation
import MeshTestSupport

/// Runs the `mesh` executable that `swift build` put next to the test bundle.
enum MeshBinary {
    static var url: URL { MeshExecutable.url }

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The environment a run starts from (``MeshServerProcess/baseEnvironment``: no `MESH_*`).
    static var baseEnvironment: [String: String] { MeshServerProcess.baseEnvironment }

    /// Runs `mesh` to completion; stderr goes through a file so that neither pipe can fill up.
    /// The wait is on a dispatch thread: a `mesh run` can take seconds, and two of them blocking
    /// Swift concurrency's two cooperative threads would stall every in-process test server.
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                    directory: URL? = nil) async throws -> Result {
        try await offCooperativePool {
            Swift.Result { try runBlocking(arguments, environment: environment, stdin: stdin, directory: directory) }
        }.get()
    }

    /// ``run(_:environment:stdin:directory:)`` on the calling thread: only where no `await` is
    /// possible (a `defer`), for commands that end at once.
    static func runBlocking(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                            directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = baseEnvironment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        let out = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = errorHandle
        process.standardInput = input
        try process.run()
        try errorHandle.close()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? Data(contentsOf: errorFile)) ?? Data()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
