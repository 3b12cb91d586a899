/// Read-only descents: O(log n) to reach a leaf, then at most one leaf scan.
extension RopeNode {
    /// The child of this internal node where `target` falls, measuring children with `measure`
    /// (scalars, line breaks, code units): its index, what is left of `target` in it, and the
    /// summary of the children before it. With `preferLeft`, a target on a boundary between
    /// children goes into the one that ends there (so `target == measure(summary)` is valid);
    /// otherwise into the one that starts there.
    @inlinable
    func child(at target: Int, preferLeft: Bool,
               measure: (RopeSummary) -> Int) -> (index: Int, remaining: Int, before: RopeSummary) {
        var before = RopeSummary.zero
        var remaining = target
        let last = children.count - 1
        var i = 0
        while i < last {
            let child = children[i].summary
            let width = measure(child)
            if preferLeft ? remaining <= width : remaining < width { break }
            remaining -= width
            before += child
            i += 1
        }
        return (i, remaining, before)
    }

    /// The leaf where `target` falls (``child(at:preferLeft:measure:)`` at every level), the
    /// summary of everything before that leaf, and what is left of `target` in it.
    @inlinable
    func descend(to target: Int, preferLeft: Bool,
                 measure: (RopeSummary) -> Int) -> (leaf: RopeNode, before: RopeSummary, remaining: Int) {
        var node = self
        var before = RopeSummary.zero
        var remaining = target
        while node.height > 0 {
            let step = node.child(at: remaining, preferLeft: preferLeft, measure: measure)
            before += step.before
            remaining = step.remaining
            node = node.children[step.index]
        }
        return (node, before, remaining)
    }

    /// The scalar at `offset` (0..<scalars).
    @usableFromInline
    func scalar(at offset: Int) -> Unicode.Scalar {
        let (leaf, _, local) = descend(to: offset, preferLeft: false) { $0.scalars }
        let index = leaf.byteIndex(ofScalar: local)
        return leaf.bytes.withUnsafeBufferPointer { UTF8Bytes.decode($0, at: index) }
    }

    /// The summary of the first `offset` scalars. With `snapOutOfLineBreak`, an offset between
    /// `\r` and `\n` is first moved before the `\r`.
    @usableFromInline
    func prefixSummary(_ offset: Int, snapOutOfLineBreak: Bool) -> RopeSummary {
        let (leaf, before, local) = descend(to: offset, preferLeft: true) { $0.scalars }
        var p = leaf.byteIndex(ofScalar: local)
        return leaf.bytes.withUnsafeBufferPointer { buffer in
            // `\r\n` never straddles leaves, so both bytes are in this leaf if anywhere.
            if snapOutOfLineBreak, p > 0, p < buffer.count, buffer[p - 1] == UTF8Bytes.cr, buffer[p] == UTF8Bytes.lf {
                p -= 1
            }
            return before + UTF8Bytes.summarize(UnsafeBufferPointer(rebasing: buffer[..<p]))
        }
    }

    /// Summaries of the text before and after the `k`-th line break (1 ≤ k ≤ summary.lines).
    @usableFromInline
    func lineBreak(_ k: Int) -> (start: RopeSummary, end: RopeSummary) {
        let (node, before, remaining) = descend(to: k, preferLeft: true) { $0.lines }
        var k = remaining
        return node.bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            let n = buffer.count
            while i < n {
                let byte = buffer[i]
                if byte == UTF8Bytes.lf || byte == UTF8Bytes.cr {
                    let length = byte == UTF8Bytes.cr && i + 1 < n && buffer[i + 1] == UTF8Bytes.lf ? 2 : 1
                    k -= 1
                    if k == 0 {
                        let start = before + UTF8Bytes.summarize(UnsafeBufferPointer(rebasing: buffer[..<i]))
                        return (start, start + .ascii(length, lines: 1))
                    }
                    i += length
                } else {
                    i += 1
                }
            }
            preconditionFailure("line break \(k) not found in the leaf its summary points to")
        }
    }

    /// The largest scalar offset whose prefix takes at most `units` code units of `encoding`
    /// (an offset inside a multi-unit scalar rounds down to its start).
    @usableFromInline
    func scalarOffset(forUnits units: Int, _ encoding: PositionEncoding) -> Int {
        if units <= 0 { return 0 }
        if units >= summary.units(encoding) { return summary.scalars }
        let (node, before, remaining) = descend(to: units, preferLeft: false) { $0.units(encoding) }
        let scalarsBefore = before.scalars
        if node.isASCII { return scalarsBefore + min(remaining, node.summary.scalars) }
        return node.bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            var scalars = 0
            var consumed = 0
            while i < buffer.count {
                let length = UTF8Bytes.sequenceLength(lead: buffer[i])
                let width = UTF8Bytes.width(ofSequence: length, encoding)
                if consumed + width > remaining { break }
                consumed += width
                scalars += 1
                i += length
            }
            return scalarsBefore + scalars
        }
    }

    /// Appends the UTF-8 bytes of the scalars in `range` (within 0...scalars) to `output`.
    @usableFromInline
    func appendBytes(_ range: Range<Int>, to output: inout [UInt8]) {
        if height == 0 {
            if range.lowerBound == 0, range.upperBound == summary.scalars {
                output.append(contentsOf: bytes)
                return
            }
            let s = byteIndex(ofScalar: range.lowerBound)
            let e = byteIndex(advancing: range.count, from: s)
            output.append(contentsOf: bytes[s..<e])
            return
        }
        var base = 0
        for child in children {
            let end = base + child.summary.scalars
            if end > range.lowerBound, base < range.upperBound {
                child.appendBytes((max(range.lowerBound, base) - base)..<(min(range.upperBound, end) - base), to: &output)
            }
            if end >= range.upperBound { break }
            base = end
        }
    }

    /// The leaves of this subtree, in order.
    @usableFromInline
    func appendLeaves(to leaves: inout [RopeNode]) {
        if height == 0 {
            leaves.append(self)
        } else {
            for child in children { child.appendLeaves(to: &leaves) }
        }
    }
}
