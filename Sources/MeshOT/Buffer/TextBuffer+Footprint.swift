extension TextBuffer {
    /// Heap bytes the rope holds: leaf byte capacity, child arrays and node objects (an
    /// estimate of malloc's share, excluding allocator rounding). The benchmark divides it by
    /// the character count.
    public var allocatedBytes: Int { root.allocatedBytes }
}

extension RopeNode {
    /// Object header + stored properties, rounded to malloc's 16-byte granularity.
    private static let objectBytes = (16 + MemoryLayout<RopeSummary>.stride + 8 + 8 + 8 + 15) / 16 * 16
    /// A Swift array buffer's header.
    private static let arrayHeaderBytes = 32

    var allocatedBytes: Int {
        var total = Self.objectBytes
        if isLeaf {
            total += bytes.capacity > 0 ? Self.arrayHeaderBytes + bytes.capacity : 0
        } else {
            total += Self.arrayHeaderBytes + children.capacity * MemoryLayout<RopeNode>.stride
            for child in children { total += child.allocatedBytes }
        }
        return total
    }
}
