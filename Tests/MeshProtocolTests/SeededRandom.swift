/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, deterministic generator. Every
/// randomized buffer test seeds one of these and prints the seed when it fails, so a failing
/// case can be replayed exactly.
struct SeededRandom: RandomNumberGenerator {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D4_9BB4_6EB1_33EB
        return z ^ (z >> 31)
    }
}

