import Foundation

/// A tiny, fast, deterministic generator in the shape of SplitMix64 (Steele, Lea & Flood 2014;
/// its second multiplier differs from the paper's, which changes nothing that matters here).
/// Every randomized test seeds one of these and prints the seed when it fails, so a failing case
/// can be replayed exactly. Shared by the test targets (`MeshTestSupport`).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D4_9BB4_6EB1_33EB
        return z ^ (z >> 31)
    }
}

extension SeededRandom {
    /// Pieces random buffer texts are made of: ASCII, a precomposed and a decomposed accent, CJK,
    /// astral characters, and every kind of line break (several times, so breaks are frequent).
    public static let bufferPieces: [String] = [
        "a", "b", "xyz", " ", "é", "e\u{301}", "中", "😀", "𝄞", "\r", "\n", "\r\n", "\r", "\n", "\r\n",
    ]

    /// A text of `pieces` random pieces.
    public mutating func bufferText(pieces: Int) -> String {
        var text = ""
        for _ in 0..<pieces { text += Self.bufferPieces.randomElement(using: &self)! }
        return text
    }

    /// A random integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}

extension SeededRandom {
    /// A randomized test's seed: the environment's `variable` (to replay a failure), else a fresh
    /// one. The test names it in its failures.
    public static func seed(from variable: String) -> UInt64 {
        UInt64(ProcessInfo.processInfo.environment[variable] ?? "") ?? UInt64.random(in: 0..<1_000_000)
    }
}
