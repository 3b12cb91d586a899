/// Where a position goes when text is inserted exactly at it.
public enum Stickiness: Sendable, Hashable, Codable {
    /// The position stays before the inserted text (it does not move).
    case before
    /// The position moves after the inserted text (a caret while typing).
    case after
}

/// One selected range: `anchor` stays put while `head` (the caret) moves. Equal ends mean a cursor.
public struct SelectionRange: Sendable, Hashable, Codable {
    public var anchor: Int
    public var head: Int

    public init(anchor: Int, head: Int) {
        self.anchor = anchor
        self.head = head
    }

    /// A caret with no extent.
    public static func cursor(_ offset: Int) -> SelectionRange { .init(anchor: offset, head: offset) }

    public var isCursor: Bool { anchor == head }
    public var lowerBound: Int { min(anchor, head) }
    public var upperBound: Int { max(anchor, head) }

    private enum CodingKeys: String, CodingKey { case anchor, head }

    /// Offsets from a peer are checked as they are read: 0 to `TextOperation.lengthLimit`, so
    /// that moving them through operations cannot overflow.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        anchor = try Self.offset(container, .anchor)
        head = try Self.offset(container, .head)
    }

    private static func offset(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int {
        let offset = try container.decode(Int.self, forKey: key)
        guard offset >= 0, offset <= TextOperation.lengthLimit else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "an offset must be 0 to \(TextOperation.lengthLimit)")
        }
        return offset
    }
}

/// A participant's cursors and selections in one document, in scalar offsets.
public struct Selection: Sendable, Hashable, Codable {
    public var ranges: [SelectionRange]

    public init(_ ranges: [SelectionRange]) { self.ranges = ranges }

    /// The selection moved through `operation`. A caret sticks after inserted text; a range's
    /// start sticks after and its end before, so a range does not swallow text typed at its edges.
    public func transformed(by operation: TextOperation) -> Selection {
        Selection(ranges.map { range in
            if range.isCursor {
                return .cursor(operation.transform(offset: range.head, stickiness: .after))
            }
            let forward = range.anchor <= range.head
            let low = operation.transform(offset: range.lowerBound, stickiness: .after)
            let high = max(low, operation.transform(offset: range.upperBound, stickiness: .before))
            return forward ? .init(anchor: low, head: high) : .init(anchor: high, head: low)
        })
    }

    /// An annotated range, `from` to `to` (`from <= to`), moved through `operation` by the
    /// rule a selection moves by: the server moves its annotations so, and `mesh lsp` the
    /// copies it shows, so that both agree on where an annotation is.
    public static func annotatedRange(from: Int, to: Int, through operation: TextOperation) -> (from: Int, to: Int) {
        let range = Selection([SelectionRange(anchor: from, head: to)]).transformed(by: operation).ranges[0]
        return (range.lowerBound, range.upperBound)
    }
}

extension TextOperation {
    /// Where `offset` in the base text lands in the text this operation produces.
    ///
    /// Text inserted exactly at `offset` goes after the position with `.before` and before it
    /// with `.after`; a position inside deleted text lands where the deletion happened.
    public func transform(offset: Int, stickiness: Stickiness) -> Int {
        var remaining = offset   // base scalars still ahead of the position
        var result = offset
        for component in components {
            switch component {
            case let .retain(n):
                if remaining < n { return result }
                remaining -= n
            case let .insert(s):
                if remaining > 0 || stickiness == .after { result += s.scalarCount }
            case let .delete(n):
                let removed = min(remaining, n)
                result -= removed
                remaining -= removed
                if remaining == 0 && n > removed { return result }
            }
        }
        return result
    }
}
