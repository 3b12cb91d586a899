import Foundation
import MeshClient
import MeshProtocol
import MeshTestSupport
import Testing

/// Issue "files change outside the editor": a tool's change to a shared file no editor has open
/// reaches everyone, merged with what others change meanwhile, and is never overwritten.
extension LanguageServerTests {
    func disk(_ url: URL) -> String? { try? String(contentsOf: url, encoding: .utf8) }

    /// The server's text of `path`, nil while the session has no such document.
    func sessionText(_ world: World, _ path: String) async -> String? {
        guard let documents = try? await world.api.documents(of: world.session.id),
              let id = documents.first(where: { $0.path == path })?.id
        else { return nil }
        return try? await world.api.document(session: world.session.id, id: id).text
    }

    @Test func toolsChangingUnopenedFilesOnBothSidesLoseNothing() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let goMod = "module example.com/app\n\ngo 1.19\n"
        let world = try await shareWorld(file: "main.go", contents: "package main\n\nfunc main() {}\n", otherFiles: ["go.mod": goMod])
        defer { world.server.stop() }
        let (dirA, dirB) = (world.dirA, world.dirB)
        // Both run mesh lsp with only main.go open.
        let a = try EditorProcess(name: "ann", home: world.homeA, logFile: root.appendingPathComponent("lsp-a.log"))
        defer { a.close() }
        try await a.start(root: dirA, file: dirA.appendingPathComponent("main.go"), encodings: ["utf-16"])
        let b = try EditorProcess(name: "bob", home: world.homeB, logFile: root.appendingPathComponent("lsp-b.log"))
        defer { b.close() }
        try await b.start(root: dirB, file: dirB.appendingPathComponent("main.go"), encodings: ["utf-16"])
        try await eventually("both bridged") { a.currentPresence != nil && b.currentPresence != nil }
        try await Task.sleep(for: .milliseconds(500))   // both bridges follow go.mod and watch the folder

        // A tool rewrites Bob's go.mod (as go mod tidy does: written beside, renamed over).
        let bobs = goMod + "\nrequire example.com/tool v1.0.0\n"
        try bobs.write(to: dirB.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        try await eventually("the session and Ann's disk have Bob's line") {
            (await sessionText(world, "go.mod")) == bobs && disk(dirA.appendingPathComponent("go.mod")) == bobs
        }
        // Tools on both sides at once: Ann's adds a replace at the end, Bob's a comment at the top.
        let annsLine = "replace example.com/tool => ../tool\n", bobsLine = "// generated\n"
        try (bobs + annsLine).write(to: dirA.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        try (bobsLine + bobs).write(to: dirB.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        let merged = bobsLine + bobs + annsLine
        try await eventually("both lines everywhere, once each") {
            (await sessionText(world, "go.mod")) == merged
                && disk(dirA.appendingPathComponent("go.mod")) == merged && disk(dirB.appendingPathComponent("go.mod")) == merged
        }
        // Ann's editor edits main.go meanwhile: Bob's open buffer follows, go.mod untouched.
        a.edit(0..<0, "// ann\n")
        try await eventually("Bob's editor has Ann's line") { b.currentText.hasPrefix("// ann\n") }
        #expect(disk(dirB.appendingPathComponent("go.mod")) == merged)

        // A new file on Bob's disk becomes a session document, and a file on Ann's disk.
        let generated = "package main\n\nconst generated = 1\n"
        try generated.write(to: dirB.appendingPathComponent("gen.go"), atomically: true, encoding: .utf8)
        try await eventually("the session and Ann's disk have gen.go") {
            (await sessionText(world, "gen.go")) == generated && disk(dirA.appendingPathComponent("gen.go")) == generated
        }
        // Mesh's own writes were never taken for a tool's: nothing doubled.
        #expect((await sessionText(world, "go.mod"))?.components(separatedBy: "require example.com/tool").count == 2)
        // Deleted on Bob's disk: deleted from the session, and from Ann's disk (unchanged there).
        try FileManager.default.removeItem(at: dirB.appendingPathComponent("go.mod"))
        try await eventually("go.mod is gone from the session and from Ann's disk") {
            (await sessionText(world, "go.mod")) == nil && disk(dirA.appendingPathComponent("go.mod")) == nil
        }
        #expect(disk(dirA.appendingPathComponent("main.go")) != nil && disk(dirB.appendingPathComponent("gen.go")) == generated)
    }
}

/// Issue "per-user undo": `mesh.undo` takes back only your own typing, through a peer's edits
/// made after it, in both editors and the session; `mesh.redo` brings it back.
extension LanguageServerTests {
    @Test func meshUndoTakesBackOnlyYourOwnTyping() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\n")
        defer { world.server.stop() }
        let a = try EditorProcess(name: "ann", home: world.homeA, logFile: root.appendingPathComponent("lsp-a.log"))
        defer { a.close() }
        try await a.start(root: world.dirA, file: world.dirA.appendingPathComponent("notes.txt"), encodings: ["utf-16"])
        let b = try EditorProcess(name: "bob", home: world.homeB, logFile: root.appendingPathComponent("lsp-b.log"))
        defer { b.close() }
        try await b.start(root: world.dirB, file: world.dirB.appendingPathComponent("notes.txt"), encodings: ["utf-16"])
        try await eventually("both bridged") { a.currentPresence != nil && b.currentPresence != nil }
        a.edit(0..<0, "<ann>")
        try await eventually("Bob has Ann's typing") { b.currentText == "<ann>hello\n" }
        b.edit(5..<5, "<bob>")   // right after Ann's token
        try await eventually("Ann has Bob's typing") { a.currentText == "<ann><bob>hello\n" }
        let uri = JSONValue.string(world.dirA.appendingPathComponent("notes.txt").absoluteString)
        let undone = try await a.request("workspace/executeCommand", ["command": "mesh.undo", "arguments": [uri]])
        #expect((try? undone.get())?["undone"]?.bool == true, "\(undone)")
        try await eventually("Ann's token is gone everywhere, Bob's stays") {
            let session = await sessionText(world, "notes.txt")
            return a.currentText == "<bob>hello\n" && b.currentText == "<bob>hello\n" && session == "<bob>hello\n"
        }
        let nothing = try await a.request("workspace/executeCommand", ["command": "mesh.undo", "arguments": [uri]])
        #expect((try? nothing.get())?["undone"]?.bool == false, "\(nothing)")
        let redone = try await a.request("workspace/executeCommand", ["command": "mesh.redo", "arguments": [uri]])
        #expect((try? redone.get())?["redone"]?.bool == true, "\(redone)")
        try await eventually("Ann's token is back, once") {
            let session = await sessionText(world, "notes.txt")
            return a.currentText == "<ann><bob>hello\n" && b.currentText == "<ann><bob>hello\n" && session == "<ann><bob>hello\n"
        }
    }
}
