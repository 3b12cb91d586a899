extension TextOperation {
    /// The operation that undoes `self` when applied to the text `self` produced from `base`.
    /// - Throws: ``OTError/baseLengthMismatch(expected:actual:)`` when `base` has the wrong length.
    public func inverted(against base: TextBuffer) throws(OTError) -> TextOperation {
        guard base.count == baseLength else {
            throw .baseLengthMismatch(expected: baseLength, actual: base.count)
        }
        var inverse = TextOperation()
        var position = 0
        for component in components {
            switch component {
            case let .retain(n):
                inverse.retain(n)
                position += n
            case let .insert(s):
                inverse.delete(s.scalarCount)
            case let .delete(n):
                inverse.insert(base.text(in: position..<(position + n)))
                position += n
            }
        }
        return inverse
    }

    /// The operation that undoes `self` when applied to the text `self` produced from `base`.
    public func inverted(against base: String) throws(OTError) -> TextOperation {
        try inverted(against: TextBuffer(base))
    }
}
