import MeshOT
import Testing
@testable import MeshLSP

/// Neovim's built-in client reports a key typed before an equal character as typed after it
/// (`t` before the `t` of `fmt`). The text is the same, but a peer's insertion after that `t`
/// then landed inside the word being typed (`fm<n0t<n3t17>6>t`, `exactly_once.py --stress`):
/// the bridge puts such an insertion where the user was typing.
@Suite struct TypingCursorTests {
    static func at(_ character: Int) -> LSPRange {
        LSPRange(start: LSPPosition(line: 0, character: character), end: LSPPosition(line: 0, character: character))
    }

    @Test func aKeyBeforeAnEqualCharacterIsWhereItWasTyped() throws {
        var sync = EditorSync(editorText: "fmt\n", version: 3, documentText: "fmt\n", encoding: .utf16, traits: .neovim)
        var ops: [TextOperation] = []
        // `<n0` typed between `fm` and `t`, then `t`: Neovim reports it after the `t` of `fmt`.
        for (version, (column, key)) in [(2, "<"), (3, "n"), (4, "0"), (6, "t"), (6, "6"), (7, ">")].enumerated() {
            let reaction = try sync.didChange(version: 4 + version, changes: [(Self.at(column), key)])
            ops.append(try #require(reaction.local))
        }
        #expect(sync.document.description == "fm<n0t6>t\n")
        #expect(ops[3] == .replacing(5..<5, with: "t", in: 7), "before the `t` of `fmt`, where the cursor was")
        #expect(ops[4] == .replacing(6..<6, with: "6", in: 8))
        // A peer's insertion after the `t` of `fmt`, made before any of this, now lands after the word.
        var peer = TextBuffer("fmt\n")
        try TextOperation.replacing(3..<3, with: "X", in: 4).apply(to: &peer)
        var server = TextBuffer("fmt\n")
        var typed = TextOperation.identity(length: 4)
        for op in ops { typed = try typed.compose(op) }
        let (_, peerAfter) = try TextOperation.transform(typed, .replacing(3..<3, with: "X", in: 4))
        try typed.apply(to: &server)
        try peerAfter.apply(to: &server)
        #expect(server.description == "fm<n0t6>tX\n")
    }

    /// The rotation is only taken where the same text results; elsewhere the report stands.
    @Test func onlyAnInsertionThatMakesTheSameTextIsMoved() throws {
        let text = TextBuffer("aaab")
        #expect(TypingCursor.insertion(of: "a", at: 3, movedTo: 0, in: text) == .replacing(0..<0, with: "a", in: 4))
        // `ba` pasted after `aaa` is reported as `ab` after the `b` of `aaab`.
        #expect(TypingCursor.insertion(of: "ab", at: 4, movedTo: 3, in: text) == .replacing(3..<3, with: "ba", in: 4))
        #expect(TypingCursor.insertion(of: "ba", at: 4, movedTo: 3, in: text) == nil)
        #expect(TypingCursor.insertion(of: "x", at: 3, movedTo: 1, in: text) == nil)
        var cursor = TypingCursor()
        // No cursor yet: as reported.
        #expect(cursor.place(.replacing(3..<3, with: "a", in: 4), on: text) == .replacing(3..<3, with: "a", in: 4))
        #expect(cursor.offset == 4)
        // A deletion puts the cursor at its start.
        _ = cursor.place(.replacing(1..<3, with: "", in: 5), on: TextBuffer("aaaab"))
        #expect(cursor.offset == 1)
    }

    /// Plugin and other truthful clients: their reports are taken as they come.
    @Test func truthfulClientsAreTakenAsReported() throws {
        var sync = EditorSync(editorText: "fmt\n", version: 3, documentText: "fmt\n", encoding: .utf16, traits: .strict)
        _ = try sync.didChange(version: 4, changes: [(Self.at(2), "<")])
        let reaction = try sync.didChange(version: 5, changes: [(Self.at(4), "t")])
        #expect(reaction.local == .replacing(4..<4, with: "t", in: 5))
    }
}
