import Foundation
import Logging
import MeshOT
import MeshProtocol
import MeshStore
import NIOConcurrencyHelpers

/// The OT authority for one live document: transforms incoming operations with `OTDocument`,
/// commits them to the store in groups, and only then acknowledges the sender and broadcasts
/// to the other subscribers. Also keeps presence (ephemeral) and annotation anchors current.
actor DocumentActor {
    var record: DocumentRecord
    var document: OTDocument
    var durableRevision: Int
    var pending: [Pending] = []
    /// The batch of the optimistic commit running (``flushLoop(inline:)``).
    var committing: [Pending] = []
    var waitingAcks: [(connection: ClientConnection, ack: ServerMessage.Ack)] = []
    /// Whether the flush loop runs (``GroupCommit``'s rule: a submitter's task runs the first
    /// commit when none runs; the loop's later turns are this actor's tasks).
    var groupCommit = GroupCommit()
    /// Reloads running (``resyncFromStore(_:)`` replacing the document with the store's): an
    /// opener waits for them (``reloaded()``), since the text it would get is being dropped.
    var reloading = 0
    var reloadWaiters: [CheckedContinuation<Void, Never>] = []
    var subscribers: [UUID: ClientConnection] = [:]
    var presence: [UUID: ServerMessage.Presence] = [:]
    var annotations: [UUID: AnnotationRecord] = [:]
    var names: [UUID: String] = [:]
    /// Annotations being stored (counted against `limits.maxAnnotationsPerDocument`).
    var annotationsInFlight = 0
    var opsSinceSnapshot = 0
    /// The newest revision other nodes are known to have committed (notifications).
    var remoteHead = 0
    /// Set by the backstop poll, a client from another node, or a conflict: fetch from the log.
    var pullRequested = false
    /// Ops other nodes' notifications carried, after `durableRevision` and in order, not yet
    /// taken in (DocumentActor+Cluster).
    var notifiedOps: [OpRecord] = []
    /// Until when commits go under the document's lock (a commit was lost lately).
    var contendedUntil: ContinuousClock.Instant?
    /// Until when other nodes count as writing this document at once with this one (a commit was
    /// lost to one lately): meanwhile its clients' ops go to its writer node (DocumentActor+Forward).
    var sharedUntil: ContinuousClock.Instant?
    /// The wake-up that commits here ops whose writer has not answered in time.
    var forwardCheck: Task<Void, Never>?
    /// The writer's answers lately (a moving average of forward → commit notification).
    var forwardRoundTrip: Duration = .milliseconds(20)
    /// A writer that let forwarded ops wait too long: nothing is handed to it until then.
    var silentWriter: (node: UUID, until: ContinuousClock.Instant)?
    /// When the writer last committed an op forwarded from here.
    var lastForwardAnswer: ContinuousClock.Instant?
    /// Callers of ``flushed()`` waiting: every pending op is committed here, none forwarded.
    var draining = 0
    /// The batch of the exclusive commit running, and why it gave up (``commitExclusively()``).
    var exclusiveBatch: (ops: [Pending], size: Int)?
    var exclusiveFailure: String?
    /// Remote participants' presence entries, by connection, with the node serving each.
    var remoteConnections: [UUID: UUID] = [:]
    nonisolated let sessionID: UUID
    /// Set once the hub unloads this actor: it takes no new subscriber, so an opener that got it
    /// just before the unload asks the hub again instead of editing a document nobody else sees.
    private nonisolated let retiredFlag = NIOLockedValueBox(false)
    let store: Store
    let limits: ServerConfiguration.Limits
    /// The session totals every growing op reserves its bytes from.
    let usage: SessionUsage
    let metrics: ServerMetrics
    let logger: Logger
    /// The other nodes on the same database; nil when this node is alone (SQLite).
    let cluster: ClusterLink?

    struct Pending {
        var op: OpRecord
        /// The client waiting for the ack; nil for an op another node forwarded here.
        var sender: ClientConnection?
        var arrived: ContinuousClock.Instant
        /// With other nodes: the op as its client sent it, for
        /// ``OTDocument/integrate(_:after:undoing:resubmitting:)`` when another node commits first.
        var submission: OTDocument.Submission?
        /// What undoes the op here: for that integration, and for the text at `durableRevision`
        /// that an opener gets while the op is not stored yet (``durableText()``).
        var inverse: TextOperation?
        /// The node it was forwarded to and when (``forward(to:)``); it is committed here only
        /// if none comes back in time.
        var forwardedTo: UUID?
        var forwardedAt: ContinuousClock.Instant?
        /// Its forward could not be sent (or not all of it): it is committed here.
        var forwardFailed = false
        /// The node that forwarded it here (it is committed here, never forwarded on).
        var forwardedFrom: UUID?
    }

    /// Loads the document: newest snapshot, the op log after it, and enough history to
    /// transform operations based on older revisions. Compaction keeps every op after the
    /// newest snapshot and at least `limits.historyLimit` behind the head, so the log read here
    /// has no gap; it starts later only when fewer ops were kept (the history is shorter).
    static func load(_ record: DocumentRecord, store: Store, limits: ServerConfiguration.Limits, usage: SessionUsage,
                     metrics: ServerMetrics, logger: Logger, cluster: ClusterLink? = nil) async throws -> DocumentActor {
        let snapshot = try await store.documents.latestSnapshot(documentID: record.id, atOrBefore: nil)
            ?? SnapshotRecord(documentID: record.id, revision: 0, text: "")
        let from = min(snapshot.revision, max(0, record.revision - limits.historyLimit))
        let ops = try await store.documents.operations(documentID: record.id, after: from)
        var text = TextBuffer(snapshot.text)
        var revision = snapshot.revision
        for op in ops where op.revision > snapshot.revision {
            try op.operation.apply(to: &text)
            revision = op.revision
        }
        let document = OTDocument(text: text, revision: revision, history: ops.map(\.committed), historyLimit: limits.historyLimit)
        var annotations: [UUID: AnnotationRecord] = [:]
        for var annotation in try await store.annotations.list(documentID: record.id) {
            // Anchors were stored at an older revision: move them through what happened since.
            if annotation.revision < revision, let since = try? document.operations(since: annotation.revision) {
                for committed in since { annotation = DocumentActor.moved(annotation, by: committed.operation) }
            }
            annotation.revision = revision
            annotations[annotation.id] = annotation
        }
        var current = record
        current.revision = revision
        return DocumentActor(record: current, document: document, annotations: annotations,
                             store: store, limits: limits, usage: usage, metrics: metrics, logger: logger, cluster: cluster)
    }

    private init(record: DocumentRecord, document: OTDocument, annotations: [UUID: AnnotationRecord],
                 store: Store, limits: ServerConfiguration.Limits, usage: SessionUsage,
                 metrics: ServerMetrics, logger: Logger, cluster: ClusterLink?) {
        self.record = record
        self.sessionID = record.sessionID
        self.document = document
        self.durableRevision = document.revision
        self.annotations = annotations
        self.store = store
        self.limits = limits
        self.usage = usage
        self.metrics = metrics
        self.logger = logger
        self.cluster = cluster
        self.remoteHead = document.revision
    }

    var path: String { record.path }
    var revision: Int { document.revision }
    var text: String { document.text.description }
    var isIdle: Bool { subscribers.isEmpty && pending.isEmpty && !groupCommit.isRunning }

    /// Whether the hub has unloaded this actor (readable from the hub without a hop).
    nonisolated var isRetired: Bool { retiredFlag.withLockedValue { $0 } }

    /// Retires the actor if it is idle, in one step with respect to `open`: afterwards it takes
    /// no subscriber, so the hub may drop it without two actors ever serving one document.
    func retireIfIdle() -> Bool {
        guard isIdle else { return false }
        retiredFlag.withLockedValue { $0 = true }
        return true
    }

    /// Takes no subscriber from now on (see ``retireIfIdle()``), idle or not.
    func retire() { retiredFlag.withLockedValue { $0 = true } }

    func renamed(to path: String) { record.path = path }

    // MARK: Subscribers

    /// Subscribes the connection and sends it a snapshot, or the operations since `knownRev`
    /// when the history (or, within bounds, the op log) still holds them and `knownId`, when
    /// given, names this document; in one step with the subscription. What a client is
    /// told must be durable, and every later op must reach it exactly once: the answer stops at
    /// `durableRevision`, and the ops after it (applied here, their commit running or to come)
    /// reach the connection as they commit, like every subscriber's. False when the actor was
    /// retired: ask the hub again.
    func open(_ connection: ClientConnection, knownRev: Int?, knownId: String? = nil, created: Bool = false) async -> Bool {
        // A revision of another document (deleted, and the path created again) is no revision of this one.
        var knownRev = knownRev
        if let knownId, UUID(uuidString: knownId) != record.id { knownRev = nil }
        guard let message = await subscribe(connection, knownRev: knownRev, created: created) else { return false }
        connection.send(message)
        return true
    }

    private func subscribe(_ connection: ClientConnection, knownRev: Int?, created: Bool) async -> ServerMessage? {
        // With other nodes, fetch what they committed first: the client may come from one of them
        // (it then knows newer revisions), and its catch-up should hold its own resent ops.
        if cluster != nil { await catchUp(to: knownRev ?? 0, always: true) }
        // A client back after more edits than the history holds (a long disconnect): the op log
        // still has them (compaction keeps `opRetention` behind the head), so it catches up and
        // its unacknowledged edits are rebased instead of dropped with a snapshot. Read before
        // the wait for reloads below, so that no reload starts between that wait and the answer.
        var logged: [CommittedOperation] = []
        if let knownRev, knownRev >= 0, knownRev < document.oldestRetainedRevision, knownRev <= durableRevision,
           durableRevision - knownRev <= Self.maxLoggedCatchUp, connection.takeLogCatchUp() {
            // Bounded in the database: a log of large ops is never read whole.
            let read = try? await store.documents.operations(documentID: record.id, after: knownRev, upToBytes: Self.maxLoggedCatchUpBytes)
            logged = (read ?? []).map(\.committed)
        }
        // Not during a reload: what it replaces is not served. (A commit running is no reason to
        // wait: the answer leaves its ops out, and on a busy document the loop of commits may
        // not pause for a long time.)
        await reloaded()
        // No `await` from here to the answer: the subscription and what it is told are one step.
        var answer: ServerMessage.CatchUp?
        if let knownRev, knownRev <= durableRevision, let ops = Self.operations(since: knownRev, logged: logged, in: document) {
            answer = .init(path: path, ops: Array(ops.prefix { $0.revision <= durableRevision }), rev: durableRevision,
                           presence: [], annotations: [], id: record.id.uuidString)
        }
        var durable = answer == nil ? durableText() : nil
        if answer == nil, durable == nil {
            // Not expected (every op applied here keeps its inverse): wait for no commit to run.
            while durable == nil, groupCommit.isRunning || !pending.isEmpty {
                await flushed()
                durable = durableText()
            }
        }
        guard !isRetired else { return nil }
        subscribers[connection.id] = connection
        names[connection.user.id] = connection.user.name
        let others = presence.filter { $0.key != connection.id }.map(\.value)
        let notes = annotations.values.sorted { $0.createdAt < $1.createdAt }.map(wire)
        if var answer {
            answer.presence = others
            answer.annotations = notes
            return .catchUp(answer)
        }
        let (revision, text) = durable.map { (durableRevision, $0) } ?? (document.revision, document.text)
        return .snapshot(.init(path: path, rev: revision, text: text.description, presence: others, annotations: notes,
                               created: created ? true : nil, id: record.id.uuidString))
    }

    /// The most ops a catch-up read from the op log carries (beyond it, a snapshot).
    static let maxLoggedCatchUp = 10_000
    /// The most stored op text (JSON characters) one catch-up reads from the op log, a bound the
    /// database applies (beyond it, a snapshot): a client takes messages up to 32 MiB
    /// (`CollaborationClient.maxMessageBytes`), and a snapshot is smaller than many rewrites of a file.
    static let maxLoggedCatchUpBytes = 8 << 20

    /// The ops after `revision`: from the history, else from `logged` (read from the op log,
    /// contiguous from `revision + 1`) up to where the history takes over. Nil when neither
    /// reaches back that far, or the two leave a gap.
    static func operations(since revision: Int, logged: [CommittedOperation], in document: OTDocument) -> [CommittedOperation]? {
        if let ops = try? document.operations(since: revision) { return ops }
        let oldest = document.oldestRetainedRevision
        let logged = logged.prefix { $0.revision <= document.revision }   // another node's newer ops: not here yet
        guard let last = logged.last?.revision, last >= oldest,
              logged.enumerated().allSatisfy({ $0.element.revision == revision + 1 + $0.offset }),
              let rest = try? document.operations(since: last)
        else { return nil }
        return Array(logged) + rest
    }

    /// The text at `durableRevision`: the current text with the ops not yet stored (being
    /// committed, or pending) undone (``OTDocument/text(undoing:)``). Nil when an op has no
    /// inverse.
    func durableText() -> TextBuffer? {
        let unstored = committing + (exclusiveBatch?.ops ?? []) + pending
        let inverses = unstored.compactMap(\.inverse)
        guard inverses.count == unstored.count, unstored.count == document.revision - durableRevision else { return nil }
        return try? document.text(undoing: inverses)
    }

    func close(_ connection: ClientConnection) {
        subscribers[connection.id] = nil
        if presence.removeValue(forKey: connection.id) != nil {
            broadcast(.presence(.init(path: path, user: connection.user.id.uuidString, name: connection.user.name,
                                      rev: document.revision, selections: [])), except: connection.id)
            cluster?.publish(.presence(.init(document: record.id.uuidString, connection: connection.id.uuidString,
                                             user: connection.user.id.uuidString, name: connection.user.name,
                                             rev: durableRevision, selections: [])))
        }
    }

    /// Closes every subscriber's view of this document (deleted or session gone).
    func evictAll(reason: ErrorMessage) {
        broadcast(.error(reason), except: nil)
        subscribers.removeAll()
        presence.removeAll()
    }

    /// Returns once no reload (``resyncFromStore(_:)``) is running.
    func reloaded() async {
        while reloading > 0 { await withCheckedContinuation { reloadWaiters.append($0) } }
    }

    /// Returns once every operation received so far is durable (graceful shutdown, eviction, a
    /// read of the text): meanwhile ops handed to another node's writer are committed here
    /// (``route()``), so that none is left with a node that may not answer any more.
    func flushed() async {
        draining += 1
        defer { draining -= 1 }
        while groupCommit.isRunning || !pending.isEmpty {
            if groupCommit.begin() {
                await flushLoop(inline: false)
            } else {
                await loopEnded()
            }
        }
    }

    /// Returns when the running flush loop ends (at once when none runs).
    func loopEnded() async {
        guard groupCommit.isRunning else { return }
        await withCheckedContinuation { groupCommit.whenEnded($0) }
    }

    func broadcast(_ message: ServerMessage, except: UUID?) {
        let text = WireCodec.encode(message)
        for (id, connection) in subscribers where id != except { connection.send(text) }
    }

    func wire(_ annotation: AnnotationRecord) -> ServerMessage.Annotation {
        .init(id: annotation.id.uuidString, path: path, parent: annotation.parentID?.uuidString,
              user: annotation.authorID.uuidString, name: names[annotation.authorID] ?? "",
              rev: annotation.revision, from: annotation.from, to: annotation.to, body: annotation.body,
              resolved: annotation.resolved)
    }

    /// Forgets annotation `id` and its replies (deleted here or on another node) and tells the
    /// subscribers each is gone.
    func dropAnnotation(_ id: UUID) {
        for item in annotations.values where item.id == id || item.parentID == id {
            annotations[item.id] = nil
            var message = wire(item)
            message.deleted = true
            broadcast(.annotation(message), except: nil)
        }
    }

    /// An annotation's anchors moved through an operation: the range keeps text typed inside
    /// it and excludes text typed at its edges.
    static func moved(_ annotation: AnnotationRecord, by operation: TextOperation) -> AnnotationRecord {
        var moved = annotation
        (moved.from, moved.to) = Selection.annotatedRange(from: annotation.from, to: annotation.to, through: operation)
        return moved
    }
}
