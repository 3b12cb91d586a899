extension OTDocument {
    /// An operation a client sent, as it sent it: what ``integrate(_:after:undoing:resubmitting:)``
    /// receives again after the operations another authority committed first.
    public struct Submission: Sendable, Hashable {
        public var operation: TextOperation
        public var baseRevision: Int
        public var opId: String?
        public var author: String?
        public init(operation: TextOperation, baseRevision: Int, opId: String?, author: String?) {
            self.operation = operation; self.baseRevision = baseRevision; self.opId = opId; self.author = author
        }
    }

    /// What ``integrate(_:after:undoing:resubmitting:)`` changed.
    public struct Integration: Sendable, Hashable {
        /// One receipt per submission, in order: committed again after `remote` (at a new
        /// revision), or a duplicate of an operation in `remote` (a client resent it to the other
        /// authority, which committed it: acknowledge it at that revision).
        public var receipts: [Receipt]
        /// The operations that took the text from before to after, in order (the undone
        /// speculative ones, `remote`, the new ones): what moves cursors and anchors.
        public var moves: [TextOperation]
    }

    /// Puts `remote` (operations another authority committed at revisions `durable + 1 …`) in
    /// front of the operations this document applied after `durable` but has not committed yet
    /// ("speculative"): they are undone with `inverses` (their receipts' ``Receipt/inverse``, in
    /// order), `remote` is applied, and the clients' `submissions` are received again, in order,
    /// exactly as one authority would have received them had `remote` arrived first. Each
    /// submission is transformed against the same history in the same order as its client
    /// transforms the ops it is sent, which keeps ties between inserts consistent everywhere.
    ///
    /// Nothing changes when it throws.
    /// - Throws: ``OTError/unexpectedRevision(expected:received:)`` when `remote` does not start
    ///   at `durable + 1` or `inverses` does not match the speculative operations;
    ///   ``OTError/revisionTooOld(base:oldestRetained:)`` when the history no longer reaches;
    ///   ``OTError/baseLengthMismatch(expected:actual:)`` for an operation that does not fit.
    public mutating func integrate(
        _ remote: [CommittedOperation], after durable: Int, undoing inverses: [TextOperation],
        resubmitting submissions: [Submission]
    ) throws(OTError) -> Integration {
        for (offset, committed) in remote.enumerated() where committed.revision != durable + 1 + offset {
            throw .unexpectedRevision(expected: durable + 1 + offset, received: committed.revision)
        }
        guard durable + inverses.count == revision else {
            throw .unexpectedRevision(expected: revision, received: durable + inverses.count)
        }
        _ = try operations(since: durable)   // the speculative ones are still in the history
        var next = self
        next.text = try text(undoing: inverses)
        var moves: [TextOperation] = inverses.reversed()
        next.dropNewest(inverses.count)
        for committed in remote {
            try committed.operation.apply(to: &next.text)
            next.revision = committed.revision
            next.record(committed)
            moves.append(committed.operation)
        }
        var receipts: [Receipt] = []
        for submission in submissions {
            let receipt = try next.receive(submission.operation, baseRevision: submission.baseRevision,
                                           opId: submission.opId, author: submission.author, invertible: true)
            if !receipt.isDuplicate { moves.append(receipt.committed.operation) }
            receipts.append(receipt)
        }
        self = next
        return Integration(receipts: receipts, moves: moves)
    }

    /// The text before the `inverses.count` newest operations: the current text with them undone,
    /// newest first. `inverses` are their receipts' ``Receipt/inverse``, oldest first. The
    /// document is unchanged.
    /// - Throws: ``OTError/baseLengthMismatch(expected:actual:)`` when an inverse does not fit
    ///   (it is not the inverse of the operation it is taken for).
    public func text(undoing inverses: [TextOperation]) throws(OTError) -> TextBuffer {
        var undone = text
        for inverse in inverses.reversed() { try inverse.apply(to: &undone) }
        return undone
    }

    /// Forgets the `count` newest history entries (and their revisions); the text is the caller's.
    private mutating func dropNewest(_ count: Int) {
        guard count > 0 else { return }
        let ordered = (0..<history.count).map { history[(historyHead + $0) % history.count] }
        history.removeAll(keepingCapacity: true)
        historyHead = 0
        revisionsByOpId.removeAll(keepingCapacity: true)
        for committed in ordered.dropLast(count) { record(committed) }
        revision -= count
    }
}
