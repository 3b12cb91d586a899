/// Structural self-checks of the rope, for tests.
extension TextBuffer {
    /// Descriptions of every broken invariant (empty when the tree is sound).
    func invariantViolations() -> [String] {
        var problems: [String] = []
        let root = self.root
        if root.height > 0, root.children.count < 2 { problems.append("root has \(root.children.count) child(ren)") }
        var leaves: [RopeNode] = []
        root.appendLeaves(to: &leaves)
        root.validate(limits, isRoot: true, problems: &problems)
        for (a, b) in zip(leaves, leaves.dropFirst()) where a.bytes.last == UTF8Bytes.cr && b.bytes.first == UTF8Bytes.lf {
            problems.append("a leaf boundary splits \\r\\n")
        }
        return problems
    }

    /// Height of the tree (0 for a single leaf).
    var treeHeight: Int { root.height }

    /// Number of leaves.
    var leafCount: Int {
        var leaves: [RopeNode] = []
        root.appendLeaves(to: &leaves)
        return leaves.count
    }
}

extension RopeNode {
    func validate(_ limits: RopeLimits, isRoot: Bool, problems: inout [String]) {
        if height == 0 {
            let actual = bytes.withUnsafeBufferPointer(UTF8Bytes.summarize)
            if actual != summary { problems.append("leaf summary \(summary) != \(actual)") }
            if bytes.isEmpty, !isRoot { problems.append("empty leaf") }
            if let first = bytes.first, UTF8Bytes.isContinuation(first) { problems.append("leaf starts inside a scalar") }
            if bytes.count > limits.maxLeafBytes + 8 { problems.append("leaf of \(bytes.count) bytes") }
            return
        }
        if children.isEmpty { problems.append("internal node without children"); return }
        if children.count > limits.maxChildren { problems.append("node with \(children.count) children") }
        var total = RopeSummary.zero
        for child in children {
            if child.height != height - 1 { problems.append("child height \(child.height) under \(height)") }
            total += child.summary
            child.validate(limits, isRoot: false, problems: &problems)
        }
        if total != summary { problems.append("node summary \(summary) != sum of children \(total)") }
    }
}
