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
    /// A node not heard for this long is taken for dead; this node's own listener too.
    static let nodeTimeout: Duration = .seconds(4)
    /// The backstop fetch of every live document.
    static let pollInterval: Duration = .seconds(2)

    let nodeID = UUID()
    private let store: Store
    private let logger: Logger
    private let outbox: AsyncStream<ClusterEvent.Kind>
    private let outboxInput: AsyncStream<ClusterEvent.Kind>.Continuation
    private let state = Mutex(State())

    private struct State {
        var lastSeen: [UUID: ContinuousClock.Instant] = [:]
        var ownHeartbeat: ContinuousClock.Instant?
        var listening = false
    }

    private struct ListenerStale: Error, CustomStringConvertible {
        var description: String { "this node has not heard its own heartbeat: reconnecting the listener" }
    }

    init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
        // Presence is the bulk; a backlog this long means the database is gone (newest kept).
        (outbox, outboxInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
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

    /// The other nodes heard from lately.
    var liveNodes: [UUID] { state.withLock { Array($0.lastSeen.keys) } }

    func run(hub: CollaborationHub) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sendLoop() }
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

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            publish(.heartbeat)
            try? await Task.sleep(for: Self.heartbeatInterval)
        }
        outboxInput.finish()
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
            let now = ContinuousClock.now
            let gone: [UUID] = state.withLock { state in
                let silent = state.lastSeen.filter { now - $0.value > Self.nodeTimeout }.map(\.key)
                for node in silent { state.lastSeen[node] = nil }
                return silent
            }
            for node in gone {
                logger.warning("cluster: node silent, taken for dead", metadata: ["node": "\(node)"])
                await hub.nodeGone(node)
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
        if let ops = OpsNotification(payload: payload) {
            return await hub.documentAdvanced(ops.document, to: ops.revision)
        }
        guard let event = ClusterEvent(payload: payload), let node = UUID(uuidString: event.node) else { return }
        if node == nodeID {
            if case .heartbeat = event.kind { state.withLock { $0.ownHeartbeat = .now } }
            return
        }
        let isNew = state.withLock { $0.lastSeen.updateValue(.now, forKey: node) == nil }
        if isNew { logger.info("cluster: node joined", metadata: ["node": "\(node)"]) }
        await hub.receive(event.kind, from: node)
    }
}
