import MeshTestSupport
import Testing
@testable import MeshOT

/// `OTDocument.text(undoing:)`: the text before the newest operations, from their receipts'
/// inverses. The server answers an open with it while ops are still being stored, and
/// integration undoes speculative ops with it.
@Suite struct OTDocumentUndoTests {
    @Test func undoingTheNewestOpsGivesTheTextBeforeThem() throws {
        for seed in 0..<UInt64(propertyCases() / 10) {
            var rng = SeededRandom(seed: seed)
            let start = randomText(maxPieces: 8, using: &rng)
            var document = OTDocument(text: TextBuffer(start), revision: 0, history: [], historyLimit: 100)
            var texts = [start]
            var inverses: [TextOperation] = []
            for _ in 0..<rng.int(1...8) {
                let op = randomOperation(length: document.text.count, using: &rng)
                let receipt = try document.receive(op, baseRevision: document.revision, invertible: true)
                inverses.append(try #require(receipt.inverse))
                texts.append(document.text.description)
            }
            for k in 0...inverses.count {
                let undone = try document.text(undoing: Array(inverses.suffix(k)))
                #expect(undone.description == texts[texts.count - 1 - k], "seed \(seed): the newest \(k) undone")
            }
            #expect(document.text.description == texts.last, "seed \(seed): the document itself is unchanged")
        }
    }

    @Test func anInverseThatDoesNotFitThrows() throws {
        let document = OTDocument(text: TextBuffer("abc"), revision: 0, history: [], historyLimit: 10)
        #expect(throws: OTError.self) { try document.text(undoing: [TextOperation([.retain(7)])]) }
    }
}
