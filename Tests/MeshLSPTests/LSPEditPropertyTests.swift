@testable import MeshLSP
import MeshOT
import MeshTestSupport
import Testing

/// An LSP content change becomes an operation, and an operation becomes LSP text edits, without
/// changing what the edit does — in all three position encodings.
@Suite struct LSPEditPropertyTests {
    /// Neovim reports joining two lines as replacing "\nline" with "line". Taken literally, two
    /// users doing it at once would each re-insert the line; only the newline is an edit.
    @Test func aWideReplacementIsOnlyWhatChanged() throws {
        let text = "\nrace line 🎉 中文 end\nnext\n"
        let buffer = TextBuffer(text)
        let wide = LSPRange(start: .init(line: 0, character: 0), end: .init(line: 1, character: 22))
        let op = buffer.operation(replacing: wide, with: "race line 🎉 中文 end", encoding: .utf16)
        #expect(op == TextOperation([.delete(1), .retain(text.unicodeScalars.count - 1)]))
        // Two editors join the same lines concurrently: the line is there once.
        let (a, b) = try TextOperation.transform(op, op)
        #expect(try b.apply(to: try op.apply(to: text)) == "race line 🎉 中文 end\nnext\n")
        #expect(try a.apply(to: try op.apply(to: text)) == "race line 🎉 中文 end\nnext\n")
    }

    @Test(arguments: PositionEncoding.allCases)
    func didChangeToOperationToTextEditsReproducesTheEdit(encoding: PositionEncoding) throws {
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let text = randomText(maxPieces: 14, using: &rng)
            let naive = NaiveText(text)
            let buffer = TextBuffer(text)
            // A random range given as LSP positions, possibly past line ends (they clamp).
            let lines = naive.lineStarts.count
            func randomPosition() -> LSPPosition {
                LSPPosition(line: Int.random(in: 0...lines, using: &rng), character: Int.random(in: 0...6, using: &rng))
            }
            var (p, q) = (randomPosition(), randomPosition())
            if q < p { swap(&p, &q) }
            let inserted = randomText(maxPieces: 3, using: &rng)
            let op = buffer.operation(replacing: LSPRange(start: p, end: q), with: inserted, encoding: encoding)
            var expected = naive.scalars
            let (start, end) = (naive.offset(p, encoding), naive.offset(q, encoding))
            expected.replaceSubrange(start..<max(start, end), with: inserted.scalars)
            let expectedText = String(String.UnicodeScalarView(expected))
            #expect(try op.apply(to: text) == expectedText, "seed \(seed) \(encoding): \(p)-\(q)")

            let edits = op.textEdits(in: buffer, encoding: encoding)
            #expect(naive.applying(edits, encoding) == expectedText, "seed \(seed) \(encoding): \(edits)")
        }
    }

    /// Any operation, including one that splits a CRLF pair, survives the trip to LSP edits.
    @Test(arguments: PositionEncoding.allCases)
    func operationsBecomeEquivalentTextEdits(encoding: PositionEncoding) throws {
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let text = randomText(maxPieces: 14, using: &rng)
            let op = randomOperation(length: text.unicodeScalars.count, using: &rng)
            let edits = op.textEdits(in: TextBuffer(text), encoding: encoding)
            for (earlier, later) in zip(edits, edits.dropFirst()) {
                #expect(earlier.range.end <= later.range.start, "seed \(seed): overlapping \(edits)")
            }
            #expect(NaiveText(text).applying(edits, encoding) == (try op.apply(to: text)), "seed \(seed): \(op)")
        }
    }

    @Test func fullTextChangeBecomesASmallOperation() {
        let buffer = TextBuffer("hello 😀 world\r\n")
        let op = buffer.operation(replacing: nil, with: "hello 😀 brave world\r\n", encoding: .utf16)
        #expect(op == TextOperation([.retain(8), .insert("brave "), .retain(7)]))
        #expect(buffer.operation(replacingAllWith: buffer.description).isNoop)
    }

    @Test func editSplittingCRLFIsWidened() {
        let buffer = TextBuffer("a\r\nb")
        let op = TextOperation([.retain(2), .insert("x"), .retain(2)])
        let edits = op.textEdits(in: buffer, encoding: .utf16)
        #expect(edits == [LSPTextEdit(range: LSPRange(start: .init(line: 0, character: 1), end: .init(line: 1, character: 0)),
                                      newText: "\rx\n")])
    }

    /// Neovim's `apply_text_edits` turns an edit at the position after the final line break
    /// into whole lines, or clamps it and deletes the last line: edits that reach the end of a
    /// text ending with a line break are made before that line break instead, with the same
    /// result (the append-at-end bug of issue 13).
    @Test func editsAtTheEndStayBeforeTheFinalLineBreak() throws {
        func edits(_ text: String, _ op: TextOperation) throws -> [LSPTextEdit] {
            let edits = op.textEdits(in: TextBuffer(text), encoding: .utf16)
            #expect(NaiveText(text).applying(edits, .utf16) == (try op.apply(to: text)))
            return edits
        }
        func edit(_ l1: Int, _ c1: Int, _ l2: Int, _ c2: Int, _ text: String) -> LSPTextEdit {
            LSPTextEdit(range: LSPRange(start: .init(line: l1, character: c1), end: .init(line: l2, character: c2)), newText: text)
        }
        // A line appended after the last one.
        #expect(try edits("a\nbc\n", .replacing(5..<5, with: "x()\n", in: 5)) == [edit(1, 2, 1, 2, "\nx()")])
        #expect(try edits("a\r\nbc\r\n", .replacing(7..<7, with: "x\r\n", in: 7)) == [edit(1, 2, 1, 2, "\r\nx")])
        // The last line deleted.
        #expect(try edits("a\nbc\n", .replacing(2..<5, with: "", in: 5)) == [edit(0, 1, 1, 2, "")])
        // The last line replaced.
        #expect(try edits("a\nbc\n", .replacing(2..<5, with: "d\n", in: 5)) == [edit(1, 0, 1, 2, "d")])
        // Text without a final line break after the edit, or none at all: as it was.
        #expect(try edits("a\nbc\n", .replacing(5..<5, with: "x", in: 5)) == [edit(2, 0, 2, 0, "x")])
        #expect(try edits("a\nbc", .replacing(4..<4, with: "x\n", in: 4)) == [edit(1, 2, 1, 2, "x\n")])
        // Everything deleted: nothing before it to move to.
        #expect(try edits("a\n", .replacing(0..<2, with: "", in: 2)) == [edit(0, 0, 1, 0, "")])
    }
}
