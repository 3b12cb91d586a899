import Foundation
@testable import MeshStore
import NIOPosix
import SQLiteNIO
import Testing

/// The writer never checkpoints (`wal_autocheckpoint = 0`), so without `WALCheckpointer` the log
/// would only grow and the database file would never receive a page.
@Suite struct WALCheckpointerTests {
    @Test func copiesTheLogIntoTheDatabaseFileFromItsOwnConnection() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-wal-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wal.sqlite").path
        func size(_ file: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.intValue ?? 0
        }

        let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton,
                                                     logger: TestBackend.logger, on: MultiThreadedEventLoopGroup.singleton.any())
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA wal_autocheckpoint = 0",
                       "CREATE TABLE t (x TEXT)"] {
            _ = try await writer.query(pragma)
        }
        let row = String(repeating: "x", count: 1_000)
        for _ in 0..<300 { _ = try await writer.query("INSERT INTO t VALUES (?)", [.text(row)]) }
        // Everything is in the log; the database file has not been written beyond its first pages.
        let before = size(path)
        #expect(before < 16_384, "database file \(before) bytes before any checkpoint")
        #expect(size(path + "-wal") > 300_000)

        let checkpointer = try await WALCheckpointer.start(path: path, logger: TestBackend.logger, interval: .milliseconds(50))
        var after = size(path)
        for _ in 0..<100 where after < 300_000 {
            try await Task.sleep(for: .milliseconds(50))
            after = size(path)
        }
        #expect(after >= 300_000, "database file \(after) bytes after 5 s of checkpoints")
        // The writer goes on meanwhile; a PASSIVE checkpoint never makes it wait.
        for _ in 0..<50 { _ = try await writer.query("INSERT INTO t VALUES (?)", [.text(row)]) }
        await checkpointer.stop()
        let count = try await writer.query("SELECT COUNT(*) AS n FROM t").first?.column("n")?.integer
        #expect(count == 350)
        try await writer.close()
    }
}
