import Foundation
import MeshStore

/// The databases server tests run against: a temporary SQLite file, or a fresh database in the
/// PostgreSQL cluster that `scripts/test.sh` starts (`MESH_TEST_POSTGRES_URL`).
enum TestDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    var description: String { rawValue }

    /// A new, empty backend. For PostgreSQL a fresh database is created with `psql`; a missing
    /// `MESH_TEST_POSTGRES_URL` is an error, never a skip.
    func makeBackend() async throws -> StoreBackend {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return .sqlite(path: dir.appendingPathComponent("mesh.sqlite").path)
        case .postgres:
            guard let admin = ProcessInfo.processInfo.environment["MESH_TEST_POSTGRES_URL"], !admin.isEmpty else {
                throw TestSetupError("MESH_TEST_POSTGRES_URL is not set: run the suite through scripts/test.sh, which starts PostgreSQL")
            }
            let name = "mesh_srv_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let arguments = [admin, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"]
            try await offCooperativePool { Result { try Self.run("psql", arguments) } }.get()
            guard var components = URLComponents(string: admin) else { throw TestSetupError("bad MESH_TEST_POSTGRES_URL") }
            components.path = "/" + name
            return .postgres(url: components.string!)
        }
    }

    /// Runs a tool to completion (blocking: call it off the cooperative pool).
    private static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let err = Pipe()
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TestSetupError("\(tool) failed: \(message)")
        }
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
