import Foundation
import Testing
@testable import MeshOT
import MeshTestSupport

/// Node capacities small enough that short texts build deep trees with many splits and merges.
let tinyLimits = RopeLimits(maxLeafBytes: 8, maxChildren: 4)
let smallLimits = RopeLimits(maxLeafBytes: 32, maxChildren: 5)

/// Line breaks of a scalar array, the LSP 3.17 way.
private func naiveLineBreaks(_ scalars: [Unicode.Scalar]) -> Int {
    var breaks = 0
    for (i, s) in scalars.enumerated() {
        if s == "\n" {
            if i == 0 || scalars[i - 1] != "\r" { breaks += 1 }
        } else if s == "\r" {
            breaks += 1
        }
    }
    return breaks
}

/// The scalars as a `String`.
func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars)
    return String(view)
}

/// Checks everything observable about `buffer` against the naive `model`.
func expectMatches(_ buffer: TextBuffer, _ model: [Unicode.Scalar], _ context: @autoclosure () -> String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    let text = string(model)
    #expect(buffer.description == text, "\(context())", sourceLocation: sourceLocation)
    #expect(buffer.count == model.count, "\(context())", sourceLocation: sourceLocation)
    #expect(buffer.utf8Count == text.utf8.count, "\(context())", sourceLocation: sourceLocation)
    #expect(buffer.utf16Count == text.utf16.count, "\(context())", sourceLocation: sourceLocation)
    #expect(buffer.lineCount == naiveLineBreaks(model) + 1, "\(context())", sourceLocation: sourceLocation)
    #expect(buffer.isEmpty == model.isEmpty, "\(context())", sourceLocation: sourceLocation)
    let problems = buffer.invariantViolations()
    #expect(problems.isEmpty, "\(context()): \(problems.prefix(5))", sourceLocation: sourceLocation)
}

@Suite struct TextBufferTests {
    // MARK: Basics

    @Test func emptyText() {
        for buffer in [TextBuffer(), TextBuffer("")] {
            #expect(buffer.count == 0)
            #expect(buffer.utf8Count == 0)
            #expect(buffer.utf16Count == 0)
            #expect(buffer.lineCount == 1)
            #expect(buffer.isEmpty)
            #expect(buffer.description == "")
            #expect(buffer.text(in: 0..<0) == "")
            #expect(buffer == TextBuffer())
        }
        var buffer = TextBuffer()
        buffer.insert("", at: 0)
        buffer.delete(0..<0)
        #expect(buffer.isEmpty)
        buffer.insert("abc", at: 0)
        buffer.delete(0..<3)
        #expect(buffer.isEmpty)
        #expect(buffer.invariantViolations().isEmpty)
    }

    @Test func insertDeleteReplace() {
        var buffer = TextBuffer("hello world")
        buffer.insert(",", at: 5)
        #expect(buffer.description == "hello, world")
        buffer.delete(0..<1)
        #expect(buffer.description == "ello, world")
        buffer.replace(6..<11, with: "there")
        #expect(buffer.description == "ello, there")
        buffer.insert("H", at: 0)
        buffer.insert("!", at: buffer.count)
        #expect(buffer.description == "Hello, there!")
        #expect(buffer.text(in: 7..<12) == "there")
        #expect(buffer.scalar(at: 0) == "H")
        #expect(buffer.scalar(at: 12) == "!")
    }

    @Test func astralCharacters() {
        var buffer = TextBuffer("a😀b𝄞")
        #expect(buffer.count == 4)
        #expect(buffer.utf8Count == 1 + 4 + 1 + 4)
        #expect(buffer.utf16Count == 1 + 2 + 1 + 2)
        #expect(buffer.scalar(at: 1) == "😀")
        #expect(buffer.scalar(at: 3) == "𝄞")
        #expect(buffer.text(in: 1..<3) == "😀b")
        buffer.delete(1..<2)
        #expect(buffer.description == "ab𝄞")
        buffer.insert("😀😀", at: 3)
        #expect(buffer.description == "ab𝄞😀😀")
        #expect(buffer.utf16Count == 8)
    }

    @Test func combiningMarksAreSeparateScalars() {
        var buffer = TextBuffer("e\u{301}t\u{E9}")  // decomposed é, then t, then precomposed é
        #expect(buffer.count == 4)
        #expect(buffer.scalar(at: 1) == "\u{301}")
        #expect(buffer.utf8Count == 1 + 2 + 1 + 2)
        buffer.delete(1..<2)  // removes only the accent
        #expect(buffer.description.unicodeScalars.elementsEqual("et\u{E9}".unicodeScalars))
        // Not normalised: decomposed and precomposed are different texts.
        #expect(TextBuffer("e\u{301}") != TextBuffer("\u{E9}"))
    }

    @Test func cjk() {
        var buffer = TextBuffer("中文字")
        #expect(buffer.count == 3)
        #expect(buffer.utf8Count == 9)
        #expect(buffer.utf16Count == 3)
        buffer.insert("汉", at: 1)
        #expect(buffer.description == "中汉文字")
        #expect(buffer.text(in: 2..<4) == "文字")
    }

    @Test func lineCounts() {
        let cases: [(String, Int)] = [
            ("", 1), ("a", 1), ("\n", 2), ("a\n", 2), ("a\nb", 2), ("\r\n", 2), ("a\r\nb\r\n", 3),
            ("\r", 2), ("a\rb", 2), ("\r\r", 3), ("\n\r", 3), ("\r\n\r\n", 3), ("\n\n", 3),
            ("a\nb\r\nc\rd", 4), ("a\nb\r\nc\rd\n", 5), ("\r\r\n\n", 4),
        ]
        for (text, lines) in cases {
            #expect(TextBuffer(text).lineCount == lines, "\(text.debugDescription)")
            #expect(TextBuffer(text, limits: tinyLimits).lineCount == lines, "\(text.debugDescription)")
        }
    }

    @Test func lineEndingsAreKeptExactly() {
        let text = "a\r\nb\rc\nd\r\n\r\n"
        let buffer = TextBuffer(text)
        #expect(buffer.description == text)
        #expect(Array(buffer.description.utf8) == Array(text.utf8))
    }

    @Test func editsThatJoinAndSplitCRLF() {
        var buffer = TextBuffer("a\rb\nc")
        #expect(buffer.lineCount == 3)
        buffer.delete(2..<3)  // "a\r\nc": the \r and \n join
        #expect(buffer.description == "a\r\nc")
        #expect(buffer.lineCount == 2)
        buffer.insert("x", at: 2)  // splits the pair again
        #expect(buffer.lineCount == 3)
        buffer.delete(2..<3)
        buffer.insert("\r", at: 3)  // "a\r\n\rc"
        #expect(buffer.lineCount == 3)
        buffer.insert("\n", at: 2)  // "a\r\n\n\rc"
        #expect(buffer.lineCount == 4)
    }

    @Test func valueSemantics() {
        let original = TextBuffer(String(repeating: "abcdefghij\n", count: 1_000))
        var copy = original
        copy.insert("X", at: 5_000)
        copy.delete(0..<10)
        #expect(original.description == String(repeating: "abcdefghij\n", count: 1_000))
        #expect(copy.count == original.count - 9)
        var other = copy
        other.replace(100..<9_000, with: "Y")
        #expect(copy.count == original.count - 9)
        #expect(other.count == original.count - 9 - 8_900 + 1)
        #expect(original.invariantViolations().isEmpty)
        #expect(copy.invariantViolations().isEmpty)
        #expect(other.invariantViolations().isEmpty)
    }

    @Test func equalityComparesTextNotShape() {
        let text = String(repeating: "line 😀 中\r\n", count: 500)
        let whole = TextBuffer(text)
        var typed = TextBuffer()
        for scalar in text.unicodeScalars { typed.insert(String(scalar), at: typed.count) }
        let tiny = TextBuffer(text, limits: tinyLimits)
        #expect(whole == typed)
        #expect(whole == tiny)
        #expect(typed.leafCount != whole.leafCount || typed.treeHeight != tiny.treeHeight)
        var changed = tiny
        changed.replace(3_000..<3_001, with: "Z")
        #expect(changed != whole)
        #expect(TextBuffer("ab") != TextBuffer("ba"))
        #expect(TextBuffer("ab") != TextBuffer("abc"))
    }

    // MARK: Big texts

    @Test func bigTextSplitsAndMerges() {
        let line = "The quick brown fox 😀 jumps over the lazy dog, 中文.\r\n"
        let text = String(repeating: line, count: 2_000)  // ~ 120 KB
        let scalars = Array(text.unicodeScalars)
        var buffer = TextBuffer(text)
        var model = scalars
        expectMatches(buffer, model, "built")
        #expect(buffer.leafCount > 100)
        #expect(buffer.treeHeight >= 2)

        // Delete ranges spanning many leaves, from the middle, the start, the end.
        for range in [10_000..<60_000, 0..<5_000, (model.count - 7_000)..<model.count, 1..<(model.count - 1)] {
            let clamped = range.clamped(to: 0..<model.count)
            buffer.delete(clamped)
            model.removeSubrange(clamped)
            expectMatches(buffer, model, "after deleting \(clamped)")
        }
        #expect(buffer.treeHeight == 0)

        // Grow again by big inserts in the middle, then shrink by many small deletes.
        buffer = TextBuffer(text)
        model = scalars
        for i in 0..<20 {
            let at = model.count / 2 + i
            buffer.insert(line + line, at: at)
            model.insert(contentsOf: (line + line).unicodeScalars, at: at)
        }
        expectMatches(buffer, model, "after big inserts")
        var rng = SeededRandom(seed: 42)
        while model.count > 1_000 {
            let start = rng.int(0...(model.count - 1))
            let end = min(model.count, start + rng.int(1...3_000))
            buffer.delete(start..<end)
            model.removeSubrange(start..<end)
        }
        expectMatches(buffer, model, "after many deletes")
        #expect(buffer.treeHeight <= 2)
    }

    @Test func typingAHundredKilobytesAndDeletingItAgain() {
        var buffer = TextBuffer()
        var model: [Unicode.Scalar] = []
        var rng = SeededRandom(seed: 7)
        // Type in bursts at a moving cursor, as an editor trace does.
        var cursor = 0
        while model.count < 100_000 {
            if rng.int(0...20) == 0 { cursor = rng.int(0...model.count) }
            let piece = rng.bufferText(pieces: 1)
            buffer.insert(piece, at: cursor)
            model.insert(contentsOf: piece.unicodeScalars, at: cursor)
            cursor += piece.unicodeScalars.count
        }
        expectMatches(buffer, model, "typed")
        let height = buffer.treeHeight
        #expect(height <= 3, "height \(height) for \(buffer.leafCount) leaves")
        // Backspace a lot, everywhere.
        while model.count > 200 {
            if rng.int(0...20) == 0 { cursor = rng.int(1...model.count) }
            cursor = min(max(cursor, 1), model.count)
            buffer.delete((cursor - 1)..<cursor)
            model.remove(at: cursor - 1)
            cursor -= 1
        }
        expectMatches(buffer, model, "deleted")
        #expect(buffer.treeHeight <= 1, "height \(buffer.treeHeight) for \(buffer.leafCount) leaves")
    }

    /// Mixed edits of every size keep the tree shallow and its leaves reasonably full.
    @Test(arguments: [RopeLimits.standard, RopeLimits(maxLeafBytes: 16, maxChildren: 4)])
    func treeStaysBalancedUnderRandomEdits(limits: RopeLimits) {
        var rng = SeededRandom(seed: 2024)
        var buffer = TextBuffer(rng.bufferText(pieces: 20_000), limits: limits)
        var model = Array(buffer.description.unicodeScalars)
        var worst = (height: 0, leavesPerKB: 0.0)
        for step in 0..<4_000 {
            let lower = rng.int(0...model.count)
            let length = rng.int(0...3) == 0 ? rng.int(0...min(5_000, model.count - lower)) : rng.int(0...min(3, model.count - lower))
            let inserted = rng.bufferText(pieces: rng.int(0...3) == 0 ? rng.int(0...400) : rng.int(0...3))
            buffer.replace(lower..<(lower + length), with: inserted)
            model.replaceSubrange(lower..<(lower + length), with: inserted.unicodeScalars)
            if step % 100 == 0 || model.count < 20_000 {
                // Refill now and then so the text neither vanishes nor explodes.
                if model.count < 20_000 {
                    let refill = rng.bufferText(pieces: 10_000)
                    let at = rng.int(0...model.count)
                    buffer.insert(refill, at: at)
                    model.insert(contentsOf: refill.unicodeScalars, at: at)
                }
                // Minimum possible height for this many leaves, plus slack for merges that
                // only run where an edit touches.
                let fullLeaves = max(1, buffer.utf8Count / limits.maxLeafBytes)
                var bound = 1
                var capacity = limits.minChildren
                while capacity < fullLeaves * 4 { capacity *= limits.minChildren; bound += 1 }
                #expect(buffer.treeHeight <= bound + 1, "step \(step): height \(buffer.treeHeight), \(buffer.leafCount) leaves")
                let leavesPerKB = Double(buffer.leafCount) * 1_024 / Double(max(1, buffer.utf8Count))
                worst = (max(worst.height, buffer.treeHeight), max(worst.leavesPerKB, leavesPerKB))
                // On average a leaf must hold well over the minimum fill.
                #expect(Double(buffer.utf8Count) / Double(buffer.leafCount) >= Double(limits.minLeafBytes),
                        "step \(step): \(buffer.leafCount) leaves for \(buffer.utf8Count) bytes")
            }
        }
        #expect(buffer.description == string(model))
        #expect(buffer.invariantViolations().isEmpty)
        print("limits \(limits.maxLeafBytes)/\(limits.maxChildren): worst height \(worst.height), worst leaves per KB \(worst.leavesPerKB)")
    }

    @Test func crlfAtLeafBoundaries() {
        // Every split point of the tiny tree tries to fall inside "\r\n".
        for n in 1...40 {
            let text = String(repeating: "\r\n", count: n) + "x" + String(repeating: "ab\r\n", count: n)
            var buffer = TextBuffer(text, limits: tinyLimits)
            var model = Array(text.unicodeScalars)
            expectMatches(buffer, model, "n \(n)")
            // Insert "\r" right before every "\n" boundary candidate and delete pairs' halves.
            for at in stride(from: model.count - 1, through: 0, by: -3) {
                buffer.insert("\r", at: at)
                model.insert("\r", at: at)
            }
            expectMatches(buffer, model, "n \(n) after inserting CRs")
            for at in stride(from: model.count - 2, through: 0, by: -4) {
                buffer.delete(at..<(at + 1))
                model.remove(at: at)
            }
            expectMatches(buffer, model, "n \(n) after deleting")
        }
    }
}
