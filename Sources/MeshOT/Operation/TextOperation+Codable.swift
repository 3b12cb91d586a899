/// The compact JSON form of ot.js: a positive integer retains, a negative one deletes, a
/// string inserts — `[5, "abc", -3]`.
extension TextOperation: Codable {
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        self.init()
        while !container.isAtEnd {
            let problem: String?
            if let n = try? container.decode(Int.self) {
                problem = appendCompact(n)
            } else if let s = try? container.decode(String.self) {
                problem = appendCompact(s)
            } else {
                problem = "an operation component must be an integer or a string"
            }
            if let problem { throw DecodingError.dataCorruptedError(in: container, debugDescription: problem) }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for component in components {
            switch component {
            case let .retain(n): try container.encode(n)
            case let .insert(s): try container.encode(s)
            case let .delete(n): try container.encode(-n)
            }
        }
    }
}

extension TextOperation {
    /// The most scalars an operation read from a peer may span, before or after it applies (and
    /// so the largest component). Far above any document limit, and small enough that no sum of
    /// lengths and offsets in transform, compose or apply can overflow: every number a peer sends
    /// is checked against it as it is read, because an overflow traps and ends the process.
    public static let lengthLimit = 1 << 32

    /// Appends one compact component read from a peer (`n > 0` retains, `n < 0` deletes).
    /// Returns what is wrong with it (nothing appended), or nil.
    public mutating func appendCompact(_ n: Int) -> String? {
        guard n != 0 else { return "a component of 0 is not allowed" }
        let tooLong = "an operation may span at most \(Self.lengthLimit) characters"
        guard n >= -Self.lengthLimit, n <= Self.lengthLimit else { return tooLong }
        let size = n > 0 ? n : -n
        guard baseLength + size <= Self.lengthLimit, n < 0 || targetLength + n <= Self.lengthLimit else { return tooLong }
        if n > 0 { retain(n) } else { delete(-n) }
        return nil
    }

    /// Appends one compact insert read from a peer. Returns what is wrong with it, or nil.
    public mutating func appendCompact(_ text: String) -> String? {
        guard !text.isEmpty else { return "an empty insert is not allowed" }
        guard targetLength + text.unicodeScalars.count <= Self.lengthLimit else {
            return "an operation may span at most \(Self.lengthLimit) characters"
        }
        insert(text)
        return nil
    }
}
