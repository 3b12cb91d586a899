import Foundation
import MeshClient
import MeshProtocol
import MeshTestSupport
import Testing

/// Issue "files change outside the editor": a tool's change to a shared file no editor has open
/// reaches everyone, merged with what others change meanwhile, and is never overwritten.
extension LanguageServerTests {
    func disk(_ url: URL) -> String? { try? String(contentsOf: url, encoding: .utf8) }
    /// Whether `editor`'s `mesh lsp` watches its shared folder (it says so in its log).
    func watching(_ editor: EditorProcess) -> Bool { editor.loggedMessages.contains { $0.contains("Mesh: watching ") } }

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
        try await eventually("both bridges watch the folder") { watching(a) && watching(b) }
        try await Task.sleep(for: .milliseconds(500))   // and follow go.mod (its snapshot is not reported)

        // A tool rewrites Bob's go.mod (as go mod tidy does: written beside, renamed over).
        let bobs = goMod + "\nrequire example.com/tool v1.0.0\n"
        try bobs.write(to: dirB.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        try await eventually("the session and Ann's disk have Bob's line") {
            (await world.textIfAny("go.mod")) == bobs && disk(dirA.appendingPathComponent("go.mod")) == bobs
        }
        // Tools on both sides at once: Ann's adds a replace at the end, Bob's a comment at the top.
        let annsLine = "replace example.com/tool => ../tool\n", bobsLine = "// generated\n"
        try (bobs + annsLine).write(to: dirA.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        try (bobsLine + bobs).write(to: dirB.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        let merged = bobsLine + bobs + annsLine
        try await eventually("both lines everywhere, once each") {
            (await world.textIfAny("go.mod")) == merged
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
            (await world.textIfAny("gen.go")) == generated && disk(dirA.appendingPathComponent("gen.go")) == generated
        }
        // Mesh's own writes were never taken for a tool's: nothing doubled.
        #expect((await world.textIfAny("go.mod"))?.components(separatedBy: "require example.com/tool").count == 2)
        // Deleted on Bob's disk: deleted from the session, and from Ann's disk (unchanged there).
        try FileManager.default.removeItem(at: dirB.appendingPathComponent("go.mod"))
        try await eventually("go.mod is gone from the session and from Ann's disk") {
            (await world.textIfAny("go.mod")) == nil && disk(dirA.appendingPathComponent("go.mod")) == nil
        }
        #expect(disk(dirA.appendingPathComponent("main.go")) != nil && disk(dirB.appendingPathComponent("gen.go")) == generated)
    }
}

extension LanguageServerTests {
    /// Typing that reached the session, then saved, is on disk and in the session both. When the
    /// editor quits without closing the file and a later `mesh lsp` finds the file changed since
    /// Mesh last wrote it, that is no change of a tool's: merging it in again would double it.
    @Test func typingSavedAndReopenedLaterGoesInOnce() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "main.go", contents: "a\n", otherFiles: ["go.mod": "module m\n"])
        defer { world.server.stop() }
        let mainA = world.dirA.appendingPathComponent("main.go")
        var a = try EditorProcess(name: "ann", home: world.homeA, logFile: root.appendingPathComponent("lsp-a.log"))
        try await a.start(root: world.dirA, file: mainA, encodings: ["utf-16"])
        let b = try EditorProcess(name: "bob", home: world.homeB, logFile: root.appendingPathComponent("lsp-b.log"))
        defer { b.close() }
        try await b.start(root: world.dirB, file: world.dirB.appendingPathComponent("main.go"), encodings: ["utf-16"])
        try await eventually("both bridged") { a.currentPresence != nil && b.currentPresence != nil }
        a.edit(1..<1, "hello")
        try await eventually("the session has Ann's typing") { (await world.textIfAny("main.go")) == "ahello\n" }
        try "ahello\n".write(to: mainA, atomically: true, encoding: .utf8)   // Ann saves
        // Ann's editor quits without closing the file; Bob goes on typing.
        a.close()
        b.edit(7..<7, "b\n")
        try await eventually("the session has Bob's line") { (await world.textIfAny("main.go")) == "ahello\nb\n" }
        // Later, Ann opens the folder again, main.go not open.
        a = try EditorProcess(name: "ann-again", home: world.homeA, logFile: root.appendingPathComponent("lsp-a2.log"))
        defer { a.close() }
        try await a.start(root: world.dirA, file: world.dirA.appendingPathComponent("go.mod"), encodings: ["utf-16"])
        try await eventually("Ann's main.go gets Bob's line") { disk(mainA) == "ahello\nb\n" }
        try await Task.sleep(for: .seconds(2))   // a merge would have been sent by now
        #expect(await world.textIfAny("main.go") == "ahello\nb\n", "Ann's saved typing went in twice")
        #expect(disk(mainA) == "ahello\nb\n")
    }
}

extension LanguageServerTests {
    /// A file deleted on disk while the editor has it open (say, from the editor's file tree,
    /// the tab left open), then closed without saving: a deletion, as of a file no editor has
    /// open. Before, closing it wrote the session's text back, and the deletion never counted.
    @Test func aFileDeletedWhileOpenIsDeletedWhenClosed() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "one\n", otherFiles: ["keep.txt": "two\n"])
        defer { world.server.stop() }
        let notes = world.dirA.appendingPathComponent("notes.txt")
        let a = try EditorProcess(name: "ann", home: world.homeA, logFile: root.appendingPathComponent("lsp-a.log"))
        defer { a.close() }
        try await a.start(root: world.dirA, file: notes, encodings: ["utf-16"])
        try await eventually("Ann's file is bridged") { a.currentPresence != nil }
        try await eventually("the bridge watches the folder") { watching(a) }
        try FileManager.default.removeItem(at: notes)
        try await eventually("the bridge saw the deletion") { a.loggedMessages.contains { $0.contains("notes.txt was deleted on disk while open") } }
        a.notify("textDocument/didClose", ["textDocument": ["uri": .string(notes.absoluteString)]])
        try await eventually("notes.txt is deleted from the session") { await world.textIfAny("notes.txt") == nil }
        try await Task.sleep(for: .seconds(1))   // a write back would have come by now
        #expect(disk(notes) == nil, "closing the file wrote it back")
        #expect(await world.textIfAny("keep.txt") == "two\n")
    }
}
