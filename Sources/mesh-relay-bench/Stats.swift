import Foundation

/// Latency samples in nanoseconds.
struct Samples {
    private(set) var values: [Int64] = []
    private var sorted = true

    init(capacity: Int = 0) { values.reserveCapacity(capacity) }

    var count: Int { values.count }

    mutating func add(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        values.append(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        sorted = false
    }

    mutating func merge(_ other: Samples) {
        values.append(contentsOf: other.values)
        sorted = false
    }

    /// Nearest-rank percentile in milliseconds (`p` in 0...100).
    mutating func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        if !sorted { values.sort(); sorted = true }
        let rank = Int((p / 100 * Double(values.count)).rounded(.up))
        return Double(values[min(values.count - 1, max(0, rank - 1))]) / 1e6
    }

    var meanMilliseconds: Double {
        guard !values.isEmpty else { return .nan }
        return Double(values.reduce(0, +)) / Double(values.count) / 1e6
    }

    /// "p50 0.123 ms, p90 …, p99 …, max …".
    mutating func summary(_ percentiles: [Double] = [50, 90, 99]) -> String {
        var parts = percentiles.map { String(format: "p%g %.3f ms", $0, percentile($0)) }
        parts.append(String(format: "max %.3f ms", percentile(100)))
        parts.append(String(format: "mean %.3f ms", meanMilliseconds))
        return parts.joined(separator: ", ")
    }
}

extension Duration {
    var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}

/// A small deterministic generator (SplitMix64), so runs edit alike.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What each fanout or cluster client counts, summed over the clients with `+=`.
struct ClientCounts: Sendable {
    var edits = 0
    var opsSent = 0
    /// `error` messages received.
    var errors = 0
    var hashChecks = 0
    var hashMismatches = 0

    static func += (total: inout ClientCounts, client: ClientCounts) {
        total.edits += client.edits
        total.opsSent += client.opsSent
        total.errors += client.errors
        total.hashChecks += client.hashChecks
        total.hashMismatches += client.hashMismatches
    }

    /// "edits: … `verb` (…/s, target …/s); ops sent: …", for `clients` clients at `rate` edits/s
    /// each for `seconds`.
    func editsLine(_ verb: String, clients: Int, rate: Double, seconds: Double) -> String {
        String(format: "  edits: %@ \(verb) (%.0f/s, target %.0f/s); ops sent: %@ (%@ composed into a pending op)",
               grouped(edits), Double(edits) / seconds, Double(clients) * rate, grouped(opsSent), grouped(edits - opsSent))
    }
}

/// "12,345".
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (value < 0 ? "-" : "") + out
}

/// The machine, for the record.
func machineDescription() -> String {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
    var os = "Linux"
    if let release = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
       let line = release.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
        os = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
    return String(format: "%d cores, %.0f GiB, %@", cores, memory, os)
}
