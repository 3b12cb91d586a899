import Foundation
import MeshOT
import MeshProtocol
import MeshStore

/// Several nodes serving one document (docs/architecture.md, "Several nodes"): the op log's
/// primary key orders the ops; each node applies its clients' ops at once ("speculative"),
/// commits them, and when another node committed first, fetches those ops and puts its own
/// after them (``OTDocument/integrate(_:after:undoing:resubmitting:)``). Fetches run inside the
/// flush loop, so a commit and a fetch never overlap.
extension DocumentActor {
    /// Whether the log may hold ops this node has not fetched.
    var needsPull: Bool { cluster != nil && (remoteHead > durableRevision || pullRequested) }

    /// The most notified ops kept for the next fetch; past it they are dropped and fetched.
    static let maxNotifiedOps = 10_000

    /// Another node committed up to `revision`, and its notification carried `ops` (nil when
    /// they did not fit). With nothing of this node's in flight, ops that follow this node's
    /// head are taken in at once, without a query; otherwise they wait for the flush loop's
    /// fetch (``pullRemote()``), which takes them instead of querying when they reach as far as
    /// the notifications announced.
    func remoteCommitted(through revision: Int, ops: [OpRecord]?) {
        guard revision > durableRevision else { return }
        if let ops { keepNotified(ops) } else { notifiedOps.removeAll() }
        if !groupCommit.isRunning, pending.isEmpty, !pullRequested, notifiedOps.first?.revision == durableRevision + 1,
           notifiedOps.last!.revision >= max(revision, remoteHead) {
            let ops = notifiedOps
            notifiedOps.removeAll()
            if let failure = integrateFetched(ops) {
                let began = groupCommit.begin()
                assert(began, "no loop runs: checked above, and nothing was awaited since")
                Task {
                    await self.resyncFromStore(failure)
                    await self.flushLoop(inline: false)
                }
            }
            return
        }
        remoteAdvanced(to: revision)
    }

    /// Keeps `ops` after the notified ops held, when they follow them; a gap (a notification
    /// lost, or ops too large to carry) empties the buffer: the fetch brings them all.
    private func keepNotified(_ ops: [OpRecord]) {
        notifiedOps.removeAll { $0.revision <= durableRevision }
        let fresh = ops.drop { $0.revision <= max(durableRevision, notifiedOps.last?.revision ?? 0) }
        guard let first = fresh.first else { return }
        if first.revision != (notifiedOps.last?.revision ?? durableRevision) + 1 { notifiedOps.removeAll() }
        notifiedOps.append(contentsOf: fresh)
        if notifiedOps.count > Self.maxNotifiedOps { notifiedOps.removeAll() }
    }

    /// Another node committed up to `revision` (its notification), or, with nil, the backstop
    /// poll asks for a fetch in case a notification was missed. Returns at once: the fetch runs
    /// in the flush loop (a task of this actor's, as for commits).
    func remoteAdvanced(to revision: Int?) {
        if let revision {
            guard revision > durableRevision else { return }   // our own commit, or known already
            remoteHead = max(remoteHead, revision)
        } else {
            // Pending ops count too: ops forwarded to a writer that did not answer are committed here.
            guard !subscribers.isEmpty || !pending.isEmpty else { return }
            pullRequested = true
        }
        startFlushLoop()   // a running loop fetches before it ends
    }

    /// Fetches what the log holds when a client names a revision newer than this node's (another
    /// node gave it), or, with `always`, in any case. The client's number is not trusted: it only
    /// triggers the fetch; a revision the log does not have is refused afterwards as before.
    func catchUp(to revision: Int, always: Bool = false) async {
        guard always || revision > document.revision else { return }
        pullRequested = true
        if groupCommit.begin() {
            await flushLoop(inline: true)
        } else {
            await loopEnded()   // the running loop fetches before it ends
        }
    }

    /// Fetches the ops other nodes committed after `durableRevision` and takes them in
    /// (``integrateFetched(_:)``). False when the document had to be reloaded (the loop stops).
    func pullRemote() async -> Bool {
        let backstop = pullRequested
        pullRequested = false
        notifiedOps.removeAll { $0.revision <= durableRevision }
        let fetched: [OpRecord]
        do {
            if !backstop, notifiedOps.first?.revision == durableRevision + 1, notifiedOps.last!.revision >= remoteHead {
                fetched = notifiedOps   // what the notifications carried: no query
                notifiedOps.removeAll()
            } else {
                fetched = try await store.documents.operations(documentID: record.id, after: durableRevision)
                notifiedOps.removeAll { $0.revision <= (fetched.last?.revision ?? durableRevision) }
            }
        } catch {
            logger.warning("fetching other nodes' ops failed", metadata: ["path": "\(path)", "error": "\(error)"])
            await resyncFromStore("the server lost its database connection")
            return false
        }
        if fetched.isEmpty {
            remoteHead = durableRevision   // a notification this node had acted on already
            return true
        }
        if let failure = integrateFetched(fetched) {
            await resyncFromStore(failure)
            return false
        }
        return true
    }

    /// Puts ops other nodes committed (`fetched`, from `durableRevision + 1` on) under this node's
    /// speculative ones, relays them to the subscribers here and moves presence, anchors and
    /// waiting acks. Returns why the document must be reloaded instead, or nil.
    func integrateFetched(_ fetched: [OpRecord]) -> String? {
        guard let first = fetched.first else { return nil }
        guard first.revision == durableRevision + 1 else {
            // Compacted past this node's history: start again from the newest snapshot.
            return "the document moved on while this server lagged"
        }
        let remote = fetched.map(\.committed)
        let speculative = pending
        let sizeBefore = document.text.utf8Count
        let integration: OTDocument.Integration
        do {
            guard speculative.allSatisfy({ $0.inverse != nil && $0.submission != nil }) else {
                throw OTError.unexpectedRevision(expected: durableRevision, received: document.revision)
            }
            integration = try document.integrate(remote, after: durableRevision, undoing: speculative.compactMap(\.inverse),
                                                 resubmitting: speculative.compactMap(\.submission))
        } catch {
            logger.error("integrating other nodes' ops failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return "the server could not merge edits made through another server"
        }
        usage.adjust(sessionID, bytes: document.text.utf8Count - sizeBefore)
        let oldDurable = durableRevision
        var renumbered: [Int: Int] = [:]
        /// The clients whose ops another node committed (forwarded there, or resent there): they
        /// get the ack in its place among the relayed ops.
        var acknowledged: [Int: (sender: ClientConnection, opId: String)] = [:]
        pending.removeAll(keepingCapacity: true)
        for (item, receipt) in zip(speculative, integration.receipts) {
            renumbered[item.op.revision] = receipt.committed.revision
            if receipt.isDuplicate {
                if let sender = item.sender { acknowledged[receipt.committed.revision] = (sender, item.op.opId ?? "") }
                if let at = item.forwardedAt, !item.forwardFailed { forwardAnswered(after: .now - at) }
                continue
            }
            var moved = item
            moved.op.revision = receipt.committed.revision
            moved.op.operation = receipt.committed.operation
            moved.inverse = receipt.inverse
            pending.append(moved)
        }
        // Still forwarding while other nodes' ops keep coming in between ours: the document stays
        // shared (else it would go back to committing here every 5 s, and lose to the writer).
        let theirs = remote.count - integration.receipts.filter(\.isDuplicate).count
        if theirs > 0, speculative.contains(where: { $0.forwardedTo != nil }) { sharedUntil = .now + Self.contendedFor }
        for index in waitingAcks.indices where waitingAcks[index].ack.rev > oldDurable {
            if let revision = renumbered[waitingAcks[index].ack.rev] { waitingAcks[index].ack.rev = revision }
        }
        durableRevision = remote.last!.revision
        remoteHead = max(remoteHead, durableRevision)
        record.revision = durableRevision
        move(through: integration.moves)
        // A duplicate of an op committed before these (not expected: it was pending here).
        for (revision, waiting) in acknowledged.sorted(by: { $0.key < $1.key }) where revision <= oldDurable {
            waiting.sender.send(.ack(.init(path: path, rev: revision, opId: waiting.opId)))
        }
        // Each acknowledged client gets its ack in its op's place, the others get the op.
        relayCommitted(fetched.map { (op: $0, sender: acknowledged.removeValue(forKey: $0.revision)?.sender) })
        metrics.opsRelayedFromNodes.increment(by: Int64(fetched.count))
        return nil
    }

    // MARK: Contended documents

    /// Whether commits of this document go under its lock (``commitExclusively()``): for a
    /// while after a commit was lost to another node.
    var isContended: Bool { contendedUntil.map { ContinuousClock.now < $0 } ?? false }

    /// Commits every pending op in one transaction under the document's advisory lock: the ops
    /// other nodes committed are fetched and taken in first (``integrateFetched(_:)``), so the
    /// append cannot lose to another node that commits this way too. Returns the batch
    /// committed, or nil when nothing was (it is pending again, or the document was reloaded:
    /// `stop` says whether the loop must end).
    func commitExclusively() async -> (batch: [Pending], size: Int, stop: Bool)? {
        exclusiveBatch = nil
        exclusiveFailure = nil
        do {
            try await store.documents.appendExclusively(documentID: record.id, after: durableRevision) { fetched in
                try await self.prepareExclusiveBatch(fetched)
            }
        } catch {
            if let batch = exclusiveBatch { pending.insert(contentsOf: batch.ops, at: 0) }
            exclusiveBatch = nil
            if let failure = exclusiveFailure {
                await resyncFromStore(failure)
                return (batch: [], size: 0, stop: true)
            }
            if case StoreError.conflict = error {
                // A node appending without the lock won a revision: again, under the lock.
                metrics.commitConflicts.increment()
                sharedUntil = .now + Self.contendedFor
                return nil
            }
            logger.error("op commit failed; subscribers resync", metadata: ["path": "\(path)", "error": "\(error)"])
            await resyncFromStore()
            return (batch: [], size: 0, stop: true)
        }
        guard let batch = exclusiveBatch else { return nil }
        exclusiveBatch = nil
        return (batch: batch.ops, size: batch.size, stop: false)
    }

    /// Inside ``commitExclusively()``'s transaction: the fetched ops taken in, then every
    /// pending op becomes the batch.
    private func prepareExclusiveBatch(_ fetched: [OpRecord]) throws -> (ops: [OpRecord], size: Int) {
        if let failure = integrateFetched(fetched) {
            exclusiveFailure = failure
            throw StoreOpenError(failure)
        }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        let size = document.text.utf8Count
        exclusiveBatch = (batch, size)
        return (batch.map(\.op), size)
    }

    /// Presence and annotation anchors follow the text through `moves`.
    private func move(through moves: [TextOperation]) {
        guard !moves.isEmpty else { return }
        for (id, var entry) in presence {
            var selection = Selection(entry.selections)
            for operation in moves { selection = selection.transformed(by: operation) }
            entry.selections = selection.ranges
            entry.rev = document.revision
            presence[id] = entry
        }
        for (id, annotation) in annotations {
            var moved = annotation
            for operation in moves { moved = DocumentActor.moved(moved, by: operation) }
            moved.revision = document.revision
            annotations[id] = moved
        }
    }

    // MARK: Presence and annotations from other nodes

    /// A participant on another node moved their cursors (`rev` is a revision they know, so the
    /// log has it); empty selections: they left the document.
    func remotePresence(_ event: ClusterEvent.Presence, node: UUID) async {
        guard let connection = UUID(uuidString: event.connection) else { return }
        if event.selections.isEmpty {
            remoteConnections[connection] = nil
            guard presence.removeValue(forKey: connection) != nil else { return }
            broadcast(.presence(.init(path: path, user: event.user, name: event.name, rev: document.revision, selections: [])),
                      except: nil)
            return
        }
        if event.rev > document.revision, event.rev <= remoteHead { await catchUp(to: event.rev) }
        guard let later = try? document.operations(since: event.rev) else { return }
        var selection = Selection(event.selections)
        for committed in later { selection = selection.transformed(by: committed.operation) }
        let length = document.text.count
        let clamped = selection.ranges.map {
            SelectionRange(anchor: min(max(0, $0.anchor), length), head: min(max(0, $0.head), length))
        }
        let entry = ServerMessage.Presence(path: path, user: event.user, name: event.name, rev: document.revision, selections: clamped)
        presence[connection] = entry
        remoteConnections[connection] = node
        broadcast(.presence(entry), except: nil)
    }

    /// A node stopped answering: the presence of its participants goes, and ops forwarded to it
    /// are committed here.
    func nodeGone(_ node: UUID) {
        if pending.contains(where: { $0.forwardedTo == node }) { startFlushLoop() }
        for (connection, owner) in remoteConnections where owner == node {
            remoteConnections[connection] = nil
            guard let entry = presence.removeValue(forKey: connection) else { continue }
            broadcast(.presence(.init(path: path, user: entry.user, name: entry.name, rev: document.revision, selections: [])),
                      except: nil)
        }
    }

    /// An annotation was added, changed or deleted through another node: read it from the store
    /// and show it here.
    func remoteAnnotation(id: UUID, deleted: Bool) async {
        if deleted {
            dropAnnotation(id)
            return
        }
        guard var annotation = try? await store.annotations.find(id: id), annotation.documentID == record.id else { return }
        if annotation.revision > document.revision { await catchUp(to: annotation.revision) }
        if let later = try? document.operations(since: annotation.revision) {
            for committed in later { annotation = DocumentActor.moved(annotation, by: committed.operation) }
        }
        annotation.revision = document.revision
        annotation.to = min(annotation.to, document.text.count)
        annotation.from = min(annotation.from, annotation.to)
        annotations[id] = annotation
        broadcast(.annotation(wire(annotation)), except: nil)
    }
}
