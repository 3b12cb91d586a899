import Testing
@testable import MeshOT

/// Algebraic laws of `TextOperation`, each checked on ≥ 1,000 seeded random cases.
@Suite struct OperationPropertyTests {
    @Test func composeEqualsSequentialApply() throws {
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let text = randomText(maxPieces: 12, using: &rng)
            let a = randomOperation(length: text.scalarCount, using: &rng)
            let afterA = try a.apply(to: text)
            let b = randomOperation(length: afterA.scalarCount, using: &rng)
            let composed = try a.compose(b)
            #expect(try composed.apply(to: text) == b.apply(to: afterA), "seed \(seed): \(a) then \(b)")
        }
    }

    @Test func invertRoundTrips() throws {
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let text = randomText(maxPieces: 12, using: &rng)
            let op = randomOperation(length: text.scalarCount, using: &rng)
            let inverse = try op.inverted(against: text)
            #expect(try inverse.apply(to: op.apply(to: text)) == text, "seed \(seed): \(op)")
            #expect(try op.compose(inverse).apply(to: text) == text, "seed \(seed): \(op)")
        }
    }

    @Test(arguments: [InsertPriority.left, .right])
    func transformSatisfiesTP1(priority: InsertPriority) throws {
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let text = randomText(maxPieces: 12, using: &rng)
            let a = randomOperation(length: text.scalarCount, using: &rng)
            let b = randomOperation(length: text.scalarCount, using: &rng)
            let (a1, b1) = try TextOperation.transform(a, b, priority: priority)
            let viaA = try b1.apply(to: a.apply(to: text))
            let viaB = try a1.apply(to: b.apply(to: text))
            #expect(viaA == viaB, "seed \(seed) \(priority): a=\(a) b=\(b)")
        }
    }

    @Test func jsonRoundTrips() throws {
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let op = randomOperation(length: Int.random(in: 0...20, using: &rng), using: &rng)
            let data = try JSONEncoderShim.encode(op)
            #expect(try JSONEncoderShim.decode(data) == op, "seed \(seed): \(op)")
        }
    }

    /// The transformed cursor is where a marker placed at the cursor ends up after the edit.
    @Test(arguments: [Stickiness.before, .after])
    func cursorTransformAgreesWithApply(stickiness: Stickiness) throws {
        let marker: Unicode.Scalar = "\u{E000}"
        for seed in 0..<UInt64(propertyCases()) {
            var rng = SeededRandom(seed: seed)
            let text = randomText(maxPieces: 10, using: &rng)
            let op = randomOperation(length: text.scalarCount, using: &rng)
            let cursor = Int.random(in: 0...text.scalarCount, using: &rng)
            var marked = text.scalars
            marked.insert(marker, at: cursor)
            let markedOp = withMarker(op, at: cursor, stickiness: stickiness)
            let result = try markedOp.apply(to: String(String.UnicodeScalarView(marked))).scalars
            let expected = result.firstIndex(of: marker)!
            #expect(op.transform(offset: cursor, stickiness: stickiness) == expected,
                    "seed \(seed): \(op) cursor \(cursor)")
        }
    }

    /// `op` extended to keep a marker scalar inserted at base offset `at`.
    private func withMarker(_ op: TextOperation, at cursor: Int, stickiness: Stickiness) -> TextOperation {
        var result = TextOperation()
        var position = 0
        var placed = false
        func place(beforeInsert: Bool) {
            if !placed, position == cursor, stickiness == .before || !beforeInsert {
                result.retain(1)
                placed = true
            }
        }
        for component in op.components {
            switch component {
            case let .insert(s):
                place(beforeInsert: true)
                result.insert(s)
            case let .retain(n), let .delete(n):
                for _ in 0..<n {
                    place(beforeInsert: false)
                    if case .retain = component { result.retain(1) } else { result.delete(1) }
                    position += 1
                }
            }
        }
        place(beforeInsert: false)
        return result
    }
}

import Foundation
import MeshTestSupport

enum JSONEncoderShim {
    static func encode(_ op: TextOperation) throws -> Data { try JSONEncoder().encode(op) }
    static func decode(_ data: Data) throws -> TextOperation { try JSONDecoder().decode(TextOperation.self, from: data) }
}
