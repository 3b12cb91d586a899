/// Counts a container's output against its limit, wherever it is read: the attached stdio, and
/// the program's output the debug relay sends as DAP `output` events.
public struct OutputMeter: Sendable {
    /// What one more piece of output does.
    public enum Verdict: Sendable, Equatable {
        /// Within the limit: pass it on.
        case within
        /// The piece that goes over the limit: drop it and stop the container (once).
        case crossed
        /// Already over: drop it.
        case over
    }

    public let limit: Int
    /// Bytes counted so far.
    public private(set) var bytes = 0

    public init(limit: Int) {
        self.limit = limit
    }

    public mutating func add(_ count: Int) -> Verdict {
        let before = bytes
        bytes += max(0, count)
        if bytes <= limit { return .within }
        return before <= limit ? .crossed : .over
    }
}
