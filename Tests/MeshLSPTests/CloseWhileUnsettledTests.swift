import MeshOT
import Testing
@testable import MeshLSP

/// A buffer closed while an `applyEdit` of the bridge is unsettled: no answer or report will
/// settle it, so what the editor reported since is settled from the reports alone
/// (``EditorSync/close()``). The user's typing in that window reaches the document exactly
/// once, and the remote edit is neither doubled nor undone.
@Suite struct CloseWhileUnsettledTests {
    static func insert(_ text: String, at character: Int) -> (range: LSPRange?, text: String) {
        let at = LSPPosition(line: 0, character: character)
        return (LSPRange(start: at, end: at), text)
    }

    /// "abc" in the editor and the session; a peer's "R" at the start goes to the editor.
    static func syncWithRemoteEdit(_ traits: EditorTraits) throws -> (EditorSync, EditorSync.Outgoing) {
        var sync = EditorSync(editorText: "abc", version: 1, documentText: "abc", encoding: .utf16, traits: traits, firstEditID: 1)
        let edit = try #require(try sync.applyRemote(.replacing(0..<0, with: "R", in: 3)))
        return (sync, edit)
    }

    @Test(arguments: [EditorTraits.strict, .neovim, .unversioned])
    func typingBeforeTheEditArrivedIsKept(_ traits: EditorTraits) throws {
        var (sync, _) = try Self.syncWithRemoteEdit(traits)
        // The user types "X" at the end; the editor has not applied the edit yet, nor answered.
        let reaction = try sync.didChange(version: 10, changes: [Self.insert("X", at: 3)])
        let typed = [reaction.local, try sync.close()].compactMap { $0 }
        #expect(typed == [.replacing(4..<4, with: "X", in: 4)], "\(traits)")
        #expect(sync.document.description == "RabcX", "\(traits)")
    }

    @Test func typingAfterTheEchoBeforeTheAnswerIsKept() throws {
        var (sync, _) = try Self.syncWithRemoteEdit(.strict)
        _ = try sync.didChange(version: 2, changes: [Self.insert("R", at: 0)])   // the echo
        let reaction = try sync.didChange(version: 3, changes: [Self.insert("X", at: 4)])   // typing; no answer yet
        #expect(reaction.local == nil, "held until the edit settles")
        #expect(try sync.close() == .replacing(4..<4, with: "X", in: 4))
        #expect(sync.document.description == "RabcX")
    }

    /// Neovim reports its echo a change at a time: closed halfway through it, nothing was typed.
    @Test func halfAnEchoIsNoTyping() throws {
        var (sync, _) = try Self.syncWithRemoteEdit(.neovim)
        let reaction = try sync.didChange(version: 2, changes: [Self.insert("R", at: 0)])
        #expect(reaction.local == nil)
        #expect(try sync.close() == nil)
        #expect(sync.document.description == "Rabc")
    }

    /// Answered `applied: true` and closed before the echo was reported: nothing typed.
    @Test(arguments: [EditorTraits.strict, .unversioned])
    func anAnsweredEditWithoutItsEchoIsNoTyping(_ traits: EditorTraits) throws {
        var (sync, edit) = try Self.syncWithRemoteEdit(traits)
        #expect(try sync.applyEditResponse(id: edit.id, applied: true).local == nil)
        #expect(try sync.close() == nil)
        #expect(sync.document.description == "Rabc")
    }
}
