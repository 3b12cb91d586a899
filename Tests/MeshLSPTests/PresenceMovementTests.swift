import MeshOT
import MeshProtocol
import Testing
@testable import MeshLSP

/// How `mesh lsp` moves the others' cursors, our own and the annotations through an edit:
/// MeshOT's rule (`Selection.transformed`), the one the server keeps its presence and
/// annotations by. Driven without a server: the bridge's `DocumentChange`s go straight in.
@Suite struct PresenceMovementTests {
    static func presence() -> Presence {
        Presence(settings: EditorSettings(), editor: EditorChannel { _ in }, background: BackgroundWork())
    }

    static func annotation(from: Int, to: Int) -> ServerMessage.Annotation {
        .init(id: "n1", path: "a.txt", parent: nil, user: "u2", name: "Bob", rev: 1, from: from, to: to, body: "look", resolved: false)
    }

    /// Where annotation `id` of `a.txt` is: `[from, to]`.
    static func range(_ presence: Presence, _ id: String) -> [Int]? {
        guard let annotation = presence.annotations["a.txt"]?[id] else { return nil }
        return [annotation.from, annotation.to]
    }

    /// A peer types at their caret: the caret goes after what they typed, at once, not at their
    /// next presence message (it lagged behind before).
    @Test func aPeersCaretFollowsTheirOwnTyping() {
        var presence = Self.presence()
        presence.remote["a.txt"] = ["u2": RemoteSelections(user: "u2", name: "Bob", selections: [.cursor(3)])]
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(3..<3, with: "xy", in: 6), byPeer: true))
        #expect(presence.remote["a.txt"]?["u2"]?.selections == [SelectionRange.cursor(5)])
        // Text typed elsewhere before it moves it; a deletion around it pulls it to the start.
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(0..<0, with: "q", in: 8), byPeer: false))
        #expect(presence.remote["a.txt"]?["u2"]?.selections == [SelectionRange.cursor(6)])
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(4..<7, with: "", in: 9), byPeer: true))
        #expect(presence.remote["a.txt"]?["u2"]?.selections == [SelectionRange.cursor(4)])
    }

    /// A selection keeps out text inserted at either end, and keeps its direction.
    @Test func aSelectionKeepsOutTextInsertedAtItsEnds() {
        var presence = Self.presence()
        presence.remote["a.txt"] = ["u2": RemoteSelections(user: "u2", name: "Bob", selections: [.init(anchor: 4, head: 2)])]
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(2..<2, with: "ab", in: 6), byPeer: true))
        #expect(presence.remote["a.txt"]?["u2"]?.selections == [SelectionRange(anchor: 6, head: 4)])
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(6..<6, with: "c", in: 8), byPeer: true))
        #expect(presence.remote["a.txt"]?["u2"]?.selections == [SelectionRange(anchor: 6, head: 4)])
        // Other documents are untouched.
        presence.remote["b.txt"] = ["u3": RemoteSelections(user: "u3", name: "Cy", selections: [.cursor(1)])]
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(0..<0, with: "z", in: 9), byPeer: true))
        #expect(presence.remote["b.txt"]?["u3"]?.selections == [SelectionRange.cursor(1)])
    }

    /// Our own cursor, moved through a peer's edit, goes where the server puts it for the others.
    @Test func ourCursorMovesAsTheServerMovesIt() {
        var presence = Self.presence()
        presence.localCursor = (path: "a.txt", selections: [SelectionRange.cursor(3), SelectionRange(anchor: 0, head: 2)])
        let peer = TextOperation.replacing(3..<3, with: "xy", in: 6)
        presence.documentChanged(.edited(path: "a.txt", operation: peer, byPeer: true))
        let server = Selection([SelectionRange.cursor(3), SelectionRange(anchor: 0, head: 2)]).transformed(by: peer).ranges
        #expect(presence.localCursor?.selections == server)
        #expect(server == [SelectionRange.cursor(5), SelectionRange(anchor: 0, head: 2)])
        // Our own edit does not move it (the bridge's `.typed` places it).
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(0..<0, with: "w", in: 8), byPeer: false))
        #expect(presence.localCursor?.selections == server)
    }

    /// Annotations move as they did (start after text inserted at it, end before, never before
    /// the start): the same rule as a selection's range, and the server's.
    @Test func annotationsKeepOutTextInsertedAtTheirEnds() {
        var presence = Self.presence()
        presence.annotations["a.txt"] = ["n1": Self.annotation(from: 2, to: 4), "n2": Self.annotation(from: 4, to: 4)]
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(4..<4, with: "xy", in: 6), byPeer: true))
        #expect(Self.range(presence, "n1") == [2, 4])
        #expect(Self.range(presence, "n2") == [6, 6])
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(2..<2, with: "z", in: 8), byPeer: true))
        #expect(Self.range(presence, "n1") == [3, 5])
        // Its text deleted: an empty range where it was.
        presence.documentChanged(.edited(path: "a.txt", operation: .replacing(1..<6, with: "", in: 9), byPeer: true))
        #expect(Self.range(presence, "n1") == [1, 1])
    }

    /// The annotation rule is the old hand-written one for every range the server sends
    /// (`from <= to`), over every insertion and deletion of a short text.
    @Test func annotationsMoveExactlyAsBefore() {
        func old(_ from: Int, _ to: Int, _ operation: TextOperation) -> [Int] {
            let movedFrom = operation.transform(offset: from, stickiness: .after)
            return [movedFrom, max(movedFrom, operation.transform(offset: to, stickiness: .before))]
        }
        let length = 6
        for from in 0...length {
            for to in from...length {
                for start in 0...length {
                    for end in start...length {
                        for inserted in ["", "k"] where !(inserted.isEmpty && start == end) {
                            let operation = TextOperation.replacing(start..<end, with: inserted, in: length)
                            let moved = Presence.moved(Self.annotation(from: from, to: to), through: operation)
                            #expect([moved.from, moved.to] == old(from, to, operation),
                                    "\(from)..<\(to) through \(start)..<\(end) → \(inserted)")
                        }
                    }
                }
            }
        }
    }
}
