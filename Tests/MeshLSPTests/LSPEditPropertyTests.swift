import MeshLSP
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
}
