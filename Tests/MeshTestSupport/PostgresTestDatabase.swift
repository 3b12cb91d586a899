import Foundation

/// A fresh, empty database in the PostgreSQL cluster `scripts/test.sh` starts
/// (`MESH_TEST_POSTGRES_URL`), created with `psql`; returns its URL. A missing variable is an
/// error, never a skip.
public func createPostgresTestDatabase(prefix: String = "mesh_t_") async throws -> String {
    guard let admin = ProcessInfo.processInfo.environment["MESH_TEST_POSTGRES_URL"], !admin.isEmpty else {
        throw PostgresTestDatabaseError("MESH_TEST_POSTGRES_URL is not set: run the suite through scripts/test.sh, which starts PostgreSQL")
    }
    let name = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    try await runPSQL(admin, "CREATE DATABASE \(name)")
    guard var components = URLComponents(string: admin) else { throw PostgresTestDatabaseError("bad MESH_TEST_POSTGRES_URL") }
    components.path = "/" + name
    return components.string!
}

/// Runs `sql` with `psql` on the database at `url` (off the cooperative pool: psql blocks).
public func runPSQL(_ url: String, _ sql: String) async throws {
    let status: Result<Void, PostgresTestDatabaseError> = await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
                process.waitUntilExit()
                if process.terminationStatus == 0 {
                    continuation.resume(returning: .success(()))
                } else {
                    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    continuation.resume(returning: .failure(PostgresTestDatabaseError("psql failed: \(message)")))
                }
            } catch {
                continuation.resume(returning: .failure(PostgresTestDatabaseError("psql did not start: \(error)")))
            }
        }
    }
    try status.get()
}

public struct PostgresTestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
