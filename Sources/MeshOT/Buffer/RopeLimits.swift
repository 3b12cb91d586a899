/// Node capacities of a rope. ``standard`` is what every public ``TextBuffer`` uses; tests use
/// tiny limits to force deep trees and many splits and merges on short texts.
@usableFromInline
struct RopeLimits: Sendable, Equatable {
    /// A leaf holding more UTF-8 bytes than this is split (a leaf may exceed it by a few bytes
    /// when a split point has to move to a scalar boundary or out of a `\r\n`).
    @usableFromInline let maxLeafBytes: Int
    /// A leaf with fewer bytes is merged with a neighbour (when its parent is rebalanced).
    @usableFromInline let minLeafBytes: Int
    /// An internal node with more children than this is split.
    @usableFromInline let maxChildren: Int
    /// An internal node with fewer children is merged with a neighbour.
    @usableFromInline let minChildren: Int

    @usableFromInline
    init(maxLeafBytes: Int, maxChildren: Int) {
        precondition(maxLeafBytes >= 8, "a leaf must hold at least two scalars")
        precondition(maxChildren >= 4, "fanout must be at least 4")
        self.maxLeafBytes = maxLeafBytes
        self.minLeafBytes = max(1, maxLeafBytes / 4)
        self.maxChildren = maxChildren
        self.minChildren = max(2, maxChildren / 4)
    }

    @usableFromInline static let standard = RopeLimits(maxLeafBytes: 1024, maxChildren: 16)
}
