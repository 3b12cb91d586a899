import MeshOT
import MeshTestSupport
import Testing
@testable import MeshLSP

/// Per-user undo: undoing all of your changes takes back exactly your typing, whatever the
/// others typed meanwhile; redoing brings it back, once.
@Suite struct UndoHistoryTests {
    /// The offsets between tokens (`<…>`), where a new token may go without splitting one.
    func boundaries(_ text: String) -> [Int] {
        var result = [0]
        for (offset, scalar) in text.unicodeScalars.enumerated() where scalar == ">" { result.append(offset + 1) }
        return result
    }

    @Test func undoingAllOfYourChangesLeavesExactlyTheOthers() throws {
        for seed in 0..<UInt64(propertyCases(500)) {
            var rng = SeededRandom(seed: seed)
            var text = TextBuffer("")
            var history = UndoHistory()
            var clock = ContinuousClock.now
            var mine: [String] = [], theirs: [String] = []
            for step in 0..<Int.random(in: 1...30, using: &rng) {
                let isMine = Bool.random(using: &rng)
                let token = isMine ? "<a\(step)>" : "<p\(step)>"
                let places = boundaries(text.description)
                let at = places.randomElement(using: &rng)!
                // Sometimes delete a token of the same author first (a change that removes text).
                var op = TextOperation.replacing(at..<at, with: token, in: text.count)
                if Int.random(in: 0..<5, using: &rng) == 0, let victim = (isMine ? mine : theirs).randomElement(using: &rng),
                   let range = text.description.range(of: victim) {
                    let start = text.description.unicodeScalars.distance(from: text.description.unicodeScalars.startIndex, to: range.lowerBound)
                    op = TextOperation.replacing(start..<start + victim.unicodeScalars.count, with: "", in: text.count)
                    if isMine { mine.removeAll { $0 == victim } } else { theirs.removeAll { $0 == victim } }
                } else if isMine { mine.append(token) } else { theirs.append(token) }
                let before = text
                try op.apply(to: &text)
                clock += .milliseconds(Int.random(in: 0...1500, using: &rng))   // some typing groups, some not
                if isMine { try history.recordLocal(op, before: before, at: clock) } else { try history.recordOther(op) }
            }
            let final = text.description
            // Undo everything of mine: the others' tokens remain, each once; none of mine.
            while let undo = try history.undo(current: text) { try undo.apply(to: &text) }
            let undone = text.description
            for token in theirs { #expect(undone.components(separatedBy: token).count == 2, "seed \(seed): \(token) in \(undone)") }
            #expect(!undone.contains("<a"), "seed \(seed): \(undone) (was \(final))")
            // Redo everything: back to where it was.
            while let redo = try history.redo(current: text) { try redo.apply(to: &text) }
            #expect(text.description == final, "seed \(seed): redone \(text.description), was \(final)")
        }
    }

    @Test func aPeersTypingBetweenYourChangesSurvivesTheirUndo() throws {
        var text = TextBuffer("func main() {\n}\n")
        var history = UndoHistory()
        let start = ContinuousClock.now
        let mine = TextOperation.replacing(14..<14, with: "\tprintln(1)\n", in: text.count)
        var before = text
        try mine.apply(to: &text)
        try history.recordLocal(mine, before: before, at: start)
        let peer = TextOperation.replacing(0..<0, with: "// peer\n", in: text.count)
        try peer.apply(to: &text)
        try history.recordOther(peer)
        let again = TextOperation.replacing(text.count - 2..<text.count - 2, with: "\tprintln(2)\n", in: text.count)
        before = text
        try again.apply(to: &text)
        try history.recordLocal(again, before: before, at: start + .milliseconds(100))   // after a peer's edit: its own entry
        try history.undo(current: text).map { try $0.apply(to: &text) }
        #expect(text.description == "// peer\nfunc main() {\n\tprintln(1)\n}\n")
        try history.undo(current: text).map { try $0.apply(to: &text) }
        #expect(text.description == "// peer\nfunc main() {\n}\n")
        #expect(try history.undo(current: text) == nil)
    }
}
