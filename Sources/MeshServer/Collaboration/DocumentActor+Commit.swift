import Foundation
import MeshOT
import MeshProtocol
import MeshStore

extension DocumentActor {
    /// How long a document commits under its lock after a commit was lost to another node.
    static let contendedFor: Duration = .seconds(5)
    /// Exclusive commits lost in a row (to nodes appending without the lock) before the
    /// document is reloaded instead.
    static let maxLostCommits = 50

    /// An operation from a client: transformed and applied in memory at once, acknowledged
    /// after the group commit that makes it durable. Refusals answer the sender with an error
    /// that names the `opId`.
    ///
    /// When no commit is running, the caller's task runs the first one itself (returning after it),
    /// so an op on an idle document is committed and relayed without a hand-off to another task.
    func submit(_ message: ClientMessage.Op, from connection: ClientConnection) async {
        guard subscribers[connection.id] != nil else {
            return refuse(message, connection, ErrorMessage(.badRequest, "open the document before editing it"))
        }
        guard message.hasValidOpId else {
            return refuse(message, connection, ErrorMessage(
                .badRequest, "an opId is 1 to \(ClientMessage.Op.maxOpIdBytes) bytes without control characters; the op was not applied"))
        }
        guard connection.role.canEdit else {
            return refuse(message, connection, ErrorMessage(.forbidden, "viewers cannot edit; your change was not applied"))
        }
        let growth = message.ops.components.reduce(0) { sum, c in
            if case let .insert(s) = c { return sum + s.utf8.count } else { return sum }
        }
        guard document.text.utf8Count + growth <= limits.maxDocumentBytes else {
            return refuse(message, connection, ErrorMessage(.tooLarge, "the document would exceed \(limits.maxDocumentBytes) bytes"))
        }
        // The session's total, shared with its other documents: reserved before the op is
        // applied, so that no two documents' ops pass the limit together.
        guard usage.reserve(bytes: growth, in: sessionID) else {
            return refuse(message, connection, ErrorMessage(
                .tooLarge, "the session's documents would exceed \(limits.maxSessionBytes) bytes; the op was not applied"))
        }
        // A client that came from another node may know revisions this one has not fetched yet.
        if cluster != nil, message.baseRev > document.revision { await catchUp(to: message.baseRev) }
        let sizeBefore = document.text.utf8Count
        let receipt: OTDocument.Receipt
        do {
            receipt = try document.receive(message.ops, baseRevision: message.baseRev, opId: message.opId,
                                           author: connection.user.id.uuidString, invertible: true)
        } catch {
            usage.adjust(sessionID, bytes: -growth)
            return refuse(message, connection, ErrorMessage(.resync, "\(error)"))
        }
        // What the op changed replaces what it reserved (its deletes count; a duplicate is nothing).
        usage.adjust(sessionID, bytes: document.text.utf8Count - sizeBefore - growth)
        let committed = receipt.committed
        let ack = ServerMessage.Ack(path: path, rev: committed.revision, opId: message.opId)
        if receipt.isDuplicate {
            if committed.revision <= durableRevision { connection.send(.ack(ack)) } else { waitingAcks.append((connection, ack)) }
            return
        }
        moveAnchors(by: committed)
        pending.append(Pending(
            op: OpRecord(documentID: record.id, revision: committed.revision, operation: committed.operation,
                         opId: message.opId, authorID: connection.user.id),
            sender: connection, arrived: .now,
            submission: cluster == nil ? nil : OTDocument.Submission(
                operation: message.ops, baseRevision: message.baseRev, opId: message.opId, author: connection.user.id.uuidString),
            inverse: receipt.inverse))
        if groupCommit.begin() { await flushLoop(inline: true) }
    }

    /// Presence and annotation anchors follow an op applied here.
    func moveAnchors(by committed: CommittedOperation) {
        for (id, var selection) in presence {
            selection.selections = Selection(selection.selections).transformed(by: committed.operation).ranges
            selection.rev = committed.revision
            presence[id] = selection
        }
        for (id, annotation) in annotations {
            var moved = DocumentActor.moved(annotation, by: committed.operation)
            moved.revision = committed.revision
            annotations[id] = moved
        }
    }

    private func refuse(_ message: ClientMessage.Op, _ connection: ClientConnection, _ error: ErrorMessage) {
        metrics.opsRefused.increment()
        var error = error
        error.ref = message.opId
        error.path = path
        connection.send(.error(error))
    }

    /// Commits pending operations, a batch per transaction, until none is left. Operations that
    /// arrive during a commit form the next batch (group commit). Run `inline` (in a submitter's
    /// task), it commits one batch and hands any next one to a task of its own, so that the
    /// submitter's connection is not kept from its own messages by other clients' ops.
    ///
    /// That task is this actor's (``GroupCommit``): the loop runs on while it does, so the actor
    /// is not retired, and ``flushed()`` (the hub's graceful shutdown) waits for it. It is never
    /// cancelled, since its ops are applied already and their senders wait for the ack; it ends
    /// when nothing is pending. Start it with ``GroupCommit/begin()`` or ``startFlushLoop()``.
    func flushLoop(inline: Bool) async {
        var first = true
        var lostInARow = 0
        loop: while true {
            if needsPull {
                guard await pullRemote() else { break }
            }
            guard !pending.isEmpty else { break }
            switch route() {
            case .wait:
                // The writer's append notification brings them back (DocumentActor+Forward); the
                // forward check commits them here if it does not come in time.
                scheduleForwardCheck()
                break loop
            case let .forward(writer):
                if inline, !first {
                    Task { await self.flushLoop(inline: false) }
                    return
                }
                first = false
                await forward(to: writer)
                continue loop
            case .commit:
                // Exclusive commits run in this actor's own task: a submitter's cancelled task must
                // not roll back a transaction that took other nodes' ops in.
                if inline, !first || isContended {
                    Task { await self.flushLoop(inline: false) }
                    return
                }
                first = false
            }
            let batch: [Pending]
            let size: Int
            let started = ContinuousClock.now
            if isContended {
                guard let outcome = await commitExclusively() else {
                    lostInARow += 1
                    if lostInARow > Self.maxLostCommits {
                        await resyncFromStore("the server could not store this document's edits against other servers' edits")
                        break
                    }
                    continue
                }
                if outcome.stop { break }
                guard !outcome.batch.isEmpty else { continue }
                (batch, size) = (outcome.batch, outcome.size)
            } else {
                batch = pending
                pending.removeAll(keepingCapacity: true)
                size = document.text.utf8Count
                // Until the append ends, an opener's text leaves the batch out (`durableText()`).
                committing = batch
                do {
                    try await store.documents.append(batch.map(\.op), documentID: record.id, size: size)
                    committing = []
                } catch StoreError.conflict(_) where cluster != nil {
                    committing = []
                    // Another node committed one of these revisions first (or one of these ops,
                    // resent to it): from now on, for a while, this document commits under its
                    // lock, fetching the other nodes' ops and putting ours after them first.
                    pending.insert(contentsOf: batch, at: 0)
                    metrics.commitConflicts.increment()
                    contendedUntil = .now + Self.contendedFor
                    sharedUntil = contendedUntil
                    continue
                } catch {
                    committing = []
                    if Task.isCancelled {
                        // The submitter's task was cancelled (its connection is going away), which is
                        // no fault of the batch: put it back and commit it from a task of its own.
                        pending.insert(contentsOf: batch, at: 0)
                        Task { await self.flushLoop(inline: false) }
                        return
                    }
                    logger.error("op commit failed; subscribers resync", metadata: ["path": "\(path)", "error": "\(error)"])
                    await resyncFromStore()
                    break
                }
            }
            lostInARow = 0
            let committedAt = ContinuousClock.now
            metrics.databaseLatency.record(committedAt - started)
            metrics.commitBatches.increment()
            durableRevision = batch.last!.op.revision
            record.revision = durableRevision
            record.size = size
            for item in batch {
                metrics.opsCommitted.increment()
                metrics.commitLatency.record(committedAt - item.arrived)
            }
            opsSinceSnapshot += batch.count
            relayCommitted(batch.map { (op: $0.op, sender: $0.sender) })
            if opsSinceSnapshot >= limits.snapshotInterval, pending.isEmpty { await writeSnapshot() }
        }
        groupCommit.end()
    }

    /// Ops just committed to the log, by this node (the flush loop) or by another one
    /// (``integrateFetched(_:)``), go out, in revision order: each op's sender, when it is a client
    /// of this node, gets its ack, and every other subscriber the op (`remoteOp`). Then the hash,
    /// when it is due: the last op is this node's head (no speculative op after it) at a multiple
    /// of `limits.hashInterval`. Then the acks that waited for these revisions (duplicates).
    /// `durableRevision` has been moved to the last of them already.
    func relayCommitted(_ committed: [(op: OpRecord, sender: ClientConnection?)]) {
        for (op, sender) in committed {
            sender?.send(.ack(.init(path: path, rev: op.revision, opId: op.opId ?? "")))
            broadcast(.remoteOp(.init(path: path, committed: op.committed)), except: sender?.id)
        }
        // Revisions rise through the batch and none passes the head: only the last can be it.
        if let last = committed.last?.op.revision, last == document.revision, last % limits.hashInterval == 0 {
            broadcast(.hash(.init(path: path, rev: last, hash: DocumentHash.of(document.text.description))), except: nil)
        }
        let ready = waitingAcks.filter { $0.ack.rev <= durableRevision }
        waitingAcks.removeAll { $0.ack.rev <= durableRevision }
        for (connection, ack) in ready { connection.send(.ack(ack)) }
    }

    /// Starts the flush loop in a task of this actor's, unless it runs already (it then takes
    /// what is pending before it ends).
    func startFlushLoop() {
        if groupCommit.begin() { Task { await self.flushLoop(inline: false) } }
    }

    /// A snapshot of the current (durable) text, and the moved annotation anchors with it; then
    /// the op log is compacted behind it.
    func writeSnapshot() async {
        let snapshot = SnapshotRecord(documentID: record.id, revision: document.revision, text: document.text.description)
        do {
            try await store.documents.saveSnapshot(snapshot)
            for annotation in annotations.values { try await store.annotations.update(annotation) }
            opsSinceSnapshot = 0
        } catch {
            logger.warning("snapshot failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return
        }
        await compact(behind: snapshot)
    }

    /// Deletes the stored ops more than `limits.retainedOps` behind the head, up to the newest
    /// snapshot at or before that point, with the snapshots older than that one. The in-memory
    /// history (`historyLimit` ≤ `retainedOps`) is untouched: catch-up is unchanged, and a
    /// reload still finds every op it replays.
    private func compact(behind snapshot: SnapshotRecord) async {
        let through = min(snapshot.revision, durableRevision - limits.retainedOps)
        guard through > 0 else { return }
        do {
            try await store.documents.compact(documentID: record.id, through: through)
        } catch {
            logger.warning("op log compaction failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// The in-memory state ran ahead of a commit that failed: reload from the store and make
    /// every subscriber reopen. Unacknowledged operations are resent by their clients.
    func resyncFromStore(_ why: String = "the server could not store recent edits") async {
        reloading += 1
        defer {
            reloading -= 1
            if reloading == 0 {
                let waiters = reloadWaiters
                reloadWaiters.removeAll()
                for waiter in waiters { waiter.resume() }
            }
        }
        // Evicted first, so that no op is applied to the stale text while it reloads; a client
        // that reopens meanwhile gets its snapshot once the reload is done (`reloaded()`).
        evictAll(reason: ErrorMessage(.resync, "\(why); reopen the document", path: path))
        pending.removeAll()
        waitingAcks.removeAll()
        let sizeBefore = document.text.utf8Count
        if let fresh = try? await DocumentActor.load(record, store: store, limits: limits, usage: usage,
                                                      metrics: metrics, logger: logger) {
            document = await fresh.snapshotDocument()
            durableRevision = document.revision
            remoteHead = max(remoteHead, durableRevision)
        } else {
            // The store cannot be read either: this copy is ahead of the log and must not serve
            // again (a reopen would see unstored ops, a later commit would leave a gap). Retired,
            // the hub loads the document afresh from the store when it is next opened.
            retire()
            logger.error("document reload failed; it is loaded again on the next open", metadata: ["path": "\(path)"])
        }
        // The ops that were not stored gave their bytes back.
        usage.adjust(sessionID, bytes: document.text.utf8Count - sizeBefore)
        // Nothing received during the reload was based on a snapshot of the reloaded text.
        pending.removeAll()
        waitingAcks.removeAll()
    }

    func snapshotDocument() -> OTDocument { document }
}
