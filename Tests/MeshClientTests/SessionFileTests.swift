import Foundation
import Testing
import MeshClient

@Suite struct SessionFileTests {
    @Test func discoveryWalksUpToTheWorkspaceRoot() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-sf-\(UUID().uuidString)")
        let nested = root.appendingPathComponent("src/deep/er")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(SessionFile.discover(from: nested) == nil)
        let file = SessionFile(server: "http://127.0.0.1:7420", session: UUID().uuidString, name: "demo")
        try file.write(to: root)
        let found = try #require(SessionFile.discover(from: nested))
        #expect(found.file == file)
        #expect(found.root.standardizedFileURL.path == root.standardizedFileURL.path)
    }
}
