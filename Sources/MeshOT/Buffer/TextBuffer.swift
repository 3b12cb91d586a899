/// The text of a document: a B-tree rope of UTF-8 leaves with O(log n) edits and O(log n)
/// conversions between Unicode-scalar offsets and line / character positions (``TextPosition``).
///
/// Offsets count Unicode scalars (not grapheme clusters: `"e\u{301}"` is two). The text is kept
/// exactly as given: line endings are not normalised. Lines break at `\n`, `\r\n` and a lone
/// `\r`, as in LSP 3.17.
///
/// `TextBuffer` has value semantics: copies share nodes, and a mutation copies only the nodes on
/// its path that are shared (copy-on-write). `==` compares the text, not the tree shape.
public struct TextBuffer: Sendable, Equatable, CustomStringConvertible {
    @usableFromInline var root: RopeNode
    @usableFromInline let limits: RopeLimits

    /// An empty text.
    public init() {
        self.init("", limits: .standard)
    }

    /// A buffer holding `text`.
    public init(_ text: String) {
        self.init(text, limits: .standard)
    }

    /// A buffer holding `text` with non-standard node capacities (tests use tiny ones).
    @usableFromInline
    init(_ text: String, limits: RopeLimits) {
        self.root = RopeNode()
        self.limits = limits
        insert(text, at: 0)
    }

    // MARK: Measures

    /// Unicode scalars.
    @inlinable public var count: Int { root.summary.scalars }
    /// UTF-8 code units (bytes).
    @inlinable public var utf8Count: Int { root.summary.utf8 }
    /// UTF-16 code units.
    @inlinable public var utf16Count: Int { root.summary.utf16 }
    /// Lines: line breaks + 1 (`\r\n` is one break). An empty text has one line.
    @inlinable public var lineCount: Int { root.summary.lines + 1 }
    @inlinable public var isEmpty: Bool { root.summary.scalars == 0 }

    // MARK: Editing

    /// Inserts `text` before the scalar at `offset` (`0...count`).
    public mutating func insert(_ text: String, at offset: Int) {
        precondition(offset >= 0 && offset <= count, "insert offset \(offset) out of 0...\(count)")
        var text = text
        text.withUTF8 { insertBytes($0, at: offset) }
    }

    @usableFromInline
    mutating func insertBytes(_ source: UnsafeBufferPointer<UInt8>, at offset: Int) {
        if source.isEmpty { return }
        RopeNode.makeUnique(&root)
        if source.count <= limits.maxLeafBytes,
           root.fastInsert(source, UTF8Bytes.summarize(source), at: offset, maxLeafBytes: limits.maxLeafBytes) != nil {
            return
        }
        let extra = root.insertSlow(source, at: offset, limits)
        if extra.isEmpty { return }
        var level = [root] + extra
        while level.count > 1 { level = RopeNode.parents(of: level, limits) }
        root = level[0]
    }

    /// Removes the scalars in `range` (within `0...count`).
    public mutating func delete(_ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "delete range \(range) out of 0..<\(count)")
        if range.isEmpty { return }
        if range.count == count {
            root = RopeNode()
            return
        }
        RopeNode.makeUnique(&root)
        let rootIsLeaf = root.height == 0
        if root.fastDelete(range, minLeafBytes: rootIsLeaf ? 0 : limits.minLeafBytes, guardEdges: !rootIsLeaf) != nil {
            return
        }
        root.deleteSlow(range, limits)
        while root.height > 0, root.children.count == 1 { root = root.children[0] }
    }

    /// Replaces the scalars in `range` with `text`.
    public mutating func replace(_ range: Range<Int>, with text: String) {
        delete(range)
        insert(text, at: range.lowerBound)
    }

    // MARK: Reading

    /// The text of the scalars in `range` (within `0...count`). O(log n + k).
    public func text(in range: Range<Int>) -> String {
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "text range \(range) out of 0..<\(count)")
        if range.isEmpty { return "" }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count)
        root.appendBytes(range, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole text.
    public var description: String { text(in: 0..<count) }

    /// The scalar at `offset` (`0..<count`). O(log n).
    public func scalar(at offset: Int) -> Unicode.Scalar {
        precondition(offset >= 0 && offset < count, "scalar offset \(offset) out of 0..<\(count)")
        return root.scalar(at: offset)
    }

    // MARK: Equality

    public static func == (lhs: TextBuffer, rhs: TextBuffer) -> Bool {
        if lhs.root === rhs.root { return true }
        guard lhs.root.summary == rhs.root.summary else { return false }
        var left: [RopeNode] = []
        var right: [RopeNode] = []
        lhs.root.appendLeaves(to: &left)
        rhs.root.appendLeaves(to: &right)
        // Walk both leaf sequences as one byte stream each.
        var (i, j, p, q) = (0, 0, 0, 0)
        while i < left.count, j < right.count {
            let a = left[i].bytes
            let b = right[j].bytes
            let n = min(a.count - p, b.count - q)
            let same = a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { y in
                    var k = 0
                    while k < n, x[p + k] == y[q + k] { k += 1 }
                    return k == n
                }
            }
            if !same { return false }
            p += n
            q += n
            if p == a.count { i += 1; p = 0 }
            if q == b.count { j += 1; q = 0 }
        }
        return true
    }
}
