import Foundation
import MeshOT
import MeshProtocol
import MeshStore

/// One writer per shared document (docs/architecture.md): while other nodes write a document
/// too, a node hands its clients' ops to the document's writer node (``ClusterLink/writer(of:)``)
/// instead of committing them itself, so that one node commits it without losing commits to
/// the others and without the lock. The ops stay applied here meanwhile (speculative, as before
/// a commit); the writer's append notification brings them back, and ``integrateFetched(_:)``
/// acknowledges their clients. Correctness never depends on it: a forward that gets no answer is
/// committed here after ``forwardPatience``, and the log's `(author, opId)` fence keeps a copy
/// committed by both nodes from being stored twice.
extension DocumentActor {
    /// How long forwarded ops wait for the writer's commit at the most before this node commits
    /// them, and at the least.
    static let forwardTimeout: Duration = .seconds(1)
    static let minimumForwardTimeout: Duration = .milliseconds(100)

    /// How long forwarded ops wait for the writer: eight times its answers lately, within
    /// ``minimumForwardTimeout`` and ``forwardTimeout``; so a writer that died holds its
    /// documents' ops for about 100 ms on an idle cluster, and one that is only slow under load
    /// is given up to a second.
    var forwardPatience: Duration { min(Self.forwardTimeout, max(Self.minimumForwardTimeout, forwardRoundTrip * 8)) }

    /// The writer committed an op forwarded `elapsed` ago.
    func forwardAnswered(after elapsed: Duration) {
        forwardRoundTrip = forwardRoundTrip * 0.875 + elapsed * 0.125
        lastForwardAnswer = .now
    }

    /// What the flush loop does with the pending ops.
    enum Route {
        /// Commit them here.
        case commit
        /// Hand the ops not forwarded yet to this node.
        case forward(UUID)
        /// Every pending op is with the writer: wait for its commit.
        case wait
    }

    func route() -> Route {
        guard let cluster, draining == 0 else { return .commit }
        // Ops another node handed here are committed here, with whatever waits beside them.
        if pending.contains(where: { $0.forwardedFrom != nil || $0.forwardFailed }) { return .commit }
        let writer = cluster.writer(of: record.id)
        let now = ContinuousClock.now
        var fresh = false, withWriter = false
        for item in pending {
            guard let to = item.forwardedTo, let at = item.forwardedAt else {
                fresh = true
                continue
            }
            // The writer changed (a node came or went): commit here.
            if to != writer { return .commit }
            // It did not answer in time: commit here. Heard from since (alive, only slow under
            // load), it is given up to `forwardTimeout`; not heard, `forwardPatience` (it may be
            // dead, and is taken for dead only after seconds). Unless it answered lately (slow,
            // not deaf), it is handed nothing more for a while.
            if now - at > forwardPatience {
                let heard = cluster.heard(to, since: at)
                if !heard || now - at > Self.forwardTimeout {
                    let answering = lastForwardAnswer.map { now - $0 < Self.contendedFor } ?? false
                    if !heard || !answering { silentWriter = (to, now + Self.contendedFor) }
                    return .commit
                }
            }
            withWriter = true
        }
        guard fresh else { return .wait }
        // Ops still with the writer: the new ones follow them there (committing them here would
        // race the writer for the same ops), shared or not.
        let shared = withWriter || sharedUntil.map { now < $0 } ?? false
        let silent = silentWriter.map { $0.node == writer && now < $0.until } ?? false
        return shared && !silent && writer != cluster.nodeID ? .forward(writer) : .commit
    }

    /// Sends the pending ops not forwarded yet to `writer`, in notifications of their own. Ops
    /// that cannot go (too large for a notification, or the notification failed) are committed
    /// here by the next turn of the flush loop.
    func forward(to writer: UUID) async {
        guard let cluster else { return }
        let now = ContinuousClock.now
        var ops: [OpForward.Op] = []
        for index in pending.indices where pending[index].forwardedTo == nil {
            guard let submission = pending[index].submission else { return giveUpForwarding(to: writer) }
            ops.append(submission)
            pending[index].forwardedTo = writer
            pending[index].forwardedAt = now
        }
        guard let payloads = OpForward(to: writer, from: cluster.nodeID, document: record.id, ops: ops).payloads else {
            return giveUpForwarding(to: writer)
        }
        metrics.opsForwarded.increment(by: Int64(ops.count))
        scheduleForwardCheck()
        for payload in payloads {
            do {
                try await store.notify(payload)
            } catch {
                logger.warning("ops not forwarded; committing them here", metadata: ["path": "\(path)", "error": "\(error)"])
                return giveUpForwarding(to: writer)
            }
        }
    }

    /// Wakes the flush loop once ``forwardPatience`` has passed, and again while ops wait for
    /// their writer, so that an unanswered forward is committed here within about that long
    /// (rather than at the next poll). The task is this actor's and ends when nothing waits.
    func scheduleForwardCheck() {
        guard forwardCheck == nil else { return }
        forwardCheck = Task {
            try? await Task.sleep(for: self.forwardPatience + .milliseconds(5))
            self.forwardCheckDue()
        }
    }

    private func forwardCheckDue() {
        forwardCheck = nil
        guard pending.contains(where: { $0.forwardedTo != nil }) else { return }
        startFlushLoop()
        scheduleForwardCheck()
    }

    /// Marks the ops forwarded to `writer` (and those not forwarded yet) as failed, so that the
    /// flush loop commits them here.
    private func giveUpForwarding(to writer: UUID) {
        for index in pending.indices where pending[index].forwardedTo == nil || pending[index].forwardedTo == writer {
            pending[index].forwardedTo = writer
            pending[index].forwardedAt = pending[index].forwardedAt ?? .now
            pending[index].forwardFailed = true
        }
    }

    /// Ops another node handed here to commit (``OpForward``): received as its clients' ops are
    /// there (transformed against everything committed since their base revision) and committed
    /// in this node's next group commit. Their sender checked them (role, opId, sizes); an op
    /// that no longer fits is dropped here, and its sender commits it itself after
    /// ``forwardPatience``.
    /// - Returns: false when this actor was retired (the hub has or loads another for the document).
    @discardableResult
    func receiveForwarded(_ forward: OpForward) async -> Bool {
        // Not into a text being replaced (its ops would be dropped with it).
        await reloaded()
        guard !isRetired else { return false }
        if let newest = forward.ops.map(\.baseRevision).max(), newest > document.revision {
            await catchUp(to: newest)
        }
        for op in forward.ops {
            let sizeBefore = document.text.utf8Count
            let receipt: OTDocument.Receipt
            do {
                receipt = try document.receive(op.operation, baseRevision: op.baseRevision, opId: op.opId,
                                               author: op.author, invertible: true)
            } catch {
                logger.warning("forwarded op not applied", metadata: ["path": "\(path)", "error": "\(error)"])
                continue
            }
            usage.adjust(sessionID, bytes: document.text.utf8Count - sizeBefore)
            guard !receipt.isDuplicate else { continue }   // committed already: its sender fetches it
            moveAnchors(by: receipt.committed)
            pending.append(Pending(
                op: OpRecord(documentID: record.id, revision: receipt.committed.revision, operation: receipt.committed.operation,
                             opId: op.opId, authorID: op.author.flatMap(UUID.init(uuidString:))),
                sender: nil, arrived: .now, submission: op, inverse: receipt.inverse, forwardedFrom: forward.from))
        }
        // Committed by the document's own loop, not in the caller's task (a child of the cluster
        // link's, cancelled at shutdown): the loop commits local clients' ops too.
        if !pending.isEmpty { startFlushLoop() }
        return true
    }
}
