import MeshOT
import Testing
@testable import MeshLSP

/// A resync replaces the shared text while an edit the bridge sent the editor is unsettled.
/// Whether the editor applied that edit or not, it must not come back as the user's typing.
@Suite struct ResyncInFlightTests {
    static func range(_ from: Int, _ to: Int) -> LSPRange {
        LSPRange(start: LSPPosition(line: 0, character: from), end: LSPPosition(line: 0, character: to))
    }

    /// The editor applied the edit in flight (its echo comes after the resync): the text the
    /// resync sent already has it, and nothing is typed.
    @Test func anEditAppliedBeforeTheResyncIsNotTyping() throws {
        var sync = EditorSync(editorText: "ab", version: 1, documentText: "ab", encoding: .utf16, traits: .strict)
        let first = try #require(try sync.applyRemote(.replacing(1..<1, with: "X", in: 2)))
        // The session's text is reloaded (with the peer's X) while the editor applies it.
        let second = sync.resync(documentText: "aXb")
        var local: [TextOperation] = []
        let echo = try sync.didChange(version: 2, changes: [(Self.range(1, 1), "X")])
        if let op = echo.local { local.append(op) }
        for (id, applied) in [(first.id, true)] + (second.map { [($0.id, false)] } ?? []) {
            let reaction = try sync.applyEditResponse(id: id, applied: applied)
            if let op = reaction.local { local.append(op) }
        }
        #expect(local.allSatisfy { $0.isNoop }, "typing taken from the edit's echo: \(local)")
        #expect(sync.document.description == "aXb")
    }

    /// The editor refused the edit in flight (the user typed first): the edit and the change to
    /// the new text go out after the typing, which is the user's, once.
    @Test func anEditRefusedAroundTheResyncIsSentAgainAfterTheTyping() throws {
        var sync = EditorSync(editorText: "ab", version: 1, documentText: "ab", encoding: .utf16, traits: .strict)
        let first = try #require(try sync.applyRemote(.replacing(1..<1, with: "X", in: 2)))
        #expect(sync.resync(documentText: "aXbY") == nil, "nothing more goes out while an edit is in flight")
        // The user types "!" at the start; the editor refuses the edit (its version moved on).
        let typed = try sync.didChange(version: 2, changes: [(Self.range(0, 0), "!")])
        let refused = try sync.applyEditResponse(id: first.id, applied: false)
        let local = [typed.local, refused.local].compactMap { $0 }.filter { !$0.isNoop }
        #expect(local.count == 1, "the typing is the user's, once: \(local)")
        #expect(sync.document.description == "!aXbY")
        let again = try #require(refused.send ?? typed.send, "the new text goes out after the typing")
        #expect(again.version == 2)
    }
}
