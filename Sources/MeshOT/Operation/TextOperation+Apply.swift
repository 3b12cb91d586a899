extension TextOperation {
    /// Applies the operation to `text`, returning the new text.
    /// - Throws: ``OTError/baseLengthMismatch(expected:actual:)`` when the lengths differ.
    public func apply(to text: String) throws(OTError) -> String {
        let scalars = text.unicodeScalars
        let length = scalars.count
        guard length == baseLength else { throw .baseLengthMismatch(expected: baseLength, actual: length) }
        var result = String.UnicodeScalarView()
        var index = scalars.startIndex
        for component in components {
            switch component {
            case let .retain(n):
                let end = scalars.index(index, offsetBy: n)
                result.append(contentsOf: scalars[index..<end])
                index = end
            case let .insert(s):
                result.append(contentsOf: s.unicodeScalars)
            case let .delete(n):
                index = scalars.index(index, offsetBy: n)
            }
        }
        return String(result)
    }

    /// Applies the operation to a ``TextBuffer`` in place, in O(k log n) for k components.
    /// - Throws: ``OTError/baseLengthMismatch(expected:actual:)`` when the lengths differ; the
    ///   buffer is left unchanged.
    public func apply(to buffer: inout TextBuffer) throws(OTError) {
        guard buffer.count == baseLength else {
            throw .baseLengthMismatch(expected: baseLength, actual: buffer.count)
        }
        var position = 0
        for component in components {
            switch component {
            case let .retain(n):
                position += n
            case let .insert(s):
                buffer.insert(s, at: position)
                position += s.scalarCount
            case let .delete(n):
                buffer.delete(position..<(position + n))
            }
        }
    }
}
