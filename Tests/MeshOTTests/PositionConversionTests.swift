import Testing
@testable import MeshOT
import MeshTestSupport

/// The obvious O(n) computation of line / character positions over an array of scalars, to
/// check the rope against.
private struct ReferenceLines {
    let scalars: [Unicode.Scalar]
    /// For every line: the scalar offset where it starts and where its text ends (before its break).
    let lines: [(start: Int, end: Int)]

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
        var lines: [(start: Int, end: Int)] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\r" || scalars[i] == "\n" {
                let breakLength = scalars[i] == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" ? 2 : 1
                lines.append((start, i))
                i += breakLength
                start = i
            } else {
                i += 1
            }
        }
        lines.append((start, scalars.count))
        self.lines = lines
    }

    func units(_ range: Range<Int>, _ encoding: PositionEncoding) -> Int {
        scalars[range].reduce(0) { $0 + encoding.width(of: $1) }
    }

    func position(_ offset: Int, _ encoding: PositionEncoding) -> TextPosition {
        var offset = offset
        if offset > 0, offset < scalars.count, scalars[offset - 1] == "\r", scalars[offset] == "\n" { offset -= 1 }
        let line = lines.lastIndex { $0.start <= offset }!
        return TextPosition(line: line, character: units(lines[line].start..<offset, encoding))
    }

    func offset(_ position: TextPosition, _ encoding: PositionEncoding) -> Int {
        if position.line < 0 { return 0 }
        if position.line >= lines.count { return scalars.count }
        let (start, end) = lines[position.line]
        var offset = start
        var units = 0
        while offset < end {
            let width = encoding.width(of: scalars[offset])
            if units + width > position.character { break }
            units += width
            offset += 1
        }
        return offset
    }

    func isInsideCRLF(_ offset: Int) -> Bool {
        offset > 0 && offset < scalars.count && scalars[offset - 1] == "\r" && scalars[offset] == "\n"
    }
}

private func pos(_ line: Int, _ character: Int) -> TextPosition { TextPosition(line: line, character: character) }

@Suite struct PositionConversionTests {
    // MARK: Fixed cases

    @Test func emptyText() {
        let buffer = TextBuffer()
        for encoding in PositionEncoding.allCases {
            #expect(buffer.textPosition(at: 0, encoding: encoding) == pos(0, 0))
            #expect(buffer.offset(at: pos(0, 0), encoding: encoding) == 0)
            #expect(buffer.offset(at: pos(0, 7), encoding: encoding) == 0)
            #expect(buffer.offset(at: pos(3, 2), encoding: encoding) == 0)
        }
        #expect(buffer.lineStartOffset(0) == 0)
        #expect(buffer.lineEndOffset(0) == 0)
        #expect(buffer.lineStartOffset(5) == 0)
        #expect(buffer.lineEndOffset(5) == 0)
    }

    @Test func astralCharactersInEachEncoding() {
        let buffer = TextBuffer("a😀b𝄞c")
        // offset 2 is after the emoji, 4 after the clef.
        #expect(buffer.textPosition(at: 2, encoding: .utf16) == pos(0, 3))
        #expect(buffer.textPosition(at: 2, encoding: .utf8) == pos(0, 5))
        #expect(buffer.textPosition(at: 2, encoding: .utf32) == pos(0, 2))
        #expect(buffer.textPosition(at: 4, encoding: .utf16) == pos(0, 6))
        #expect(buffer.textPosition(at: 4, encoding: .utf8) == pos(0, 10))
        #expect(buffer.offset(at: pos(0, 3), encoding: .utf16) == 2)
        #expect(buffer.offset(at: pos(0, 2), encoding: .utf16) == 1)  // between the surrogates: rounds down
        #expect(buffer.offset(at: pos(0, 5), encoding: .utf16) == 3)  // inside 𝄞
        for inside in 2...4 {  // inside the emoji's four UTF-8 bytes
            #expect(buffer.offset(at: pos(0, inside), encoding: .utf8) == 1)
        }
        #expect(buffer.offset(at: pos(0, 5), encoding: .utf8) == 2)
        #expect(buffer.offset(at: pos(0, 4), encoding: .utf32) == 4)
        #expect(buffer.offset(at: pos(0, 99), encoding: .utf16) == 5)
    }

    @Test func combiningMarks() {
        let buffer = TextBuffer("e\u{301}x\nÉ")
        #expect(buffer.textPosition(at: 1, encoding: .utf16) == pos(0, 1))  // between e and the accent
        #expect(buffer.textPosition(at: 2, encoding: .utf8) == pos(0, 3))
        #expect(buffer.textPosition(at: 5, encoding: .utf8) == pos(1, 2))
        #expect(buffer.offset(at: pos(0, 2), encoding: .utf8) == 1)  // inside the accent's 2 bytes
        #expect(buffer.offset(at: pos(1, 1), encoding: .utf8) == 4)  // inside É
    }

    @Test func cjk() {
        let buffer = TextBuffer("中文\n字")
        #expect(buffer.textPosition(at: 2, encoding: .utf8) == pos(0, 6))
        #expect(buffer.textPosition(at: 2, encoding: .utf16) == pos(0, 2))
        #expect(buffer.textPosition(at: 4, encoding: .utf8) == pos(1, 3))
        #expect(buffer.offset(at: pos(0, 4), encoding: .utf8) == 1)
        #expect(buffer.offset(at: pos(1, 1), encoding: .utf16) == 4)
    }

    @Test func crlf() {
        let buffer = TextBuffer("ab\r\ncd\r\n")
        #expect(buffer.lineCount == 3)
        #expect(buffer.textPosition(at: 2, encoding: .utf16) == pos(0, 2))
        #expect(buffer.textPosition(at: 3, encoding: .utf16) == pos(0, 2))  // between \r and \n
        #expect(buffer.textPosition(at: 4, encoding: .utf16) == pos(1, 0))
        #expect(buffer.textPosition(at: 7, encoding: .utf16) == pos(1, 2))  // between \r and \n
        #expect(buffer.textPosition(at: 8, encoding: .utf16) == pos(2, 0))
        #expect(buffer.offset(at: pos(0, 3), encoding: .utf16) == 2)  // past the line end: before \r
        #expect(buffer.offset(at: pos(0, 100), encoding: .utf8) == 2)
        #expect(buffer.offset(at: pos(1, 1), encoding: .utf8) == 5)
        #expect(buffer.offset(at: pos(2, 0), encoding: .utf8) == 8)
        #expect(buffer.offset(at: pos(2, 5), encoding: .utf8) == 8)
        #expect(buffer.lineStartOffset(1) == 4)
        #expect(buffer.lineEndOffset(0) == 2)
        #expect(buffer.lineEndOffset(1) == 6)
        #expect(buffer.lineStartOffset(2) == 8)
        #expect(buffer.lineEndOffset(2) == 8)
    }

    @Test func loneCarriageReturn() {
        let buffer = TextBuffer("a\rb\r")
        #expect(buffer.lineCount == 3)
        #expect(buffer.textPosition(at: 1, encoding: .utf8) == pos(0, 1))
        #expect(buffer.textPosition(at: 2, encoding: .utf8) == pos(1, 0))
        #expect(buffer.textPosition(at: 4, encoding: .utf8) == pos(2, 0))
        #expect(buffer.offset(at: pos(1, 9), encoding: .utf8) == 3)
        #expect(buffer.lineStartOffset(1) == 2)
        #expect(buffer.lineEndOffset(1) == 3)
    }

    @Test func mixedLineEndings() {
        let buffer = TextBuffer("a\nb\r\nc\rd\n\re")
        // lines: "a" \n "b" \r\n "c" \r "d" \n "" \r "e"
        #expect(buffer.lineCount == 6)
        let starts = [0, 2, 5, 7, 9, 10]
        let ends = [1, 3, 6, 8, 9, 11]
        for line in 0..<6 {
            #expect(buffer.lineStartOffset(line) == starts[line], "line \(line)")
            #expect(buffer.lineEndOffset(line) == ends[line], "line \(line)")
            #expect(buffer.offset(at: pos(line, 0), encoding: .utf16) == starts[line], "line \(line)")
            #expect(buffer.offset(at: pos(line, 50), encoding: .utf16) == ends[line], "line \(line)")
            #expect(buffer.textPosition(at: starts[line], encoding: .utf16) == pos(line, 0), "line \(line)")
        }
        #expect(buffer.textPosition(at: 4, encoding: .utf8) == pos(1, 1))  // inside \r\n
    }

    @Test func trailingNewlineOrNot() {
        let with = TextBuffer("abc\n")
        let without = TextBuffer("abc")
        #expect(with.lineCount == 2)
        #expect(without.lineCount == 1)
        #expect(with.textPosition(at: 4, encoding: .utf16) == pos(1, 0))
        #expect(without.textPosition(at: 3, encoding: .utf16) == pos(0, 3))
        #expect(with.offset(at: pos(1, 0), encoding: .utf16) == 4)
        #expect(with.offset(at: pos(1, 3), encoding: .utf16) == 4)
        #expect(without.offset(at: pos(1, 0), encoding: .utf16) == 3)  // past the last line
        #expect(with.lineEndOffset(0) == 3)
        #expect(with.lineStartOffset(1) == 4)
        #expect(without.lineStartOffset(1) == 3)
    }

    @Test func clamping() {
        let buffer = TextBuffer("hello\nworld")
        for encoding in PositionEncoding.allCases {
            #expect(buffer.offset(at: pos(0, 99), encoding: encoding) == 5)
            #expect(buffer.offset(at: pos(1, 99), encoding: encoding) == 11)
            #expect(buffer.offset(at: pos(2, 0), encoding: encoding) == 11)
            #expect(buffer.offset(at: pos(99, 99), encoding: encoding) == 11)
            #expect(buffer.offset(at: pos(1, Int.max), encoding: encoding) == 11)
            #expect(buffer.offset(at: pos(Int.max, 0), encoding: encoding) == 11)
            #expect(buffer.offset(at: pos(1, -4), encoding: encoding) == 6)
            #expect(buffer.offset(at: pos(-1, 3), encoding: encoding) == 0)
            #expect(buffer.textPosition(at: -3, encoding: encoding) == pos(0, 0))
            #expect(buffer.textPosition(at: 99, encoding: encoding) == pos(1, 5))
        }
        #expect(buffer.lineStartOffset(-2) == 0)
        #expect(buffer.lineEndOffset(-2) == 5)
        #expect(buffer.lineStartOffset(2) == 11)
        #expect(buffer.lineEndOffset(2) == 11)
        #expect(buffer.lineStartOffset(.max) == 11)
        #expect(buffer.lineEndOffset(.max) == 11)
        #expect(buffer.lineStartOffset(.min) == 0)
        #expect(buffer.lineEndOffset(.min) == 5)
        #expect(buffer.offset(at: pos(.min, .min), encoding: .utf8) == 0)
        #expect(buffer.offset(at: pos(0, .min), encoding: .utf8) == 0)
        #expect(buffer.textPosition(at: .max, encoding: .utf8) == pos(1, 5))
    }

    @Test func bigTextAcrossManyLeaves() {
        let line = "αβγ 😀 δ\r\n"  // 9 scalars, 10 UTF-16 units, 16 bytes
        let text = String(repeating: line, count: 10_000)
        for buffer in [TextBuffer(text), TextBuffer(text, limits: RopeLimits(maxLeafBytes: 64, maxChildren: 8))] {
            #expect(buffer.lineCount == 10_001)
            for n in stride(from: 0, to: 10_000, by: 997) {
                #expect(buffer.lineStartOffset(n) == n * 9)
                #expect(buffer.lineEndOffset(n) == n * 9 + 7)
                #expect(buffer.textPosition(at: n * 9 + 5, encoding: .utf16) == pos(n, 6))
                #expect(buffer.textPosition(at: n * 9 + 5, encoding: .utf8) == pos(n, 11))
                #expect(buffer.textPosition(at: n * 9 + 8, encoding: .utf8) == pos(n, 14))  // inside \r\n
                #expect(buffer.offset(at: pos(n, 6), encoding: .utf16) == n * 9 + 5)
                #expect(buffer.offset(at: pos(n, 5), encoding: .utf16) == n * 9 + 4)  // inside 😀
                #expect(buffer.offset(at: pos(n, 99), encoding: .utf32) == n * 9 + 7)
            }
        }
    }

    @Test func veryLongLineSpanningManyLeaves() {
        var text = String(repeating: "x😀", count: 5_000)
        text += "\nend"
        let buffer = TextBuffer(text, limits: RopeLimits(maxLeafBytes: 16, maxChildren: 4))
        #expect(buffer.textPosition(at: 9_999, encoding: .utf16) == pos(0, 14_998))
        #expect(buffer.textPosition(at: 10_004, encoding: .utf16) == pos(1, 3))
        #expect(buffer.offset(at: pos(0, 14_998), encoding: .utf16) == 9_999)
        #expect(buffer.offset(at: pos(0, 14_997), encoding: .utf16) == 9_998)
        #expect(buffer.offset(at: pos(0, 30_000), encoding: .utf8) == 10_000)
        #expect(buffer.offset(at: pos(0, 20_000), encoding: .utf8) == 8_000)
        #expect(buffer.lineEndOffset(0) == 10_000)
        #expect(buffer.lineStartOffset(1) == 10_001)
    }

    // MARK: Properties

    /// For every offset: `textPosition(at:)` matches the reference and `offset(at:)` takes it back
    /// (to before the `\r` for an offset inside `\r\n`); random positions, in range or not,
    /// convert like the reference; line starts and ends match.
    @Test(arguments: PositionEncoding.allCases)
    func conversionsMatchReference(encoding: PositionEncoding) {
        for seed in UInt64(0)..<1_000 {
            var rng = SeededRandom(seed: seed)
            let limits = [RopeLimits(maxLeafBytes: 8, maxChildren: 4), RopeLimits(maxLeafBytes: 24, maxChildren: 4), .standard][Int(seed % 3)]
            // Build the text through edits so the tree has an edited shape, not just a bulk one.
            var buffer = TextBuffer(rng.bufferText(pieces: rng.int(0...30)), limits: limits)
            for _ in 0..<rng.int(0...8) {
                let lower = rng.int(0...buffer.count)
                let upper = rng.int(lower...min(buffer.count, lower + 5))
                buffer.replace(lower..<upper, with: rng.bufferText(pieces: rng.int(0...4)))
            }
            let reference = ReferenceLines(Array(buffer.description.unicodeScalars))
            #expect(buffer.lineCount == reference.lines.count, "seed \(seed)")

            for offset in 0...reference.scalars.count {
                let position = buffer.textPosition(at: offset, encoding: encoding)
                #expect(position == reference.position(offset, encoding), "seed \(seed) \(encoding) offset \(offset)")
                let back = buffer.offset(at: position, encoding: encoding)
                let expected = reference.isInsideCRLF(offset) ? offset - 1 : offset
                #expect(back == expected, "seed \(seed) \(encoding) offset \(offset) -> \(position) -> \(back)")
            }
            for line in 0...(reference.lines.count + 1) {
                let (start, end) = line < reference.lines.count ? reference.lines[line] : (reference.scalars.count, reference.scalars.count)
                #expect(buffer.lineStartOffset(line) == start, "seed \(seed) line \(line)")
                #expect(buffer.lineEndOffset(line) == end, "seed \(seed) line \(line)")
            }
            for _ in 0..<20 {
                let position = pos(rng.int(-1...(reference.lines.count + 1)), rng.int(-1...12))
                #expect(buffer.offset(at: position, encoding: encoding) == reference.offset(position, encoding),
                        "seed \(seed) \(encoding) \(position)")
            }
        }
    }

    /// Positions stay right while the text is edited (summaries updated by deltas).
    @Test func positionsAfterEachEdit() {
        for seed in UInt64(0)..<1_000 {
            var rng = SeededRandom(seed: seed)
            var buffer = TextBuffer(rng.bufferText(pieces: 20), limits: RopeLimits(maxLeafBytes: 8, maxChildren: 4))
            for step in 0..<10 {
                let lower = rng.int(0...buffer.count)
                let upper = rng.int(lower...min(buffer.count, lower + 4))
                buffer.replace(lower..<upper, with: rng.bufferText(pieces: rng.int(0...3)))
                let reference = ReferenceLines(Array(buffer.description.unicodeScalars))
                let offset = rng.int(0...buffer.count)
                let encoding = PositionEncoding.allCases[rng.int(0...2)]
                #expect(buffer.textPosition(at: offset, encoding: encoding) == reference.position(offset, encoding),
                        "seed \(seed) step \(step) offset \(offset)")
                let line = rng.int(0...reference.lines.count)
                let position = pos(line, rng.int(0...6))
                #expect(buffer.offset(at: position, encoding: encoding) == reference.offset(position, encoding),
                        "seed \(seed) step \(step) \(position)")
            }
        }
    }
}
