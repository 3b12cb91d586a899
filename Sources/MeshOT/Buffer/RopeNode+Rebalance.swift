/// The general edit paths: any insertion or deletion, with leaf and node splits, merges of
/// under-full nodes and repair of `\r`|`\n` leaf boundaries. Cost O(k + log n) for k bytes
/// inserted (deleted children are dropped whole), with leaf rescans where leaves change.
extension RopeNode {
    /// Inserts `source` at scalar `offset` of this uniquely referenced subtree. Returns new right
    /// siblings (same height as `self`) when `self` overflowed.
    @usableFromInline
    func insertSlow(_ source: UnsafeBufferPointer<UInt8>, at offset: Int, _ limits: RopeLimits) -> [RopeNode] {
        if height == 0 {
            bytes.insert(contentsOf: source, at: byteIndex(ofScalar: offset))
            recomputeSummary()
            return splitOverfullLeaf(limits)
        }
        let (i, local, _) = child(at: offset, preferLeft: true) { $0.scalars }
        RopeNode.makeUnique(&children[i])
        let extra = children[i].insertSlow(source, at: local, limits)
        children.insert(contentsOf: extra, at: i + 1)
        repairLineBreakBoundaries(junctions: (i - 1)...(i + extra.count))
        recomputeSummary()
        return splitOverfullInternal(limits)
    }

    /// Deletes the scalars in `range` (not empty, not the whole text of `self`) from this
    /// uniquely referenced subtree; rebalances the children it touched.
    @usableFromInline
    func deleteSlow(_ range: Range<Int>, _ limits: RopeLimits) {
        if height == 0 {
            let s = byteIndex(ofScalar: range.lowerBound)
            let e = byteIndex(advancing: range.count, from: s)
            bytes.removeSubrange(s..<e)
            recomputeSummary()
            return
        }
        var i = 0
        var base = 0
        var firstTouched = -1
        var removeFrom = -1
        var removeCount = 0
        while i < children.count {
            let start = base
            let end = base + children[i].summary.scalars
            base = end
            if end <= range.lowerBound { i += 1; continue }
            if start >= range.upperBound { break }
            if firstTouched < 0 { firstTouched = i }
            if range.lowerBound <= start, end <= range.upperBound {
                if removeFrom < 0 { removeFrom = i }
                removeCount += 1
            } else {
                RopeNode.makeUnique(&children[i])
                children[i].deleteSlow((max(range.lowerBound, start) - start)..<(min(range.upperBound, end) - start), limits)
            }
            i += 1
        }
        // Whole children covered by the range are contiguous.
        if removeCount > 0 { children.removeSubrange(removeFrom..<(removeFrom + removeCount)) }
        if firstTouched < 0 { return }
        repairLineBreakBoundaries(junctions: (firstTouched - 1)...(firstTouched + 1))
        rebalanceChildren(around: firstTouched, limits)
        recomputeSummary()
    }

    /// Restores "no leaf boundary between `\r` and `\n`" at the junctions between children `j`
    /// and `j + 1` for `j` in `junctions` (clipped to the valid ones): moves the `\n` into the
    /// left subtree. Drops a right child that becomes empty.
    @usableFromInline
    func repairLineBreakBoundaries(junctions: ClosedRange<Int>) {
        var j = max(0, junctions.lowerBound)
        var upper = junctions.upperBound
        while j <= upper, j < children.count - 1 {
            if children[j].lastByte == UTF8Bytes.cr, children[j + 1].firstByte == UTF8Bytes.lf {
                RopeNode.makeUnique(&children[j + 1])
                children[j + 1].removeLeadingLineFeed()
                RopeNode.makeUnique(&children[j])
                children[j].appendLineFeedAfterCarriageReturn()
                if children[j + 1].summary.utf8 == 0 {
                    children.remove(at: j + 1)
                    upper -= 1
                    continue
                }
            }
            j += 1
        }
    }

    /// Merges under-full children near index `index` with a neighbour (and drops empty ones).
    @usableFromInline
    func rebalanceChildren(around index: Int, _ limits: RopeLimits) {
        var j = max(0, index - 1)
        var upper = index + 1
        var budget = 8  // enough for the few children an edit touches; guarantees termination
        while j <= upper, j < children.count, children.count > 1, budget > 0 {
            budget -= 1
            let child = children[j]
            let underfull = child.summary.utf8 == 0
                || (child.height == 0 ? child.bytes.count < limits.minLeafBytes
                    : child.children.count < limits.minChildren)
            if !underfull { j += 1; continue }
            let left = j + 1 < children.count ? j : j - 1
            let merged = RopeNode.merge(children[left], children[left + 1], limits)
            children.replaceSubrange(left...(left + 1), with: merged)
            if merged.count == 1 {
                j = left
                upper -= 1
            } else {
                j = left + 1
            }
        }
    }

    /// The nodes holding the concatenation of same-height siblings `a` and `b`: one node, or two
    /// of similar size when one would be over-full.
    @usableFromInline
    static func merge(_ a: RopeNode, _ b: RopeNode, _ limits: RopeLimits) -> [RopeNode] {
        if a.summary.utf8 == 0 { return [b] }
        if b.summary.utf8 == 0 { return [a] }
        if a.height == 0 {
            let joined = RopeNode(leaf: a.bytes + b.bytes)
            if joined.bytes.count <= limits.maxLeafBytes { return [joined] }
            let cuts = joined.bytes.withUnsafeBufferPointer { UTF8Bytes.cutPoints($0, pieces: 2) }
            guard cuts.count == 3 else { return [joined] }
            return [RopeNode(leaf: Array(joined.bytes[..<cuts[1]])), RopeNode(leaf: Array(joined.bytes[cuts[1]...]))]
        }
        let kids = a.children + b.children
        if kids.count <= limits.maxChildren { return [RopeNode(children: kids)] }
        let half = kids.count / 2
        return [RopeNode(children: Array(kids[..<half])), RopeNode(children: Array(kids[half...]))]
    }
}
