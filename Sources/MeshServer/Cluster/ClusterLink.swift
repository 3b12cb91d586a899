import Foundation
import Logging
import MeshStore
import Synchronization

/// This node's link to the other `mesh serve` nodes on the same PostgreSQL database, with no
/// broker: it sends its events with NOTIFY (in order, from one task), listens on a connection of
/// its own, hears its own heartbeat as proof that both paths work, and tells the hub when other
/// nodes' ops arrive, when a node goes silent, and when to fetch everything again (after the
/// listener reconnects, and every ``pollInterval`` as the backstop for a missed notification).
///
/// All of it runs in ``run(hub:)``'s task group, which ends when the server's task is cancelled.
final class ClusterLink: Sendable {
    static let heartbeatInterval: Duration = .seconds(1)
    /// A node not heard for this long is taken for dead (its participants' cursors and debug
    /// views go); this node's own listener too. Six heartbeats.
    static let nodeTimeout: Duration = .seconds(6)
    /// How long a debug session's claim outlives its node's last heartbeat before another node
    /// may run the session (`debug_owners`): longer than ``nodeTimeout``, since taking a
    /// running debug session from a node that was only slow would end it for everyone.
    static let debugLease: Duration = .seconds(10)
    /// The backstop fetch of every live document.
    static let pollInterval: Duration = .seconds(2)
    /// Forwards from other nodes taken in at once (each may load its document) …
    static let maxForwardsTaken = 64
    /// … and waiting behind them; more are dropped (their senders commit them themselves).
    static let maxForwardsWaiting = 10_000

    /// This node's name among the nodes: its store's, which the append notifications carry.
    let nodeID: UUID
    private let store: Store
    private let logger: Logger
    private let outbox: AsyncStream<ClusterEvent.Kind>
    private let outboxInput: AsyncStream<ClusterEvent.Kind>.Continuation
    private let state = Mutex(State())
    private let debugOutbox: AsyncStream<(Store.DebugFrame, UUID)>
    private let debugOutboxInput: AsyncStream<(Store.DebugFrame, UUID)>.Continuation
    /// Ops other nodes handed here to commit, taken in by `run`.
    private let forwards: AsyncStream<OpForward>
    private let forwardsInput: AsyncStream<OpForward>.Continuation
    private let handlers = Mutex(Handlers())

    private struct Handlers {
        var debugFrames: (@Sendable () async -> Void)?
        var nodeGone: [@Sendable (UUID) async -> Void] = []
        var disconnect: (@Sendable (UUID, String) async -> Void)?
    }

    private struct State {
        var lastSeen: [UUID: ContinuousClock.Instant] = [:]
        /// Nodes taken for dead (until heard again).
        var dead: Set<UUID> = []
        var ownHeartbeat: ContinuousClock.Instant?
        var listening = false
    }

    private struct ListenerStale: Error, CustomStringConvertible {
        var description: String { "this node has not heard its own heartbeat: reconnecting the listener" }
    }

    init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
        nodeID = store.node
        // Presence is the bulk; a backlog this long means the database is gone (newest kept).
        (outbox, outboxInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        (debugOutbox, debugOutboxInput) = AsyncStream.makeStream()
        // A forward dropped here is committed by its sender when no answer comes (the writer's
        // patience), so a backlog keeps the oldest and drops the rest.
        (forwards, forwardsInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(Self.maxForwardsWaiting))
    }

    /// Sends a debug frame to `node`, after the frames sent before it.
    func sendDebug(_ frame: Store.DebugFrame, to node: UUID) {
        debugOutboxInput.yield((frame, node))
    }

    /// Runs `handler` when frames arrive for this node.
    func onDebugFrames(_ handler: @escaping @Sendable () async -> Void) {
        handlers.withLock { $0.debugFrames = handler }
    }

    /// Runs `handler` when another node revoked a user's tokens (close their sockets here).
    func onDisconnect(_ handler: @escaping @Sendable (UUID, String) async -> Void) {
        handlers.withLock { $0.disconnect = handler }
    }

    /// Runs `handler` when another node is taken for dead.
    func onNodeGone(_ handler: @escaping @Sendable (UUID) async -> Void) {
        handlers.withLock { $0.nodeGone.append(handler) }
    }

    /// Sends `kind` to the other nodes, after everything published before it.
    func publish(_ kind: ClusterEvent.Kind) {
        outboxInput.yield(kind)
    }

    /// Whether this node hears the others: listening, and its own heartbeat came back recently.
    var isHealthy: Bool {
        state.withLock { state in
            guard state.listening, let heard = state.ownHeartbeat else { return false }
            return ContinuousClock.now - heard < Self.nodeTimeout
        }
    }

    /// Whether `node` was taken for dead and not heard since.
    func isTakenForDead(_ node: UUID) -> Bool { state.withLock { $0.dead.contains(node) } }

    /// The other nodes heard from lately.
    var liveNodes: [UUID] { state.withLock { Array($0.lastSeen.keys) } }

    /// Whether `node` was heard from (a heartbeat, an event, a commit) at `instant` or later.
    func heard(_ node: UUID, since instant: ContinuousClock.Instant) -> Bool {
        state.withLock { $0.lastSeen[node].map { $0 >= instant } ?? false }
    }

    /// The node that commits `document` while several nodes have writers on it: of this node and
    /// the nodes heard from lately, the one whose name hashed with the document's ranks highest
    /// (rendezvous hashing, the same answer on every node that hears the same nodes; a node's
    /// death moves only its own documents).
    func writer(of document: UUID) -> UUID {
        Self.writer(of: document, among: liveNodes + [nodeID])!
    }

    /// Of `nodes`, the one ranking highest for `document` (nil when there is none).
    static func writer(of document: UUID, among nodes: [UUID]) -> UUID? {
        nodes.max { rank(document, $0) < rank(document, $1) }
    }

    /// FNV-1a over both names' bytes: stable across processes, unlike `Hasher`.
    static func rank(_ document: UUID, _ node: UUID) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in [document, node] {
            withUnsafeBytes(of: name.uuid) { bytes in
                for byte in bytes {
                    hash ^= UInt64(byte)
                    hash &*= 0x0000_0100_0000_01b3
                }
            }
        }
        return hash
    }

    func run(hub: CollaborationHub) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sendLoop() }
            group.addTask {
                for await (frame, node) in self.debugOutbox {
                    do { try await self.store.sendDebugFrame(frame, to: node) } catch {
                        self.logger.warning("debug frame not sent", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask {
                // Each forward in a child task of its own, so that the listener is not held by a
                // fetch or by loading the document; at most `maxForwardsTaken` at once (the rest
                // wait in the stream). The link waits for them when it ends.
                await withTaskGroup(of: Void.self) { taking in
                    var running = 0
                    for await forward in self.forwards {
                        if running == Self.maxForwardsTaken {
                            await taking.next()
                            running -= 1
                        }
                        taking.addTask { await hub.takeForwarded(forward) }
                        running += 1
                    }
                }
            }
            group.addTask { await self.heartbeatLoop() }
            group.addTask { await self.listenLoop(hub: hub) }
            group.addTask { await self.watchLoop(hub: hub) }
            await group.waitForAll()
        }
    }

    private func sendLoop() async {
        for await kind in outbox {
            let payload = ClusterEvent(node: nodeID.uuidString, kind: kind).payload
            do {
                try await store.notify(payload)
            } catch {
                logger.warning("cluster event not sent", metadata: ["error": "\(error)"])
            }
            if Task.isCancelled { return }
        }
    }

    /// Heartbeats go straight to the database, not behind the presence in the outbox: a busy
    /// outbox must not make this node take itself for cut off.
    private func heartbeatLoop() async {
        let payload = ClusterEvent(node: nodeID.uuidString, kind: .heartbeat).payload
        try? await store.forgetSilentNodes()
        var last = ContinuousClock.now
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if now - last > Self.heartbeatInterval * 3 {
                logger.warning("cluster: heartbeat late", metadata: ["late": "\(now - last)"])
            }
            last = now
            do {
                // Other nodes' commits notify this one while it is marked alive.
                try await store.markAlive(node: nodeID)
                try await store.notify(payload)
                // The debug sessions this node runs stay its own while it beats.
                try await store.renewDebugClaims(node: nodeID)
            } catch {
                logger.warning("heartbeat not sent", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: Self.heartbeatInterval)
        }
        outboxInput.finish()
        debugOutboxInput.finish()
        forwardsInput.finish()
    }

    private func listenLoop(hub: CollaborationHub) async {
        while !Task.isCancelled {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await self.store.listen(logger: self.logger, onListening: {
                            self.state.withLock { $0.listening = true; $0.ownHeartbeat = .now }
                            self.logger.info("cluster: listening", metadata: ["node": "\(self.nodeID)"])
                            // What was committed while nobody listened is in the tables.
                            await hub.pollDocuments()
                        }, onNotification: { payload in
                            await self.receive(payload, hub: hub)
                        })
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(1))
                            let heard = self.state.withLock { $0.ownHeartbeat }
                            if let heard, ContinuousClock.now - heard > Self.nodeTimeout { throw ListenerStale() }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning("cluster: listener lost", metadata: ["error": "\(error)"])
                }
            }
            state.withLock { $0.listening = false; $0.ownHeartbeat = nil }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    private func watchLoop(hub: CollaborationHub) async {
        var unhealthySince: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.pollInterval)
            await hub.pollDocuments()
            await hub.reconcileMembership()
            let now = ContinuousClock.now
            let gone: [UUID] = state.withLock { state in
                let silent = state.lastSeen.filter { now - $0.value > Self.nodeTimeout }.map(\.key)
                for node in silent {
                    state.lastSeen[node] = nil
                    state.dead.insert(node)
                }
                return silent
            }
            let goneHandlers = handlers.withLock { $0.nodeGone }
            for node in gone {
                logger.warning("cluster: node silent, taken for dead", metadata: ["node": "\(node)"])
                await hub.nodeGone(node)
                for handler in goneHandlers { await handler(node) }
            }
            // Cut from the database: stop serving, so that clients reconnect to a node that can.
            if isHealthy {
                unhealthySince = nil
            } else if let since = unhealthySince {
                if now - since > Self.nodeTimeout {
                    await hub.closeAllSockets(reason: .shuttingDown)
                    unhealthySince = now
                }
            } else {
                unhealthySince = now
            }
        }
    }

    private func receive(_ payload: String, hub: CollaborationHub) async {
        // This node's own commits are known already: skipped before their ops are parsed.
        if OpsNotice.isWritten(payload, by: nodeID) { return }
        if let notice = OpsNotice(payload: payload) {
            if let node = notice.node { state.withLock { if $0.lastSeen[node] != nil { $0.lastSeen[node] = .now } } }
            return await hub.documentCommitted(notice)
        }
        if payload.hasPrefix("f ") {
            // Ops for this node to commit; other nodes' forwards are skipped unread.
            guard payload.hasPrefix(OpForward.prefix(for: nodeID)), let forward = OpForward(payload: payload) else { return }
            if case .dropped = forwardsInput.yield(forward) {
                logger.warning("cluster: forwarded ops dropped (backlog full); their node commits them",
                               metadata: ["from": "\(forward.from)", "document": "\(forward.document)"])
            }
            return
        }
        if payload == "d " + nodeID.uuidString {
            if let handler = handlers.withLock({ $0.debugFrames }) { await handler() }
            return
        }
        guard let event = ClusterEvent(payload: payload), let node = UUID(uuidString: event.node) else { return }
        if node == nodeID {
            if case .heartbeat = event.kind { state.withLock { $0.ownHeartbeat = .now } }
            return
        }
        let isNew = state.withLock { state in
            state.dead.remove(node)
            return state.lastSeen.updateValue(.now, forKey: node) == nil
        }
        if isNew { logger.info("cluster: node joined", metadata: ["node": "\(node)"]) }
        if case let .disconnect(user, reason) = event.kind {
            if let user = UUID(uuidString: user), let handler = handlers.withLock({ $0.disconnect }) { await handler(user, reason) }
            return
        }
        await hub.receive(event.kind, from: node)
    }
}
