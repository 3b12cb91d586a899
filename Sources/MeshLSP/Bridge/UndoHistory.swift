import MeshOT

/// One participant's own changes to a document, to undo and redo them alone (as Zed does): the
/// editor's own undo works on its buffer and takes back whatever changed last, a peer's typing
/// included; `mesh.undo` takes back only yours.
///
/// The entries form a stack: the top undoes your latest change on the current text, and each
/// entry below applies to the text as it is once every entry above it is undone. Another
/// participant's change is moved down the stack by transformation (past each entry in turn),
/// so undoing your typing never removes a peer's, and your own later changes never pass
/// through an earlier entry (which would lose what a deletion had removed). Typing within
/// ``groupInterval`` of your previous change, with nobody else's change between, is one entry.
struct UndoHistory: Sendable {
    /// The most entries kept per document (the oldest go first).
    static let limit = 100
    static let groupInterval: Duration = .seconds(1)

    private(set) var undos: [TextOperation] = []
    private(set) var redos: [TextOperation] = []
    private var lastLocal: ContinuousClock.Instant?

    /// You changed the text from `before` with `operation`.
    mutating func recordLocal(_ operation: TextOperation, before: TextBuffer, at now: ContinuousClock.Instant = .now) throws(OTError) {
        guard !operation.isNoop else { return }
        let inverse = try operation.inverted(against: before)
        if let last = lastLocal, now - last < Self.groupInterval, let top = undos.popLast() {
            // One entry: undo this change, then the ones before it (`top` applies to `before`).
            undos.append(try inverse.compose(top))
        } else {
            undos.append(inverse)
            if undos.count > Self.limit { undos.removeFirst(undos.count - Self.limit) }
        }
        redos.removeAll()
        lastLocal = now
    }

    /// Someone else changed the text (or the disk did): every entry moves past the change, and
    /// your typing after it starts a new entry.
    mutating func recordOther(_ operation: TextOperation) throws(OTError) {
        guard !operation.isNoop else { return }
        undos = try Self.moved(undos, past: operation)
        redos = try Self.moved(redos, past: operation)
        lastLocal = nil
    }

    /// The operation that undoes your latest change on `current`, or nil when there is none;
    /// it can be redone.
    mutating func undo(current: TextBuffer) throws(OTError) -> TextOperation? {
        guard let top = undos.popLast() else { return nil }
        redos.append(try top.inverted(against: current))
        lastLocal = nil
        return top
    }

    /// The operation that redoes your latest undone change on `current`, or nil.
    mutating func redo(current: TextBuffer) throws(OTError) -> TextOperation? {
        guard let top = redos.popLast() else { return nil }
        undos.append(try top.inverted(against: current))
        lastLocal = nil
        return top
    }

    /// Forgets everything (the document was replaced by a snapshot).
    mutating func reset() {
        self = UndoHistory()
    }

    /// The stack after a change made on the current text by someone else: the top entry moves
    /// past the change, the change past the top entry, and so on down.
    private static func moved(_ entries: [TextOperation], past change: TextOperation) throws(OTError) -> [TextOperation] {
        var result = entries
        var change = change
        for index in entries.indices.reversed() {
            let (entry, below) = try TextOperation.transform(entries[index], change)
            result[index] = entry
            change = below
        }
        return result
    }
}
