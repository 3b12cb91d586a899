import Foundation
import MeshOT

/// How many cases a property runs: `MESH_PROPERTY_CASES` overrides the default.
public func propertyCases(_ fallback: Int = 1_000) -> Int {
    if let raw = ProcessInfo.processInfo.environment["MESH_PROPERTY_CASES"], let n = Int(raw), n > 0 { return n }
    return fallback
}

/// The alphabet every randomized text draws from: ASCII, a precomposed and a combining accent,
/// CJK, an astral emoji, and every kind of line break.
public let textAlphabet: [String] = ["a", "b", "z", " ", "é", "e\u{301}", "中", "文", "😀", "𝄞", "\r", "\n", "\r\n"]

/// A random text of up to `maxPieces` pieces of ``textAlphabet``.
public func randomText(maxPieces: Int, using rng: inout SeededRandom) -> String {
    var s = ""
    for _ in 0..<Int.random(in: 0...maxPieces, using: &rng) { s += textAlphabet.randomElement(using: &rng)! }
    return s
}

/// A random operation applying to a text of `length` scalars.
public func randomOperation(length: Int, using rng: inout SeededRandom) -> TextOperation {
    var op = TextOperation()
    var position = 0
    while position < length {
        let n = Int.random(in: 1...max(1, min(5, length - position)), using: &rng)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<5: op.retain(n)
        case 5..<7: op.delete(n)
        default: op.insert(randomText(maxPieces: 3, using: &rng)); continue
        }
        position += n
    }
    if Bool.random(using: &rng) { op.insert(randomText(maxPieces: 2, using: &rng)) }
    return op
}

extension String {
    /// The text's Unicode scalars, as an array.
    public var scalars: [Unicode.Scalar] { Array(unicodeScalars) }
}
