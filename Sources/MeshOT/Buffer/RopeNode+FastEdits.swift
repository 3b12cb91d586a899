/// The fast paths: an edit that stays inside one leaf, leaves it neither over- nor under-full,
/// and cannot create a `\r`|`\n` leaf boundary. Summaries are updated by deltas on the way back
/// up; nothing is rescanned except the edited bytes. When a fast path declines (returns `nil`),
/// nothing has changed except that the descent path may have been copied, which is harmless.
extension RopeNode {
    /// Inserts `source` (summary `inserted`, not empty) at scalar `offset` of this uniquely
    /// referenced subtree. Returns the line-count delta, or `nil` when the slow path must run.
    @inlinable
    func fastInsert(_ source: UnsafeBufferPointer<UInt8>, _ inserted: RopeSummary, at offset: Int,
                    maxLeafBytes: Int) -> Int? {
        if height == 0 {
            let n = bytes.count
            if n + source.count > maxLeafBytes { return nil }
            let p = byteIndex(ofScalar: offset)
            let first = source[0]
            let last = source[source.count - 1]
            // Could put `\r` at the end of a leaf followed by one starting with `\n` (or the reverse).
            if p == n, last == UTF8Bytes.cr { return nil }
            if p == 0, first == UTF8Bytes.lf { return nil }
            var lines = inserted.lines
            if p > 0, bytes[p - 1] == UTF8Bytes.cr {
                if first == UTF8Bytes.lf { lines -= 1 }  // joins a `\r` before into `\r\n`
                if p < n, bytes[p] == UTF8Bytes.lf { lines += 1 }  // splits an existing `\r\n`
            }
            if last == UTF8Bytes.cr, p < n, bytes[p] == UTF8Bytes.lf { lines -= 1 }
            bytes.insert(contentsOf: source, at: p)
            summary += inserted.withLines(lines)
            return lines
        }
        // Boundary offsets go into the left child.
        let (i, local, _) = child(at: offset, preferLeft: true) { $0.scalars }
        RopeNode.makeUnique(&children[i])
        guard let lines = children[i].fastInsert(source, inserted, at: local, maxLeafBytes: maxLeafBytes)
        else { return nil }
        summary += inserted.withLines(lines)
        return lines
    }

    /// Deletes the scalars in `range` (not empty) from this uniquely referenced subtree. Returns
    /// the (negative) summary delta, or `nil` when the slow path must run. `minLeafBytes` is the
    /// size below which a leaf must be rebalanced; `guardEdges` is false only for a root leaf,
    /// which has no neighbours.
    @inlinable
    func fastDelete(_ range: Range<Int>, minLeafBytes: Int, guardEdges: Bool) -> RopeSummary? {
        if height == 0 {
            let n = bytes.count
            let s = byteIndex(ofScalar: range.lowerBound)
            let e = byteIndex(advancing: range.count, from: s)
            if n - (e - s) < minLeafBytes { return nil }
            if guardEdges {
                // Could leave `\r` at a leaf end next to a leaf starting with `\n`.
                if s == 0, e < n, bytes[e] == UTF8Bytes.lf { return nil }
                if e == n, s > 0, bytes[s - 1] == UTF8Bytes.cr { return nil }
            }
            var delta = RopeSummary.zero - UTF8Bytes.summarize(bytes, s..<e)
            let next: UInt8 = e < n ? bytes[e] : 0
            if s > 0, bytes[s - 1] == UTF8Bytes.cr {
                if bytes[s] == UTF8Bytes.lf { delta.lines += 1 }  // a `\r\n` loses its `\n`: `\r` alone is a break again
                if next == UTF8Bytes.lf { delta.lines -= 1 }  // `\r` and `\n` join
            }
            if bytes[e - 1] == UTF8Bytes.cr, next == UTF8Bytes.lf { delta.lines += 1 }  // `\n` loses its `\r`
            bytes.removeSubrange(s..<e)
            summary += delta
            return delta
        }
        let (i, _, before) = child(at: range.lowerBound, preferLeft: false) { $0.scalars }
        let base = before.scalars
        if range.upperBound > base + children[i].summary.scalars { return nil }
        RopeNode.makeUnique(&children[i])
        guard let delta = children[i].fastDelete((range.lowerBound - base)..<(range.upperBound - base),
                                                 minLeafBytes: minLeafBytes, guardEdges: true)
        else { return nil }
        summary += delta
        return delta
    }
}
