import Foundation
import MeshOT
import Testing
@testable import MeshLSP
import MeshTestSupport

/// Neovim's built-in `workspace/applyEdit` handler answers `applied: true` also for an edit it
/// skipped as older than its buffer. Typing the very text of that edit at its place (two people
/// pressing Enter at the end of one line, or typing the same `<n` of `<n0t15>` and `<n1t14>`)
/// made a text the bridge took for the edit's echo: the typed keys were lost, and the peer's
/// text landed where the typist's belonged (`exactly_once.py`, CI at b0d31b9, seed 4261616905).
/// Every edit for that handler now ends with an empty edit at the start of the text, which
/// Neovim applies last and reports as a change that changes nothing: typing makes no such change.
@Suite struct NeovimSealTests {
    static func range(_ from: Int, _ to: Int, line: Int = 0) -> LSPRange {
        LSPRange(start: LSPPosition(line: line, character: from), end: LSPPosition(line: line, character: to))
    }

    /// A Neovim buffer at version 3 holding `ab`, in step with the session.
    static func inStep() -> EditorSync {
        EditorSync(editorText: "ab\n", version: 3, documentText: "ab\n", encoding: .utf16, traits: .neovim)
    }

    @Test func editsForNeovimsOwnHandlerEndWithTheSeal() throws {
        var sync = Self.inStep()
        let edit = try #require(try sync.applyRemote(.replacing(2..<2, with: "<n", in: 3)))
        // First in the list, so that Neovim (from the last start, then the last index) applies it last.
        #expect(edit.edits == [EditorSync.seal, LSPTextEdit(range: Self.range(2, 2), newText: "<n")])
        var strict = EditorSync(editorText: "ab\n", version: 3, documentText: "ab\n", encoding: .utf16, traits: .strict)
        let plain = try #require(try strict.applyRemote(.replacing(2..<2, with: "<n", in: 3)))
        #expect(plain.edits == [LSPTextEdit(range: Self.range(2, 2), newText: "<n")])
    }

    /// The user typed `<n` where the peer's `<n` goes, then `0`: Neovim skipped the edit and
    /// said it applied it. Both `<n` are kept, and the peer's is sent again.
    @Test func typingTheTextOfASkippedEditIsNotItsEcho() throws {
        var sync = Self.inStep()
        let edit = try #require(try sync.applyRemote(.replacing(2..<2, with: "<n", in: 3)))
        var typed: [TextOperation] = []
        func take(_ reaction: EditorSync.Reaction) { if let local = reaction.local { typed.append(local) } }
        take(try sync.didChange(version: 4, changes: [(Self.range(2, 2), "<n")]))
        #expect(typed.isEmpty, "held until the changes prove what they are")
        take(try sync.applyEditResponse(id: edit.id, applied: true))
        let reaction = try sync.didChange(version: 5, changes: [(Self.range(4, 4), "0")])
        take(reaction)
        let again = try #require(reaction.send, "the skipped edit goes out again")
        #expect(again.version == 5 && again.edits.first == EditorSync.seal)
        #expect(sync.document.description == "ab<n0<n\n" || sync.document.description == "ab<n<n0\n")
        #expect(sync.document.description.components(separatedBy: "<n").count == 3)
        #expect(typed.count == 1)
        // Neovim applies it this time: the insertion, then the seal's empty change.
        let insertion = try #require(again.edits.last)
        take(try sync.didChange(version: 6, changes: [(insertion.range, insertion.newText)]))
        take(try sync.didChange(version: 7, changes: [(Self.range(0, 0), "")]))
        take(try sync.applyEditResponse(id: again.id, applied: true))
        #expect(sync.isInStep && sync.editor == sync.document && typed.count == 1)
    }

    /// The applied edit's echo is its changes and the seal's; typing after it is the user's.
    @Test func theEchoEndsWithTheSealAndTypingFollows() throws {
        var sync = Self.inStep()
        let edit = try #require(try sync.applyRemote(.replacing(2..<2, with: "<n", in: 3)))
        #expect(try sync.didChange(version: 4, changes: [(Self.range(2, 2), "<n")]).local == nil)
        #expect(try sync.didChange(version: 5, changes: [(Self.range(0, 0), "")]).local == nil)
        _ = try sync.applyEditResponse(id: edit.id, applied: true)
        #expect(sync.isInStep)
        let reaction = try sync.didChange(version: 6, changes: [(Self.range(4, 4), "x")])
        #expect(reaction.local != nil && reaction.send == nil)
        #expect(sync.document.description == "ab<nx\n" && sync.editor == sync.document)
    }

    /// Debounced: the echo and typing after it in one report, after the answer.
    @Test func aDebouncedEchoWithTypingInOneReport() throws {
        var sync = Self.inStep()
        let edit = try #require(try sync.applyRemote(.replacing(2..<2, with: "\n", in: 3)))
        _ = try sync.applyEditResponse(id: edit.id, applied: true)
        let reaction = try sync.didChange(version: 6, changes: [(Self.range(2, 2), "\n"), (Self.range(0, 0), ""),
                                                                 (LSPRange(start: LSPPosition(line: 1, character: 0), end: LSPPosition(line: 1, character: 0)), "\n")])
        #expect(reaction.local != nil && reaction.send == nil)
        #expect(sync.document.description == "ab\n\n\n" && sync.isInStep)
    }

    /// Randomized, for every versioned editor kind of ``EditorModel``: a peer's text arrives
    /// just after the user typed the very same text at the same place, then the user types
    /// `z`. Both copies and the `z` end up everywhere, once each (the two copies are equal, so
    /// only where `z` lands depends on the tie). `MESH_LSP_SEED` replays one seed.
    @Test(arguments: EditorModel.Kind.versioned)
    func twinTypingIsKeptExactlyOnce(kind: EditorModel.Kind) throws {
        let only = ProcessInfo.processInfo.environment["MESH_LSP_SEED"].flatMap(UInt64.init)
        for seed in only.map({ [$0] }) ?? Array(0..<UInt64(2_000)) {
            do { try twins(kind: kind, seed: seed) } catch {
                Issue.record("\(kind) seed \(seed) (MESH_LSP_SEED=\(seed)): \(error)")
                return
            }
        }
    }

    struct Mismatch: Error, CustomStringConvertible { let description: String }

    func twins(kind: EditorModel.Kind, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let pieces = [" ", "é", "😀", "ab", "\n", "\r\n", "<n", "x", "}"]
        let initial = (0..<rng.int(1...8)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        let encoding = [PositionEncoding.utf16, .utf8, .utf32].randomElement(using: &rng)!
        var editor = EditorModel(kind: kind, text: initial, encoding: encoding)
        var sync = EditorSync(editorText: initial, version: editor.version, documentText: initial, encoding: encoding, traits: kind.traits)
        func read() throws {
            while let report = editor.nextReport() {
                let reaction: EditorSync.Reaction
                switch report {
                case let .didChange(version, changes): reaction = try sync.didChange(version: version, changes: changes.map { ($0.range, $0.text) })
                case let .answer(id, applied): reaction = try sync.applyEditResponse(id: id, applied: applied)
                }
                if let send = reaction.send { editor.inbox.append(send) }
            }
        }
        func drain() throws {
            var rounds = 0
            while !(editor.isQuiet && sync.isInStep) {
                rounds += 1
                guard rounds < 100 else { throw Mismatch(description: "no quiet: editor \(editor.text), bridge \(sync.editor)") }
                editor.handleApplyEdit(rng: &rng)
                editor.flush()
                try read()
            }
        }
        // A first edit in step, so that the buffer's version is one the editor checks.
        if let first = try sync.applyRemote(.replacing(0..<0, with: "a", in: initial.unicodeScalars.count)) { editor.inbox.append(first) }
        try drain()
        let base = editor.text.description
        let boundaries = Tokens.boundaries(in: editor.text)
        guard let at = boundaries.randomElement(using: &rng) else { return }
        let twin = ["\n", " ", "<n", "x", "é", "}\n"].randomElement(using: &rng)!
        if let send = try sync.applyRemote(.replacing(at..<at, with: twin, in: sync.document.count)) { editor.inbox.append(send) }
        // The user's keys reach the editor before the peer's edit does.
        editor.userEdit(at..<at, twin, rng: &rng)
        if Bool.random(using: &rng) { editor.flush(); try read() }
        editor.handleApplyEdit(rng: &rng)
        try read()
        let zAt = at + twin.unicodeScalars.count
        editor.userEdit(zAt..<zAt, "z", rng: &rng)
        editor.flush()
        try read()
        try drain()
        var scalars = Array(base.unicodeScalars)
        let prefix = String(String.UnicodeScalarView(scalars[..<at])), suffix = String(String.UnicodeScalarView(scalars[at...]))
        scalars.removeAll()
        let allowed = [prefix + twin + twin + "z" + suffix, prefix + twin + "z" + twin + suffix]
        let text = editor.text.description
        guard editor.text == sync.document, allowed.contains(text) else {
            throw Mismatch(description: "\(String(reflecting: twin)) at \(at) of \(String(reflecting: base)): editor \(String(reflecting: text)), document \(String(reflecting: sync.document.description))")
        }
    }
}
