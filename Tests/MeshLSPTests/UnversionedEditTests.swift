import MeshOT
import Testing
@testable import MeshLSP

/// A client that did not advertise `workspace.workspaceEdit.documentChanges` is sent `changes`,
/// which name no version: it applies them to whatever its buffer holds. When the user's typing
/// reached it first, the edit lands off its place; the bridge finds where, takes it back
/// there and sends it again, so the shared text never gets it twice, misplaced, or at the
/// cost of the user's typing.
@Suite struct UnversionedEditTests {
    static func position(_ character: Int, line: Int = 0) -> LSPPosition { LSPPosition(line: line, character: character) }
    static func range(_ from: Int, _ to: Int) -> LSPRange { LSPRange(start: position(from), end: position(to)) }

    /// What a client without versions does with an edit: every range resolved against its
    /// buffer as it is, applied from the last; the changes it reports, in order.
    static func applyUnversioned(_ outgoing: EditorSync.Outgoing, to text: inout TextBuffer) -> [(range: LSPRange?, text: String)] {
        let resolved = outgoing.edits.map { edit in
            let start = text.offset(at: edit.range.start, encoding: .utf16)
            return (start: start, end: max(start, text.offset(at: edit.range.end, encoding: .utf16)), text: edit.newText)
        }
        var changes: [(range: LSPRange?, text: String)] = []
        for edit in resolved.reversed() {
            changes.append((LSPRange(start: text.position(at: edit.start, encoding: .utf16), end: text.position(at: edit.end, encoding: .utf16)), edit.text))
            text.replace(edit.start..<edit.end, with: edit.text)
        }
        return changes
    }

    /// Which edits the bridge sends, by what the client advertised.
    @Test func theClientsCapabilityChoosesVersionedEdits() {
        #expect(EditorTraits.client(named: "Visual Studio Code", documentChanges: true, strictApplyEdit: false) == .strict)
        #expect(EditorTraits.client(named: "helix", documentChanges: true, strictApplyEdit: false).versionedEdits)
        #expect(EditorTraits.client(named: "some-editor", documentChanges: false, strictApplyEdit: false) == .unversioned)
        #expect(!EditorTraits.unversioned.versionedEdits)
        // The plugin advertises documentChanges and says its handler is strict.
        #expect(EditorTraits.client(named: "Neovim", documentChanges: true, strictApplyEdit: true) == .strict)
        #expect(EditorTraits.client(named: "Neovim", documentChanges: false, strictApplyEdit: true) == .unversioned)
        // Neovim's own handler applies documentChanges without advertising them: versioned.
        #expect(EditorTraits.client(named: "Neovim", documentChanges: false, strictApplyEdit: false) == .neovim)
        #expect(EditorTraits.neovim.versionedEdits)
    }

    /// No version to check, so no probe either: the edit goes out at once, at any version.
    @Test func noProbeWithoutVersions() throws {
        #expect(!EditorTraits.unversioned.needsProbe(atVersion: 0))
        #expect(!EditorTraits.unversioned.checks(version: 7))
        #expect(EditorTraits.neovim.needsProbe(atVersion: 0) && !EditorTraits.neovim.needsProbe(atVersion: 3))
        var sync = EditorSync(editorText: "ab", version: 0, documentText: "ab", encoding: .utf16, traits: .unversioned)
        let edit = try #require(try sync.applyRemote(.replacing(1..<1, with: "<r1>", in: 2)))
        #expect(edit.edits == [LSPTextEdit(range: Self.range(1, 1), newText: "<r1>")])
        _ = try sync.didChange(version: 1, changes: [(Self.range(1, 1), "<r1>")])
        _ = try sync.applyEditResponse(id: edit.id, applied: true)
        #expect(sync.isInStep && sync.editor.description == "a<r1>b" && sync.document.description == "a<r1>b")
    }

    /// The user typed `12` at the start of the line just before a peer's `X` arrived: the
    /// client puts `X` two characters early. The bridge takes it back there and sends it to
    /// its place; the typing after the misplaced edit is kept.
    @Test func aDisplacedInsertionIsMovedToItsPlace() throws {
        var sync = EditorSync(editorText: "abcdef", version: 1, documentText: "abcdef", encoding: .utf16, traits: .unversioned)
        var editor = TextBuffer("abcdef")
        let edit = try #require(try sync.applyRemote(.replacing(4..<4, with: "X", in: 6)))
        #expect(sync.document.description == "abcdXef")
        // Typed before the edit arrived.
        editor.replace(0..<0, with: "12")
        var reaction = try sync.didChange(version: 2, changes: [(Self.range(0, 0), "12")])
        #expect(reaction.local == nil && reaction.send == nil, "held until the edit is settled")
        // The client applies the edit to the text it has: `X` lands after `12ab`.
        let echo = Self.applyUnversioned(edit, to: &editor)
        #expect(editor.description == "12abXcdef")
        reaction = try sync.didChange(version: 3, changes: echo)
        // Typing after the misplaced edit, before the answer.
        editor.replace(9..<9, with: "Z")
        reaction = try sync.didChange(version: 4, changes: [(Self.range(9, 9), "Z")])
        reaction = try sync.applyEditResponse(id: edit.id, applied: true)

        // The user's edit is the typing alone; the shared text has `X` once, at its place.
        let local = try #require(reaction.local)
        #expect(try local.apply(to: "abcdXef") == "12abcdXefZ")
        #expect(sync.document.description == "12abcdXefZ")
        // The correction moves the editor's `X`.
        let correction = try #require(reaction.send)
        let changes = Self.applyUnversioned(correction, to: &editor)
        #expect(editor.description == "12abcdXefZ")
        _ = try sync.didChange(version: 5, changes: changes)
        let done = try sync.applyEditResponse(id: correction.id, applied: true)
        #expect(done.local == nil && done.send == nil)
        #expect(sync.isInStep && sync.editor.description == "12abcdXefZ")
    }

    /// A peer deletes `cd`; the user typed `XY` at the start first, so the client deletes
    /// `ab` instead. The bridge puts `ab` back and deletes `cd`: nothing of the user's text is
    /// lost, and the peer's deletion happens once, where the peer made it.
    @Test func aDisplacedDeletionIsTakenBackAndRedone() throws {
        var sync = EditorSync(editorText: "abcdef", version: 1, documentText: "abcdef", encoding: .utf16, traits: .unversioned)
        var editor = TextBuffer("abcdef")
        let edit = try #require(try sync.applyRemote(.replacing(2..<4, with: "", in: 6)))
        editor.replace(0..<0, with: "XY")
        _ = try sync.didChange(version: 2, changes: [(Self.range(0, 0), "XY")])
        let echo = Self.applyUnversioned(edit, to: &editor)
        #expect(editor.description == "XYcdef")
        _ = try sync.didChange(version: 3, changes: echo)
        let settled = try sync.applyEditResponse(id: edit.id, applied: true)
        #expect(sync.document.description == "XYabef")
        let local = try #require(settled.local)
        #expect(try local.apply(to: "abef") == "XYabef")
        let correction = try #require(settled.send)
        _ = try sync.didChange(version: 4, changes: Self.applyUnversioned(correction, to: &editor))
        _ = try sync.applyEditResponse(id: correction.id, applied: true)
        #expect(editor.description == "XYabef" && sync.isInStep && sync.editor == sync.document)
    }

    /// The misplaced edit can swallow the typing and still leave exactly the text it was meant
    /// to make: a peer turns the line break after `ab` into `X⏎Y` while the user types `Z` at
    /// the end of that line, and the client replaces `Z⏎` instead. The echo is one report, so
    /// the typing reported before it is not taken for part of it: `Z` survives.
    @Test func typingTheMisplacedEditSwallowedIsKept() throws {
        var sync = EditorSync(editorText: "ab\ncd", version: 1, documentText: "ab\ncd", encoding: .utf16, traits: .unversioned)
        var editor = TextBuffer("ab\ncd")
        let edit = try #require(try sync.applyRemote(.replacing(2..<3, with: "X\nY", in: 5)))
        #expect(edit.edits == [LSPTextEdit(range: LSPRange(start: Self.position(2), end: Self.position(0, line: 1)), newText: "X\nY")])
        editor.replace(2..<2, with: "Z")
        _ = try sync.didChange(version: 2, changes: [(Self.range(2, 2), "Z")])
        _ = try sync.didChange(version: 3, changes: Self.applyUnversioned(edit, to: &editor))
        #expect(editor.description == "abX\nYcd", "the text the edit was meant to make, without the typing")
        let settled = try sync.applyEditResponse(id: edit.id, applied: true)
        #expect(sync.document.description == "abZX\nYcd")
        #expect(try settled.local.map { try $0.apply(to: "abX\nYcd") } == "abZX\nYcd")
        let correction = try #require(settled.send)
        _ = try sync.didChange(version: 4, changes: Self.applyUnversioned(correction, to: &editor))
        _ = try sync.applyEditResponse(id: correction.id, applied: true)
        #expect(editor.description == "abZX\nYcd" && sync.isInStep && sync.editor == sync.document)
    }

    /// Typing on another line moves nothing: the edit lands at its place even after it, and no
    /// correction is sent.
    @Test func typingElsewhereNeedsNoCorrection() throws {
        var sync = EditorSync(editorText: "ab\ncd", version: 1, documentText: "ab\ncd", encoding: .utf16, traits: .unversioned)
        var editor = TextBuffer("ab\ncd")
        let edit = try #require(try sync.applyRemote(.replacing(1..<1, with: "X", in: 5)))
        editor.replace(4..<4, with: "typed")
        _ = try sync.didChange(version: 2, changes: [(LSPRange(start: Self.position(1, line: 1), end: Self.position(1, line: 1)), "typed")])
        _ = try sync.didChange(version: 3, changes: Self.applyUnversioned(edit, to: &editor))
        let settled = try sync.applyEditResponse(id: edit.id, applied: true)
        #expect(settled.send == nil)
        #expect(editor.description == "aXb\nctypedd" && sync.document.description == "aXb\nctypedd" && sync.isInStep)
        #expect(try settled.local.map { try $0.apply(to: "aXb\ncd") } == "aXb\nctypedd")
    }

    /// A refused unversioned edit (the client said `applied: false`) is sent again after the
    /// typing, as for any other client.
    @Test func aRefusedEditIsSentAgain() throws {
        var sync = EditorSync(editorText: "ab", version: 1, documentText: "ab", encoding: .utf16, traits: .unversioned)
        let edit = try #require(try sync.applyRemote(.replacing(2..<2, with: "X", in: 2)))
        _ = try sync.didChange(version: 2, changes: [(Self.range(0, 0), "u")])
        let refused = try sync.applyEditResponse(id: edit.id, applied: false)
        #expect(try refused.local.map { try $0.apply(to: "abX") } == "uabX")
        let again = try #require(refused.send)
        #expect(again.edits == [LSPTextEdit(range: Self.range(3, 3), newText: "X")])
    }
}
