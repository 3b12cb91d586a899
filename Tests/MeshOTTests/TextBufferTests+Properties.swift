import Foundation
import Testing
@testable import MeshOT
import MeshTestSupport

/// Random edits, copies and reads of a `TextBuffer` against a `[Unicode.Scalar]` model.
extension TextBufferTests {
    /// Random inserts, deletes and replaces agree with a `[Unicode.Scalar]` model after every step.
    @Test(arguments: [8, 32, 1024])
    func randomEditsMatchModel(maxLeafBytes: Int) {
        let limits = maxLeafBytes == 1024 ? RopeLimits.standard : RopeLimits(maxLeafBytes: maxLeafBytes, maxChildren: 4)
        for seed in UInt64(0)..<1_000 {
            var rng = SeededRandom(seed: seed)
            let initial = rng.bufferText(pieces: rng.int(0...40))
            var buffer = TextBuffer(initial, limits: limits)
            var model = Array(initial.unicodeScalars)
            expectMatches(buffer, model, "seed \(seed) initial")
            for step in 0..<25 {
                let kind = rng.int(0...9)
                let lower = rng.int(0...model.count)
                let length = rng.int(0...10) == 0 ? rng.int(0...(model.count - lower)) : rng.int(0...min(6, model.count - lower))
                let range = lower..<(lower + length)
                let inserted = rng.bufferText(pieces: rng.int(0...10) == 0 ? rng.int(0...60) : rng.int(1...4))
                switch kind {
                case 0..<4:
                    buffer.insert(inserted, at: lower)
                    model.insert(contentsOf: inserted.unicodeScalars, at: lower)
                case 4..<7:
                    buffer.delete(range)
                    model.removeSubrange(range)
                default:
                    buffer.replace(range, with: inserted)
                    model.replaceSubrange(range, with: inserted.unicodeScalars)
                }
                let text = string(model)
                guard buffer.description == text else {
                    Issue.record("seed \(seed) step \(step): \(buffer.description.debugDescription) != \(text.debugDescription)")
                    break
                }
                expectMatches(buffer, model, "seed \(seed) step \(step)")
                if model.isEmpty { continue }
                let probe = rng.int(0...(model.count - 1))
                #expect(buffer.scalar(at: probe) == model[probe], "seed \(seed) step \(step) scalar \(probe)")
                let a = rng.int(0...model.count)
                let b = rng.int(a...model.count)
                #expect(buffer.text(in: a..<b) == string(model[a..<b]), "seed \(seed) step \(step) text \(a)..<\(b)")
            }
        }
    }

    /// Copies taken before an edit never see it.
    @Test func copiesAreIndependentUnderRandomEdits() {
        for seed in UInt64(0)..<1_000 {
            var rng = SeededRandom(seed: seed)
            var buffer = TextBuffer(rng.bufferText(pieces: 60), limits: tinyLimits)
            var snapshots: [(TextBuffer, String)] = []
            for _ in 0..<10 {
                snapshots.append((buffer, buffer.description))
                let lower = rng.int(0...buffer.count)
                let upper = rng.int(lower...min(buffer.count, lower + 8))
                buffer.replace(lower..<upper, with: rng.bufferText(pieces: rng.int(0...5)))
            }
            for (snapshot, text) in snapshots {
                #expect(snapshot.description == text, "seed \(seed)")
                #expect(snapshot.invariantViolations().isEmpty, "seed \(seed)")
            }
        }
    }

    @Test func scalarAndTextInEveryRange() {
        for seed in UInt64(0)..<1_000 {
            var rng = SeededRandom(seed: seed)
            let text = rng.bufferText(pieces: rng.int(1...30))
            let model = Array(text.unicodeScalars)
            let buffer = TextBuffer(text, limits: seed % 2 == 0 ? tinyLimits : smallLimits)
            for i in 0..<model.count {
                #expect(buffer.scalar(at: i) == model[i], "seed \(seed) at \(i)")
            }
            for _ in 0..<10 {
                let a = rng.int(0...model.count)
                let b = rng.int(a...model.count)
                #expect(buffer.text(in: a..<b) == string(model[a..<b]), "seed \(seed) \(a)..<\(b)")
            }
        }
    }
}
