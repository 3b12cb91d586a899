/// The authority for one document: its text, its revision, and a bounded history of committed
/// operations against which late operations are transformed.
///
/// Revision `r` is the text after `r` committed operations. An operation based on revision `b`
/// is transformed against the history `b+1 ... revision` (it keeps insert priority, as in
/// ``OTClient``), applied, and committed as `revision + 1`.
public struct OTDocument: Sendable {
    /// The outcome of ``receive(_:baseRevision:opId:author:)``.
    public struct Receipt: Sendable, Hashable {
        /// The operation as committed (transformed onto the current text).
        public var committed: CommittedOperation
        /// True when `opId` had already been committed: nothing changed, acknowledge again.
        public var isDuplicate: Bool
        /// What undoes the operation on the text it was applied to (when asked for).
        public var inverse: TextOperation?
    }

    public internal(set) var text: TextBuffer
    public internal(set) var revision: Int
    /// How many committed operations are kept for transforming late operations and catch-up.
    public let historyLimit: Int
    var history: [CommittedOperation] = []   // a ring once full
    var historyHead = 0                      // index of the oldest entry when full
    /// Committed revision by (author, opId): an opId is the client's, so only its author's
    /// resend is a duplicate of it.
    var revisionsByOpId: [String: Int] = [:]

    public init(text: TextBuffer = TextBuffer(), revision: Int = 0, historyLimit: Int = 1024) {
        precondition(historyLimit > 0, "historyLimit must be positive")
        self.text = text
        self.revision = revision
        self.historyLimit = historyLimit
        history.reserveCapacity(min(historyLimit, 4096))
    }

    /// A document restored from storage: `text` at `revision`, with the committed operations
    /// that led to it (oldest first, the last one being `revision`) as transform history.
    public init(text: TextBuffer, revision: Int, history: [CommittedOperation], historyLimit: Int = 1024) {
        self.init(text: text, revision: revision, historyLimit: historyLimit)
        let kept = history.suffix(historyLimit)
        precondition(kept.last.map { $0.revision == revision } ?? true, "history must end at the document's revision")
        for committed in kept { record(committed) }
    }

    /// The oldest base revision an operation may still have.
    public var oldestRetainedRevision: Int { revision - history.count }

    /// Transforms `operation` (based on `baseRevision`) onto the current text, applies it and
    /// commits it as the next revision.
    /// - Throws: ``OTError/revisionInFuture(base:current:)``,
    ///   ``OTError/revisionTooOld(base:oldestRetained:)`` (the client must resync), or
    ///   ``OTError/baseLengthMismatch(expected:actual:)`` for an operation that does not fit.
    /// - Parameter invertible: also return the operation's inverse (``Receipt/inverse``), which
    ///   ``integrate(_:after:undoing:resubmitting:)`` needs for operations not yet durable.
    public mutating func receive(
        _ operation: TextOperation, baseRevision: Int, opId: String? = nil, author: String? = nil, invertible: Bool = false
    ) throws(OTError) -> Receipt {
        if let opId, let committedAt = revisionsByOpId[Self.key(opId, author)], let entry = entry(at: committedAt) {
            return Receipt(committed: entry, isDuplicate: true)
        }
        var transformed = operation
        for entry in try operations(since: baseRevision) {
            transformed = try transformed.transformed(against: entry.operation)
        }
        let inverse = invertible ? try transformed.inverted(against: text) : nil
        try transformed.apply(to: &text)
        revision += 1
        let committed = CommittedOperation(revision: revision, operation: transformed, opId: opId, author: author)
        record(committed)
        return Receipt(committed: committed, isDuplicate: false, inverse: inverse)
    }

    /// The committed operations after `revision` (for catch-up), oldest first.
    public func operations(since revision: Int) throws(OTError) -> [CommittedOperation] {
        guard revision <= self.revision else { throw .revisionInFuture(base: revision, current: self.revision) }
        guard revision >= oldestRetainedRevision else {
            throw .revisionTooOld(base: revision, oldestRetained: oldestRetainedRevision)
        }
        let count = self.revision - revision
        guard count > 0 else { return [] }
        return (0..<count).map { history[(historyHead + history.count - count + $0) % history.count] }
    }

    private func entry(at revision: Int) -> CommittedOperation? {
        let back = self.revision - revision
        guard back >= 0, back < history.count else { return nil }
        return history[(historyHead + history.count - 1 - back) % history.count]
    }

    mutating func record(_ committed: CommittedOperation) {
        if history.count < historyLimit {
            history.append(committed)
        } else {
            let old = history[historyHead]
            if let opId = old.opId { revisionsByOpId[Self.key(opId, old.author)] = nil }
            history[historyHead] = committed
            historyHead = (historyHead + 1) % historyLimit
        }
        if let opId = committed.opId { revisionsByOpId[Self.key(opId, committed.author)] = committed.revision }
    }

    /// The duplicate-detection key of an op: its author and its opId.
    static func key(_ opId: String, _ author: String?) -> String {
        guard let author else { return opId }
        return author + "\u{0}" + opId
    }
}
