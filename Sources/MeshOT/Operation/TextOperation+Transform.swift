/// Which of two concurrent operations goes first when both insert at the same position.
public enum InsertPriority: Sendable, Hashable {
    /// The left operation's insert lands before the right one's.
    case left
    /// The right operation's insert lands before the left one's.
    case right
}

extension TextOperation {
    /// Transforms two concurrent operations on the same text into `(left′, right′)` such that
    /// `apply(right′, apply(left, t)) == apply(left′, apply(right, t))` (TP1).
    ///
    /// Inserts at the same position are ordered by `priority`, so every site that transforms
    /// the same pair reaches the same text. Mesh always gives priority to the operation that
    /// was in flight from a client (the left one), on the server and in the client alike.
    /// - Throws: ``OTError/baseLengthMismatch(expected:actual:)`` when the bases differ.
    public static func transform(
        _ left: TextOperation, _ right: TextOperation, priority: InsertPriority = .left
    ) throws(OTError) -> (left: TextOperation, right: TextOperation) {
        guard left.baseLength == right.baseLength else {
            throw .baseLengthMismatch(expected: left.baseLength, actual: right.baseLength)
        }
        var leftPrime = TextOperation()
        var rightPrime = TextOperation()
        var a = ComponentCursor(left)
        var b = ComponentCursor(right)
        while true {
            switch (a.current, b.current) {
            case (nil, nil):
                return (leftPrime, rightPrime)
            case let (.insert(s)?, other) where priority == .left || !other.isInsert:
                leftPrime.insert(s)
                rightPrime.retain(s.scalarCount)
                a.advance()
            case let (_, .insert(s)?):
                leftPrime.retain(s.scalarCount)
                rightPrime.insert(s)
                b.advance()
            case let (.retain(n)?, .retain(m)?):
                let k = a.consume(min(n, m), alongWith: &b)
                leftPrime.retain(k)
                rightPrime.retain(k)
            case let (.delete(n)?, .delete(m)?):
                a.consume(min(n, m), alongWith: &b)
            case let (.delete(n)?, .retain(m)?):
                leftPrime.delete(a.consume(min(n, m), alongWith: &b))
            case let (.retain(n)?, .delete(m)?):
                rightPrime.delete(a.consume(min(n, m), alongWith: &b))
            case (nil, _?), (_?, nil), (.insert?, _):
                // Unreachable when the base lengths match, which the guard above checked.
                preconditionFailure("transform ran off the end of an operation")
            }
        }
    }

    /// `self` rewritten to apply after the concurrent `other` (`self` keeps insert priority).
    public func transformed(against other: TextOperation, priority: InsertPriority = .left) throws(OTError) -> TextOperation {
        try TextOperation.transform(self, other, priority: priority).left
    }
}

extension Optional where Wrapped == TextOperation.Component {
    var isInsert: Bool {
        if case .insert? = self { return true }
        return false
    }
}
