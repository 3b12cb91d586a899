extension TextOperation {
    /// The single operation with the effect of applying `self`, then `next`.
    ///
    /// `apply(compose(a, b)) == apply(b, apply(a))` for every text `a` applies to.
    /// - Throws: ``OTError/baseLengthMismatch(expected:actual:)`` when `next` does not start
    ///   where `self` ends.
    public func compose(_ next: TextOperation) throws(OTError) -> TextOperation {
        guard targetLength == next.baseLength else {
            throw .baseLengthMismatch(expected: next.baseLength, actual: targetLength)
        }
        var result = TextOperation()
        result.components.reserveCapacity(components.count + next.components.count)
        var a = ComponentCursor(self)
        var b = ComponentCursor(next)
        while true {
            switch (a.current, b.current) {
            case (nil, nil):
                return result
            case let (.delete(n)?, _):
                result.delete(n)
                a.advance()
            case let (_, .insert(s)?):
                result.insert(s)
                b.advance()
            case let (.retain(n)?, .retain(m)?):
                result.retain(a.consume(min(n, m), alongWith: &b))
            case let (.insert(s)?, .delete(m)?):
                a.consume(min(s.scalarCount, m), alongWith: &b)
            case let (.insert(s)?, .retain(m)?):
                let length = s.scalarCount
                let k = a.consume(min(length, m), alongWith: &b)
                result.insert(k == length ? s : s.scalarPrefix(k))
            case let (.retain(n)?, .delete(m)?):
                result.delete(a.consume(min(n, m), alongWith: &b))
            case (nil, _?), (_?, nil):
                // Unreachable when the lengths match, which the guard above checked.
                preconditionFailure("compose ran off the end of an operation")
            }
        }
    }
}
