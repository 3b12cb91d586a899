import Foundation
import MeshClient
import MeshLSP
import MeshProtocol
import MeshTestSupport
import Testing

/// `mesh lsp`'s parts met in one process: each editor is an ``InProcessEditor`` driving a
/// `LanguageServer` through its `send:`, against a real `mesh serve`. Each test crosses a
/// boundary between the parts: the document bridge taking the session link's remote edits while
/// the user types; presence after a remote cursor, through a local edit, and following; commands
/// answered while typing goes on; the session link's tasks ending with the server.
extension LanguageServerTests {
    /// Ann and Bob type at once, a key at a time at random places: every key each of them typed
    /// is in both editors and the session exactly once, and the rest of the text is untouched.
    @Test func keystrokesTypedWhileRemoteEditsArriveLandOnce() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let initial = "fn main() {\n    let x = 1;\n}\n"
        let world = try await shareWorld(file: "main.rs", contents: initial)
        defer { world.server.stop() }
        let (a, servingA) = try await openInProcess("ann", home: world.homeA, folder: world.dirA, file: "main.rs")
        defer { a.finish() }
        let (b, servingB) = try await openInProcess("bob", home: world.homeB, folder: world.dirB, file: "main.rs")
        defer { b.finish() }
        try await eventually("both files are bridged") { a.currentPresence != nil && b.currentPresence != nil }

        let seed = UInt64(ProcessInfo.processInfo.environment["MESH_LSP_E2E_SEED"] ?? "") ?? UInt64.random(in: 0..<1_000_000)
        let annKeys = Self.uniqueKeys(from: 0x4E00, count: 80), bobKeys = Self.uniqueKeys(from: 0x3400, count: 80)
        async let annTyping: Void = Self.typeKeys(annKeys, into: a, seed: seed)
        await Self.typeKeys(bobKeys, into: b, seed: seed &+ 1)
        await annTyping
        try await eventually("both editors and the session agree (seed \(seed))", timeout: .seconds(30)) {
            let text = a.currentText
            guard b.currentText == text else { return false }
            return await world.textIfAny("main.rs") == text
        }
        for (who, text) in [("Ann", a.currentText), ("Bob", b.currentText)] {
            let problem = Self.keystrokeProblem(in: text, keys: annKeys + bobKeys, initial: initial)
            #expect(problem == nil, "\(who)'s editor, seed \(seed): \(problem ?? "")\n\(a.transcript)\n\(b.transcript)")
        }
        a.finish()
        b.finish()
        #expect(await Self.exitCode(of: servingA, within: .seconds(20)) != nil)
        #expect(await Self.exitCode(of: servingB, within: .seconds(20)) != nil)
    }

    /// Bob's cursor reaches Ann's editor as `mesh/presence` and an inlay hint; Ann's own typing
    /// before it moves the hint without Bob moving; following Bob shows his place, and his next.
    @Test func aRemoteCursorIsShownMovesWithTheTextAndIsFollowed() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\nworld\n")
        defer { world.server.stop() }
        let (a, servingA) = try await openInProcess("ann", home: world.homeA, folder: world.dirA, file: "notes.txt")
        defer { a.finish() }
        let (b, servingB) = try await openInProcess("bob", home: world.homeB, folder: world.dirB, file: "notes.txt")
        defer { b.finish() }
        try await eventually("both files are bridged") { a.currentPresence != nil && b.currentPresence != nil }
        func bobsCursor(line: Int, character: Int) -> JSONValue {
            let at = JSONValue.encode(LSPPosition(line: line, character: character))
            return ["textDocument": ["uri": .string(b.uri)], "selections": [["anchor": at, "head": at]]]
        }
        func annsHints() async throws -> [JSONValue] {
            try await a.request("textDocument/inlayHint", [
                "textDocument": ["uri": .string(a.uri)],
                "range": ["start": ["line": 0, "character": 0], "end": ["line": 100, "character": 0]],
            ]).get().array ?? []
        }

        b.notify("mesh/cursor", bobsCursor(line: 1, character: 2))
        try await eventually("Ann's editor shows Bob's cursor") { a.currentPresence?["participants"]?[0]?["name"]?.string == "Bob" }
        let hints = try await annsHints()
        #expect(hints.count == 1 && hints.first?["label"]?.string == "‸Bob", "\(hints)")
        #expect(hints.first?["position"] == JSONValue.encode(LSPPosition(line: 1, character: 2)), "\(hints)")
        #expect(a.refreshes > 0, "Ann's editor was asked to refresh its inlay hints")

        // "hello\nXYZworld\n": Bob's cursor, after "wo", is three characters further on its line.
        a.edit(6..<6, "XYZ")
        let moved = JSONValue.encode(LSPPosition(line: 1, character: 5))
        try await eventually("Bob's cursor moved with Ann's typing") { try await annsHints().first?["position"] == moved }

        let followed = try await a.request("workspace/executeCommand", ["command": "mesh.follow", "arguments": ["Bob"]])
        #expect((try? followed.get()) == JSONValue.null, "\(followed)")
        try await eventually("Ann's editor is asked to show Bob's line") {
            a.shownDocuments.last?["selection"]?["start"]?["line"]?.int == 1
        }
        b.notify("mesh/cursor", bobsCursor(line: 0, character: 1))
        try await eventually("and his new line once he moves") {
            a.shownDocuments.last?["selection"]?["start"]?["line"]?.int == 0
        }
        #expect(a.shownDocuments.allSatisfy { $0["uri"]?.string == a.uri }, "\(a.shownDocuments)")
        a.finish()
        b.finish()
        _ = await Self.exitCode(of: servingA, within: .seconds(20))
        _ = await Self.exitCode(of: servingB, within: .seconds(20))
    }

    /// While Ann types, her editor asks for an invite (answered in the background), who is here,
    /// a chat message, an annotation of her selection and following: every command is answered,
    /// and every key still reaches Bob and the session exactly once.
    @Test func commandsAreAnsweredWhileTypingGoesOn() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let initial = "hello\nworld\n"
        let world = try await shareWorld(file: "notes.txt", contents: initial)
        defer { world.server.stop() }
        let (a, servingA) = try await openInProcess("ann", home: world.homeA, folder: world.dirA, file: "notes.txt")
        defer { a.finish() }
        let (b, servingB) = try await openInProcess("bob", home: world.homeB, folder: world.dirB, file: "notes.txt")
        defer { b.finish() }
        try await eventually("both files are bridged") { a.currentPresence != nil && b.currentPresence != nil }
        // Ann learns Bob is here from his cursor; her selection is where she asks for code actions.
        let start = JSONValue.encode(LSPPosition(line: 0, character: 0))
        b.notify("mesh/cursor", ["textDocument": ["uri": .string(b.uri)], "selections": [["anchor": start, "head": start]]])
        try await eventually("Ann's editor shows Bob") { a.currentPresence?["participants"]?[0]?["name"]?.string == "Bob" }
        _ = try await a.request("textDocument/codeAction", [
            "textDocument": ["uri": .string(a.uri)], "context": ["diagnostics": []],
            "range": ["start": start, "end": JSONValue.encode(LSPPosition(line: 0, character: 5))],
        ]).get()

        let seed = UInt64(ProcessInfo.processInfo.environment["MESH_LSP_E2E_SEED"] ?? "") ?? UInt64.random(in: 0..<1_000_000)
        let keys = Self.uniqueKeys(from: 0x4E00, count: 60)
        async let typing: Void = Self.typeKeys(keys, into: a, seed: seed)
        func command(_ name: String, _ arguments: [JSONValue] = []) async throws -> JSONValue {
            try await a.request("workspace/executeCommand", ["command": .string(name), "arguments": .array(arguments)]).get()
        }
        let invite = try await command("mesh.invite", ["viewer"])
        #expect(invite["url"]?.string?.hasPrefix("\(world.server.url)/join/") == true, "\(invite)")
        let who = try await command("mesh.who")
        #expect(who.array?.contains { $0["name"]?.string == "Bob" } == true, "\(who)")
        #expect(try await command("mesh.chat", ["typing and talking"]) == .null)
        #expect(try await command("mesh.annotate", ["while typing"]) == .null)
        #expect(try await command("mesh.follow", ["Bob"]) == .null)
        #expect(try await command("mesh.follow") == .null)
        await typing

        try await eventually("Ann's editor, Bob's and the session agree (seed \(seed))", timeout: .seconds(30)) {
            let text = a.currentText
            guard b.currentText == text else { return false }
            return await world.textIfAny("notes.txt") == text
        }
        for (who, text) in [("Ann", a.currentText), ("Bob", b.currentText)] {
            let problem = Self.keystrokeProblem(in: text, keys: keys, initial: initial)
            #expect(problem == nil, "\(who)'s editor, seed \(seed): \(problem ?? "")\n\(a.transcript)\n\(b.transcript)")
        }
        try await eventually("Bob reads the chat") { b.shownMessages.contains("Ann: typing and talking") }
        try await eventually("Bob sees the annotation") {
            b.currentDiagnostics.contains { $0["message"]?.string == "Ann: while typing" && $0["severity"]?.int == 3 }
        }
        a.finish()
        b.finish()
        _ = await Self.exitCode(of: servingA, within: .seconds(20))
        _ = await Self.exitCode(of: servingB, within: .seconds(20))
    }

    /// The session link's tasks (the connection's sender and receive loop, its token renewal)
    /// end with the server: an editor that quits ends `run` (exit code 1 without `shutdown`), as
    /// does `shutdown` then `exit` (0).
    @Test func endingTheEditorEndsTheConnectionAndItsTasks() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try await shareWorld(file: "notes.txt", contents: "hello\n")
        defer { world.server.stop() }
        let (a, servingA) = try await openInProcess("ann", home: world.homeA, folder: world.dirA, file: "notes.txt")
        defer { a.finish() }
        try await eventually("Ann's file is bridged") { a.currentPresence != nil }
        a.edit(0..<0, "<ann>")
        try await eventually("the session has Ann's edit") { await world.textIfAny("notes.txt") == "<ann>hello\n" }
        a.finish()
        #expect(await Self.exitCode(of: servingA, within: .seconds(20)) == 1, "run went on after the editor quit: \(a.transcript)")

        let (b, servingB) = try await openInProcess("bob", home: world.homeB, folder: world.dirB, file: "notes.txt")
        defer { b.finish() }
        try await eventually("Bob's file is bridged") { b.currentPresence != nil }
        try await eventually("Bob's editor has Ann's edit") { b.currentText == "<ann>hello\n" }
        #expect(try await b.request("shutdown", .null).get() == .null)
        b.notify("exit", .null)
        #expect(await Self.exitCode(of: servingB, within: .seconds(20)) == 0, "run went on after exit: \(b.transcript)")
    }

    // MARK: Helpers

    /// An in-process editor of `file` in `folder`, its server run by a task of its own (it ends
    /// when the editor finishes).
    func openInProcess(_ name: String, home: URL, folder: URL, file: String) async throws -> (InProcessEditor, Task<Int32, Never>) {
        let editor = InProcessEditor(name: name, home: home)
        let serving = Task { await editor.serve() }
        do {
            try await editor.start(root: folder, file: folder.appendingPathComponent(file), encodings: ["utf-16"])
        } catch {
            editor.finish()
            throw error
        }
        return (editor, serving)
    }

    /// `count` keys that no other text holds: one CJK ideograph each, from `first` on.
    static func uniqueKeys(from first: UInt32, count: Int) -> [String] {
        (0..<UInt32(count)).compactMap { Unicode.Scalar(first + $0).map { String(Character($0)) } }
    }

    /// Types `keys` into `editor` a key at a time, in bursts of one to `burst` at a random place
    /// with pauses of up to `pause` ms, so that the other side's edits arrive in between.
    static func typeKeys(_ keys: [String], into editor: ScriptedEditor, seed: UInt64, burst: Int = 4, pause: Int = 4) async {
        var rng = SeededRandom(seed: seed)
        var next = 0
        while next < keys.count {
            editor.moveCursor(to: rng.int(0...editor.currentText.unicodeScalars.count))
            for _ in 0..<rng.int(1...burst) where next < keys.count {
                editor.typeKey(keys[next])
                next += 1
                try? await Task.sleep(for: .milliseconds(rng.int(0...pause)))
            }
        }
    }

    /// Nil when `text` holds each of `keys` exactly once and, without them, is `initial`; else
    /// what is wrong.
    static func keystrokeProblem(in text: String, keys: [String], initial: String) -> String? {
        let typed = Set(keys.flatMap { $0.unicodeScalars })
        let scalars = Array(text.unicodeScalars)
        var counts: [Unicode.Scalar: Int] = [:]
        for scalar in scalars where typed.contains(scalar) { counts[scalar, default: 0] += 1 }
        var problems = typed.filter { counts[$0] != 1 }.map { "\($0) ×\(counts[$0] ?? 0)" }.sorted()
        let rest = scalars.filter { !typed.contains($0) }
        if rest != Array(initial.unicodeScalars) {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: rest)
            problems.append("without the keys the text is \(String(reflecting: String(view))), was \(String(reflecting: initial))")
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// `serving`'s exit code; nil when it did not end within `timeout` (it is cancelled then).
    static func exitCode(of serving: Task<Int32, Never>, within timeout: Duration) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await serving.value }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { serving.cancel() }
            group.cancelAll()
            return first
        }
    }
}
