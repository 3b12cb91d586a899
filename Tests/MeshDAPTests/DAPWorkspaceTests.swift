import Foundation
import MeshClient
import MeshProtocol
import Testing
@testable import MeshDAP

/// `mesh dap` started inside the shared folder (Helix starts the adapter in its working
/// folder): the `hello` must name the folder holding `.mesh/session.json`, because the
/// server maps `<root>/<path>` to `/workspace/<path>`.
@Suite struct DAPWorkspaceTests {
    static func sharedFolder() throws -> (root: URL, file: SessionFile) {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("mesh-dap-\(UUID().uuidString)", isDirectory: true).standardizedFileURL
        let file = SessionFile(server: "http://127.0.0.1:7420", session: UUID().uuidString.lowercased())
        try file.write(to: root)
        return (root, file)
    }

    @Test func helloNamesTheSharedRootFromANestedWorkingFolder() throws {
        let (root, file) = try Self.sharedFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let nested = root.appendingPathComponent("cmd/tool", isDirectory: true)
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)

        let workspace = try DAPBridge.workspace(from: nested)
        #expect(workspace.root.path == root.path)
        #expect(workspace.file == file)
        #expect(workspace.hello.root == root.path, "not the working folder \(nested.path)")
        #expect(workspace.hello.session == UUID(uuidString: file.session))
        // On the wire: {"root": <shared root>, "session": …, "type": "hello"}.
        let wire = try JSONValue.parse(Data(workspace.hello.text.utf8))
        #expect(wire["root"]?.string == root.path)
        #expect(wire["type"]?.string == "hello")
    }

    @Test func helloFromTheSharedRootItself() throws {
        let (root, _) = try Self.sharedFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        // Given with a trailing slash and a `.` component, as a `--root` may be.
        let given = URL(fileURLWithPath: root.path + "/./", isDirectory: true)
        #expect(try DAPBridge.workspace(from: given).hello.root == root.path)
    }

    @Test func noSessionFileIsAnErrorNamingTheFolder() throws {
        let lonely = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-dap-none-\(UUID().uuidString)/a")
        try FileManager.default.createDirectory(at: lonely, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: lonely.deletingLastPathComponent()) }
        #expect(throws: WorkspaceError.self) { try DAPBridge.workspace(from: lonely) }
    }
}
