import Foundation
import Testing
@testable import MeshOT

@Suite struct TextOperationTests {
    @Test func buildingKeepsNormalForm() {
        var op = TextOperation()
        op.retain(0)
        op.insert("")
        op.delete(0)
        #expect(op.components.isEmpty)
        op.retain(2)
        op.retain(3)
        op.delete(1)
        op.insert("x")   // goes before the adjacent delete
        op.insert("y")
        op.delete(2)
        #expect(op.components == [.retain(5), .insert("xy"), .delete(3)])
        #expect(op.baseLength == 8)
        #expect(op.targetLength == 7)
    }

    @Test func sameEffectMeansEqual() {
        let a = TextOperation([.retain(1), .delete(2), .insert("é")])
        let b = TextOperation([.retain(1), .insert("é"), .delete(1), .delete(1)])
        #expect(a == b)
    }

    @Test(arguments: [
        ("", TextOperation([.insert("😀")]), "😀"),
        ("😀x", TextOperation([.delete(1), .retain(1)]), "x"),
        ("a😀b", TextOperation([.retain(2), .insert("中文"), .retain(1)]), "a😀中文b"),
        ("e\u{301}", TextOperation([.retain(1), .delete(1), .insert("\u{300}")]), "e\u{300}"),
        ("a\r\nb", TextOperation([.retain(2), .insert("x"), .retain(2)]), "a\rx\nb"),
        ("a\rb", TextOperation([.retain(1), .delete(1), .retain(1)]), "ab"),
        ("line\n", TextOperation([.retain(5), .insert("next")]), "line\nnext"),
        ("line", TextOperation([.retain(4), .insert("\n")]), "line\n"),
        ("", TextOperation(), ""),
    ])
    func applyCountsScalars(base: String, op: TextOperation, expected: String) throws {
        #expect(try op.apply(to: base) == expected)
        var buffer = TextBuffer(base)
        try op.apply(to: &buffer)
        #expect(buffer.description == expected)
    }

    @Test func applyRefusesWrongLength() {
        let op = TextOperation([.retain(3), .insert("x")])
        #expect(throws: OTError.baseLengthMismatch(expected: 3, actual: 2)) { try op.apply(to: "😀a") }
        var buffer = TextBuffer("abcd")
        #expect(throws: OTError.baseLengthMismatch(expected: 3, actual: 4)) { try op.apply(to: &buffer) }
        #expect(buffer.description == "abcd")
    }

    @Test func composeChainsEdits() throws {
        let a = TextOperation([.retain(1), .insert("😀"), .retain(2)])     // "abc" -> "a😀bc"
        let b = TextOperation([.delete(2), .retain(1), .insert("中"), .retain(1)]) // -> "b中c"
        let ab = try a.compose(b)
        #expect(try ab.apply(to: "abc") == "b中c")
        #expect(ab == TextOperation([.delete(1), .retain(1), .insert("中"), .retain(1)]))
        #expect(throws: OTError.baseLengthMismatch(expected: 3, actual: 4)) { try a.compose(a) }
    }

    @Test func transformOrdersSameSpotInsertsByPriority() throws {
        let a = TextOperation([.retain(1), .insert("A"), .retain(1)])
        let b = TextOperation([.retain(1), .insert("B"), .retain(1)])
        let (a1, b1) = try TextOperation.transform(a, b, priority: .left)
        #expect(try b1.apply(to: a.apply(to: "xy")) == "xABy")
        #expect(try a1.apply(to: b.apply(to: "xy")) == "xABy")
        let (a2, b2) = try TextOperation.transform(a, b, priority: .right)
        #expect(try b2.apply(to: a.apply(to: "xy")) == "xBAy")
        #expect(try a2.apply(to: b.apply(to: "xy")) == "xBAy")
    }

    @Test func transformOverlappingDeletes() throws {
        let a = TextOperation([.retain(1), .delete(3), .retain(1)])    // "a😀中b c" minus 1..<4
        let b = TextOperation([.retain(2), .delete(3)])
        let (a1, b1) = try TextOperation.transform(a, b)
        let text = "a😀中bc"
        #expect(try b1.apply(to: a.apply(to: text)) == "a")
        #expect(try a1.apply(to: b.apply(to: text)) == "a")
    }

    @Test func invertRestoresAstralAndCRLF() throws {
        let base = "x😀\r\ny"
        let op = TextOperation([.retain(1), .delete(3), .insert("中"), .retain(1)])
        let after = try op.apply(to: base)
        #expect(after == "x中y")
        #expect(try op.inverted(against: base).apply(to: after) == base)
    }

    @Test func compactJSONForm() throws {
        let op = TextOperation([.retain(5), .insert("a😀"), .delete(3), .retain(1)])
        let data = try JSONEncoder().encode(op)
        #expect(String(decoding: data, as: UTF8.self) == #"[5,"a😀",-3,1]"#)
        #expect(try JSONDecoder().decode(TextOperation.self, from: data) == op)
    }

    @Test(arguments: [#"[0]"#, #"[""]"#, #"[1.5]"#, #"[true]"#, #"{"retain":1}"#, #"[[1]]"#])
    func malformedJSONIsRefused(json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TextOperation.self, from: Data(json.utf8))
        }
    }

    @Test func cursorStickiness() {
        let op = TextOperation([.retain(2), .insert("xyz"), .retain(2)])
        #expect(op.transform(offset: 2, stickiness: .before) == 2)
        #expect(op.transform(offset: 2, stickiness: .after) == 5)
        #expect(op.transform(offset: 1, stickiness: .after) == 1)
        #expect(op.transform(offset: 3, stickiness: .before) == 6)
        let delete = TextOperation([.retain(1), .delete(2), .retain(1)])
        #expect(delete.transform(offset: 2, stickiness: .after) == 1)
        #expect(delete.transform(offset: 4, stickiness: .after) == 2)
    }

    @Test func selectionDoesNotSwallowEdgeTyping() {
        let selection = Selection([.init(anchor: 1, head: 3), .init(anchor: 4, head: 2), .cursor(3)])
        let typeAtEdges = TextOperation([.retain(1), .insert("<"), .retain(2), .insert(">"), .retain(2)])
        let moved = selection.transformed(by: typeAtEdges)
        #expect(moved.ranges[0] == .init(anchor: 2, head: 4))
        #expect(moved.ranges[1] == .init(anchor: 6, head: 3))
        #expect(moved.ranges[2] == .cursor(5))
    }

    /// An annotation on "bc" of "abcd": typing inside it widens it, typing at its edges does not,
    /// and deleting it all leaves an empty range where it was.
    @Test func annotatedRangeKeepsWhatIsTypedInsideIt() {
        let inside = TextOperation([.retain(2), .insert("X"), .retain(2)])
        #expect(Selection.annotatedRange(from: 1, to: 3, through: inside) == (1, 4))
        let atEdges = TextOperation([.retain(1), .insert("<"), .retain(2), .insert(">"), .retain(1)])
        #expect(Selection.annotatedRange(from: 1, to: 3, through: atEdges) == (2, 4))
        let deleted = TextOperation([.retain(1), .delete(2), .retain(1)])
        #expect(Selection.annotatedRange(from: 1, to: 3, through: deleted) == (1, 1))
    }
}
