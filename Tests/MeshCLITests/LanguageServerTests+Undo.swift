import Foundation
import MeshClient
import MeshProtocol
import MeshTestSupport
import Testing

/// Issue "per-user undo": `mesh.undo` takes back only your own typing, through a peer's edits
/// made after it, in both editors and the session; `mesh.redo` brings it back.
extension LanguageServerTests {
    @Test func meshUndoTakesBackOnlyYourOwnTyping() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\n")
        defer { world.server.stop() }
        let (a, b) = try await bothEditing(world, file: "notes.txt")
        defer { a.close(); b.close() }
        a.edit(0..<0, "<ann>")
        try await eventually("Bob has Ann's typing") { b.currentText == "<ann>hello\n" }
        b.edit(5..<5, "<bob>")   // right after Ann's token
        try await eventually("Ann has Bob's typing") { a.currentText == "<ann><bob>hello\n" }
        let uri = JSONValue.string(world.dirA.appendingPathComponent("notes.txt").absoluteString)
        let undone = try await a.request("workspace/executeCommand", ["command": "mesh.undo", "arguments": [uri]])
        #expect((try? undone.get())?["undone"]?.bool == true, "\(undone)")
        try await eventually("Ann's token is gone everywhere, Bob's stays") {
            let session = await world.textIfAny("notes.txt")
            return a.currentText == "<bob>hello\n" && b.currentText == "<bob>hello\n" && session == "<bob>hello\n"
        }
        let nothing = try await a.request("workspace/executeCommand", ["command": "mesh.undo", "arguments": [uri]])
        #expect((try? nothing.get())?["undone"]?.bool == false, "\(nothing)")
        let redone = try await a.request("workspace/executeCommand", ["command": "mesh.redo", "arguments": [uri]])
        #expect((try? redone.get())?["redone"]?.bool == true, "\(redone)")
        try await eventually("Ann's token is back, once") {
            let session = await world.textIfAny("notes.txt")
            return a.currentText == "<ann><bob>hello\n" && b.currentText == "<ann><bob>hello\n" && session == "<ann><bob>hello\n"
        }
    }
}
