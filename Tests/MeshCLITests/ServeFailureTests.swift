import Foundation
import Testing

/// `mesh serve` stops at once, with one clear line and exit status 1, when it cannot work.
@Suite(.timeLimit(.minutes(5))) struct ServeFailureTests {
    @Test func portInUseAndUnreachableDatabaseFailClearly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-fail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let first = MeshServerProcess(dataDirectory: root.appendingPathComponent("a"))
        try first.start()
        defer { _ = first.stop() }
        let port = try #require(first.url.split(separator: ":").last.map(String.init))

        let busy = try MeshBinary.run(["serve", "--port", port, "--data-dir", root.appendingPathComponent("b").path])
        #expect(busy.status == 1)
        #expect(busy.stderr.contains("mesh serve:"), "\(busy.stderr)")
        #expect(busy.stderr.contains(port), "the message names the port: \(busy.stderr)")

        // Nothing listens on port 9 of loopback: the database is unreachable.
        let noDatabase = try MeshBinary.run(["serve", "--port", "0", "--data-dir", root.appendingPathComponent("c").path,
                                             "--database-url", "postgres://mesh@127.0.0.1:9/none"])
        #expect(noDatabase.status == 1)
        #expect(noDatabase.stderr.contains("cannot open the database"), "\(noDatabase.stderr)")
        #expect(noDatabase.stderr.contains("127.0.0.1:9"), "\(noDatabase.stderr)")

        let badURL = try MeshBinary.run(["serve", "--port", "0", "--data-dir", root.appendingPathComponent("d").path,
                                         "--database-url", "mysql://nope"])
        #expect(badURL.status == 1)
        #expect(!badURL.stderr.isEmpty)
    }
}
