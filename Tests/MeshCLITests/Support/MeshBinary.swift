import Foundation
import MeshTestSupport

/// Runs the `mesh` executable that `swift build` put next to the test bundle.
enum MeshBinary {
    static var url: URL { MeshExecutable.url }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The environment a run starts from: this process's, without `MESH_*` variables, so that a
    /// developer's own server or login never leaks into a test.
    static var baseEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MESH_") }
    }

    /// Runs `mesh` to completion; stderr goes through a file so that neither pipe can fill up.
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
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
