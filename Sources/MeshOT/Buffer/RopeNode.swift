/// A node of the B-tree rope behind ``TextBuffer``.
///
/// A leaf (`height == 0`) holds a run of UTF-8 bytes; an internal node holds children that are
/// all of height `height - 1`. Every node caches the ``RopeSummary`` of its text.
///
/// Invariants (checked by `validate()` in tests):
/// - all leaves are at the same depth, every leaf is cut on a scalar boundary;
/// - no leaf boundary falls between `\r` and `\n`, so summaries add up;
/// - no empty leaf except the root of an empty text; no internal node without children.
///
/// Nodes are shared between ``TextBuffer`` values; a node is mutated only when it is uniquely
/// referenced (copy-on-write path copying), which is why the class may be `@unchecked Sendable`.
@usableFromInline
final class RopeNode: @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline var summary: RopeSummary
    @exclusivity(unchecked) @usableFromInline var height: Int
    /// Children of an internal node (empty for a leaf).
    @exclusivity(unchecked) @usableFromInline var children: [RopeNode]
    /// UTF-8 bytes of a leaf (empty for an internal node).
    @exclusivity(unchecked) @usableFromInline var bytes: [UInt8]

    /// An empty leaf.
    @usableFromInline
    init() {
        summary = .zero
        height = 0
        children = []
        bytes = []
    }

    /// A leaf holding `bytes`.
    @usableFromInline
    init(leaf bytes: [UInt8]) {
        self.summary = bytes.withUnsafeBufferPointer(UTF8Bytes.summarize)
        self.height = 0
        self.children = []
        self.bytes = bytes
    }

    /// An internal node over `children` (not empty, all of the same height).
    @usableFromInline
    init(children: [RopeNode]) {
        var summary = RopeSummary.zero
        for child in children { summary += child.summary }
        self.summary = summary
        self.height = children[0].height + 1
        self.children = children
        self.bytes = []
    }

    /// A shallow copy: shares the children (or the byte buffer) until either copy mutates them.
    @usableFromInline
    init(copying other: RopeNode) {
        summary = other.summary
        height = other.height
        children = other.children
        bytes = other.bytes
    }

    @inlinable var isLeaf: Bool { height == 0 }

    /// True when this leaf's bytes are all ASCII, so byte indices equal scalar offsets.
    @inlinable var isASCII: Bool { summary.utf8 == summary.scalars }

    @usableFromInline
    func recomputeSummary() {
        if height == 0 {
            summary = bytes.withUnsafeBufferPointer(UTF8Bytes.summarize)
        } else {
            var total = RopeSummary.zero
            for child in children { total += child.summary }
            summary = total
        }
    }

    // MARK: Leaf helpers

    /// The byte index in this leaf where scalar `offset` (0...scalars) starts.
    @inlinable
    func byteIndex(ofScalar offset: Int) -> Int {
        if summary.utf8 == summary.scalars { return offset }
        return bytes.withUnsafeBufferPointer { buffer in
            RopeNode.byteIndex(in: buffer, scalars: summary.scalars, offset: offset)
        }
    }

    /// Byte index of scalar `offset` in `buffer`, which holds `scalars` scalars; walks from
    /// whichever end is closer.
    @inlinable
    static func byteIndex(in buffer: UnsafeBufferPointer<UInt8>, scalars: Int, offset: Int) -> Int {
        if offset <= scalars / 2 { return byteIndex(in: buffer, advancing: offset, from: 0) }
        var index = buffer.count
        var remaining = scalars - offset
        while remaining > 0 {
            index &-= 1
            while UTF8Bytes.isContinuation(buffer[index]) { index &-= 1 }
            remaining &-= 1
        }
        return index
    }

    /// Byte index reached by walking `count` scalars forward from byte `start` of this leaf.
    @inlinable
    func byteIndex(advancing count: Int, from start: Int) -> Int {
        if summary.utf8 == summary.scalars { return start + count }
        return bytes.withUnsafeBufferPointer { RopeNode.byteIndex(in: $0, advancing: count, from: start) }
    }

    /// Byte index in `buffer` reached by walking `count` scalars forward from byte `start`.
    @inlinable
    static func byteIndex(in buffer: UnsafeBufferPointer<UInt8>, advancing count: Int, from start: Int) -> Int {
        var index = start
        var remaining = count
        while remaining > 0 {
            index &+= UTF8Bytes.sequenceLength(lead: buffer[index])
            remaining &-= 1
        }
        return index
    }

    /// Splits an over-full leaf's bytes into leaves of at most about `limits.maxLeafBytes`.
    /// Keeps the first piece in `self`; returns the others.
    @usableFromInline
    func splitOverfullLeaf(_ limits: RopeLimits) -> [RopeNode] {
        let n = bytes.count
        guard n > limits.maxLeafBytes else { return [] }
        let pieces = (n + limits.maxLeafBytes - 1) / limits.maxLeafBytes
        let cuts = bytes.withUnsafeBufferPointer { UTF8Bytes.cutPoints($0, pieces: max(2, pieces)) }
        guard cuts.count > 2 else { return [] }
        return splitOff(at: cuts)
    }

    /// Splits an over-full internal node's children into nodes of at most `limits.maxChildren`.
    /// Keeps the first group in `self`; returns the others.
    @usableFromInline
    func splitOverfullInternal(_ limits: RopeLimits) -> [RopeNode] {
        guard children.count > limits.maxChildren else { return [] }
        return splitOff(at: RopeNode.evenCuts(children.count, limits))
    }

    /// Keeps the first of the pieces that `cuts` (ascending, from 0 to the count of bytes or
    /// children, at least three) cuts this node's bytes or children into; returns the others as
    /// new nodes of the same height.
    @usableFromInline
    func splitOff(at cuts: [Int]) -> [RopeNode] {
        var rest: [RopeNode] = []
        rest.reserveCapacity(cuts.count - 2)
        for i in 1..<(cuts.count - 1) {
            let piece = cuts[i]..<cuts[i + 1]
            rest.append(height == 0 ? RopeNode(leaf: Array(bytes[piece])) : RopeNode(children: Array(children[piece])))
        }
        if height == 0 { bytes.removeSubrange(cuts[1]...) } else { children.removeSubrange(cuts[1]...) }
        recomputeSummary()
        return rest
    }

    /// Where to cut `n` children into as few groups as `limits.maxChildren` allows, evenly:
    /// from 0 to `n`, one more cut than groups (just 0 for none).
    @usableFromInline
    static func evenCuts(_ n: Int, _ limits: RopeLimits) -> [Int] {
        guard n > 0 else { return [0] }
        let groups = (n + limits.maxChildren - 1) / limits.maxChildren
        return (0...groups).map { $0 * n / groups }
    }

    /// Groups same-height `nodes` under as few parents as the limits allow, evenly.
    @usableFromInline
    static func parents(of nodes: [RopeNode], _ limits: RopeLimits) -> [RopeNode] {
        let cuts = evenCuts(nodes.count, limits)
        return (0..<(cuts.count - 1)).map { g in RopeNode(children: Array(nodes[cuts[g]..<cuts[g + 1]])) }
    }

    // MARK: Edges

    /// The first byte of this subtree's text (0 when empty).
    @usableFromInline
    var firstByte: UInt8 { edgeByte(last: false) }

    /// The last byte of this subtree's text (0 when empty).
    @usableFromInline
    var lastByte: UInt8 { edgeByte(last: true) }

    /// The first byte of this subtree's text, or the `last` one (0 when empty).
    @usableFromInline
    func edgeByte(last: Bool) -> UInt8 {
        var node = self
        while node.height > 0 {
            guard let child = last ? node.children.last : node.children.first else { return 0 }
            node = child
        }
        return (last ? node.bytes.last : node.bytes.first) ?? 0
    }

    /// Removes the leading `\n` of this (uniquely referenced) subtree, dropping leaves and
    /// nodes that become empty on the way (the caller drops `self` if it becomes empty).
    @usableFromInline
    func removeLeadingLineFeed() {
        summary -= .ascii(1, lines: 1)  // a leading `\n` always counts as a break in isolation
        if height == 0 {
            bytes.removeFirst()
            return
        }
        RopeNode.makeUnique(&children[0])
        children[0].removeLeadingLineFeed()
        if children[0].summary.utf8 == 0, children.count > 1 { children.removeFirst() }
    }

    /// Appends `\n` to this (uniquely referenced) subtree, whose text ends with `\r`.
    @usableFromInline
    func appendLineFeedAfterCarriageReturn() {
        summary += .ascii(1)  // `\r` was already a break; `\r\n` is still one
        if height == 0 {
            bytes.append(UTF8Bytes.lf)
            return
        }
        RopeNode.makeUnique(&children[children.count - 1])
        children[children.count - 1].appendLineFeedAfterCarriageReturn()
    }

    /// Path copying: replaces `node` by a copy unless this reference is the only one.
    @inlinable
    static func makeUnique(_ node: inout RopeNode) {
        if !isKnownUniquelyReferenced(&node) { node = RopeNode(copying: node) }
    }
}
