import MeshOT
import Testing
@testable import MeshLSP

/// An answer to an `applyEdit` is routed by the document's URI and the edit's id. A buffer
/// closed and opened again gets a new sync; an answer to the old sync's edit still on its way
/// must name an id the new one never sent, or it would settle the new edit with the old answer.
@Suite struct EditIDTests {
    @Test func aSyncNumbersItsEditsFromItsOwnFirstID() throws {
        let first = 1 << 32 | 1
        var sync = EditorSync(editorText: "ab", version: 1, documentText: "ab", encoding: .utf16, traits: .strict, firstEditID: first)
        let one = try #require(try sync.applyRemote(.replacing(1..<1, with: "X", in: 2)))
        #expect(one.id == first)
        _ = try sync.didChange(version: 2, changes: [(LSPRange(start: .init(line: 0, character: 1), end: .init(line: 0, character: 1)), "X")])
        _ = try sync.applyEditResponse(id: one.id, applied: true)
        let two = try #require(try sync.applyRemote(.replacing(0..<0, with: "Y", in: 3)))
        #expect(two.id == first + 1)
        // The same buffer's next sync (closed and opened again) answers nothing of the old one's.
        var reopened = EditorSync(editorText: "aXb", version: 3, documentText: "aXbZ", encoding: .utf16, traits: .strict,
                                  firstEditID: 2 << 32 | 1)
        let initial = reopened.initialEdit()
        let fresh = try #require(initial)
        #expect(fresh.id != one.id && fresh.id != two.id)
        let stale = try reopened.applyEditResponse(id: one.id, applied: false)
        #expect(stale.local == nil && stale.send == nil, "an old sync's answer settled the new sync's edit")
    }

    /// The bridge gives each sync it makes its own range.
    @Test func theBridgesSyncsNeverShareAnID() throws {
        var bridge = DocumentBridge(settings: EditorSettings(), editor: EditorChannel { _ in }, background: BackgroundWork())
        var ids: Set<Int> = []
        for _ in 0..<3 {
            var sync = bridge.newSync(editorText: "a", version: 1, documentText: "ab")
            let initial = sync.initialEdit()
            let first = try #require(initial)
            _ = try sync.didChange(version: 2, changes: [(LSPRange(start: .init(line: 0, character: 1), end: .init(line: 0, character: 1)), "b")])
            _ = try sync.applyEditResponse(id: first.id, applied: true)
            let second = try #require(try sync.applyRemote(.replacing(0..<0, with: "c", in: 2)))
            #expect(ids.insert(first.id).inserted && ids.insert(second.id).inserted, "an id two syncs share: \(ids)")
        }
    }
}
