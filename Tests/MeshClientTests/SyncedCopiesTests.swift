import Foundation
import MeshClient
import Testing

/// `.mesh/synced/`: the base of disk sync. A document path comes from the server (another
/// participant named it), so one that is not a safe session path touches nothing.
@Suite struct SyncedCopiesTests {
    @Test func aHostileDocumentPathReachesNothingOutsideTheSyncedFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-synced-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let outside = root.appendingPathComponent("victim.txt")
        try Data("mine\n".utf8).write(to: outside)
        let copies = SyncedCopies(root: root)
        for hostile in ["../../victim.txt", "../victim.txt", "/etc/passwd", ".git/config", ".MESH/session.json", "a/../../victim.txt"] {
            copies.record("planted\n", for: hostile)
            copies.forget(hostile)
            #expect(copies.text(of: hostile) == nil, "\(hostile)")
        }
        #expect(try String(contentsOf: outside, encoding: .utf8) == "mine\n")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(".mesh/victim.txt").path))
        // A safe path round-trips.
        copies.record("text\n", for: "src/main.go")
        #expect(copies.text(of: "src/main.go") == "text\n")
        copies.forget("src/main.go")
        #expect(copies.text(of: "src/main.go") == nil)
    }
}
