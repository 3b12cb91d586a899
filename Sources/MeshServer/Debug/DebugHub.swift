import Foundation
import Logging
import MeshJSON
import MeshProtocol
import MeshSandbox
import MeshStore

/// What a debug connection talks to: the debug session itself (``DebugSession``, on the node
/// that runs its container), or, on another node, ``RemoteDebugEndpoint``, which forwards to it.
protocol DebugEndpoint: Sendable {
    func join(id: UUID, user: UUID, name: String, role: Role, editorRoot: String, send: @escaping @Sendable (JSONValue) -> Void) async
    func leave(_ id: UUID) async
    func received(_ message: JSONValue, from id: UUID) async
    func setRole(_ role: Role, for id: UUID) async
    func refuse(_ reason: String, to id: UUID) async
}

extension DebugSession: DebugEndpoint {}

/// The debug sessions of this server, one per Mesh session at most. With several nodes, a
/// session's debug session runs on the node that claimed it first (`debug_owners`); a
/// participant connected to another node reaches it through ``RemoteDebugEndpoint``, and the
/// frames both ways travel through PostgreSQL (``MeshStore/Store/sendDebugFrame(_:to:)``). When
/// the owner dies, its remote participants are told and may launch again (the next launch
/// claims the session for a live node).
actor DebugHub {
    let store: Store
    let hub: CollaborationHub
    let sandbox: Sandbox
    let dataDirectory: String
    let logger: Logger
    private(set) var sessions: [UUID: DebugSession] = [:]
    /// On the owner: participants connected through other nodes, and their node.
    private var remoteParticipants: [UUID: (node: UUID, session: UUID)] = [:]
    /// On a participant's node: how to reach each participant whose debug session runs elsewhere.
    private var proxies: [UUID: (owner: UUID, send: @Sendable (JSONValue) -> Void)] = [:]
    private var taking = false
    private var takeAgain = false

    init(store: Store, hub: CollaborationHub, sandbox: Sandbox, dataDirectory: String, logger: Logger) {
        self.store = store
        self.hub = hub
        self.sandbox = sandbox
        self.dataDirectory = dataDirectory
        self.logger = logger
    }

    /// Subscribes to the other nodes' frames and deaths (several nodes only).
    func attachToCluster() {
        guard let cluster = hub.cluster else { return }
        cluster.onDebugFrames { [weak self] in await self?.takeFrames() }
        cluster.onNodeGone { [weak self] node in await self?.nodeGone(node) }
    }

    /// The debug session a participant of `id` talks to: this node's, or the owner's elsewhere.
    func endpoint(for id: UUID) async throws -> any DebugEndpoint {
        guard let cluster = hub.cluster else { return try session(id) }
        if sessions[id] != nil { return try session(id) }
        let lease = Double(ClusterLink.debugLease.components.seconds)
        var owner = try await store.claimDebugSession(id, node: cluster.nodeID, lease: lease)
        if owner != cluster.nodeID, cluster.isTakenForDead(owner) {
            // Its claim has not run out yet, but this node has already told its participants it
            // is gone: the launch they were told to make must not wait on it.
            owner = try await store.takeDebugSession(id, from: owner, for: cluster.nodeID)
        }
        if owner == cluster.nodeID { return try session(id) }
        return RemoteDebugEndpoint(session: id, owner: owner, cluster: cluster, hub: self)
    }

    func session(_ id: UUID) throws -> DebugSession {
        if let existing = sessions[id] { return existing }
        let workspace = SessionWorkspace(store: store, hub: hub, root: try SessionWorkspace.create(in: dataDirectory))
        let session = DebugSession(sessionID: id, workspace: workspace, sandbox: sandbox, logger: logger) { [weak self] in
            await self?.ended(id)
        }
        sessions[id] = session
        return session
    }

    private func ended(_ id: UUID) async {
        sessions.removeValue(forKey: id)
        guard let cluster = hub.cluster else { return }
        for (participant, entry) in remoteParticipants where entry.session == id {
            remoteParticipants[participant] = nil
            cluster.sendDebug(.end, session: id, participant: participant, to: entry.node)
        }
        do { try await store.releaseDebugSession(id, node: cluster.nodeID) } catch {
            logger.warning("debug session not released", metadata: ["session": "\(id)", "error": "\(error)"])
        }
    }

    // MARK: Participants on other nodes

    func addProxy(_ participant: UUID, owner: UUID, send: @escaping @Sendable (JSONValue) -> Void) {
        proxies[participant] = (owner, send)
    }

    func removeProxy(_ participant: UUID) { proxies[participant] = nil }

    /// Frames arrived for this node: run them in order (one taker at a time; a wake-up during
    /// a take makes it take again).
    private func takeFrames() async {
        guard let cluster = hub.cluster else { return }
        guard !taking else { takeAgain = true; return }
        taking = true
        defer { taking = false }
        repeat {
            takeAgain = false
            let frames: [Store.DebugFrame]
            do { frames = try await store.takeDebugFrames(for: cluster.nodeID) } catch {
                return logger.warning("debug frames not read", metadata: ["error": "\(error)"])
            }
            for frame in frames { await handle(frame, cluster: cluster) }
        } while takeAgain
    }

    private func handle(_ frame: Store.DebugFrame, cluster: ClusterLink) async {
        guard let message = DebugRelayMessage(kind: frame.kind, payload: frame.payload) else {
            return logger.warning("debug frame not understood", metadata: [
                "kind": "\(frame.kind)", "session": "\(frame.session)", "participant": "\(frame.participant)", "from": "\(frame.from)"])
        }
        switch message {
        case let .join(user, name, role, root):
            guard let session = try? session(frame.session) else { return }
            remoteParticipants[frame.participant] = (frame.from, frame.session)
            let (participant, node, id) = (frame.participant, frame.from, frame.session)
            await session.join(id: participant, user: user, name: name, role: role, editorRoot: root) { message in
                cluster.sendDebug(.dap(message), session: id, participant: participant, to: node)
            }
        case let .dap(message):
            if let proxy = proxies[frame.participant] {
                proxy.send(message)
            } else {
                await sessions[frame.session]?.received(message, from: frame.participant)
            }
        case let .role(role):
            await sessions[frame.session]?.setRole(role, for: frame.participant)
        case let .refuse(reason):
            await sessions[frame.session]?.refuse(reason, to: frame.participant)
        case .leave:
            remoteParticipants[frame.participant] = nil
            await sessions[frame.session]?.leave(frame.participant)
        case .end:
            proxies[frame.participant] = nil
        }
    }

    /// A node died: the debug sessions it ran are gone for the participants here, who are told
    /// and may launch again; the participants it connected leave the sessions here.
    private func nodeGone(_ node: UUID) async {
        for (participant, proxy) in proxies where proxy.owner == node {
            proxies[participant] = nil
            proxy.send(["type": "event", "event": "output", "body": [
                "category": "important",
                "output": "Mesh: the server running this debug session stopped; start debugging again to relaunch it\n"]])
            proxy.send(["type": "event", "event": "terminated"])
        }
        for (participant, entry) in remoteParticipants where entry.node == node {
            remoteParticipants[participant] = nil
            await sessions[entry.session]?.leave(participant)
        }
        try? await store.dropDebugFrames(for: node)
    }
}

/// A debug session that runs on another node (its owner), as a participant here sees it: each
/// call becomes a frame to the owner, in order; the owner's answers come back as frames that
/// ``DebugHub`` hands to the participant's connection.
struct RemoteDebugEndpoint: DebugEndpoint {
    let session: UUID
    let owner: UUID
    let cluster: ClusterLink
    let hub: DebugHub

    private func send(_ participant: UUID, _ message: DebugRelayMessage) {
        cluster.sendDebug(message, session: session, participant: participant, to: owner)
    }

    func join(id: UUID, user: UUID, name: String, role: Role, editorRoot: String, send reply: @escaping @Sendable (JSONValue) -> Void) async {
        await hub.addProxy(id, owner: owner, send: reply)
        send(id, .join(user: user, name: name, role: role, root: editorRoot))
    }

    func leave(_ id: UUID) async {
        send(id, .leave)
        await hub.removeProxy(id)
    }

    func received(_ message: JSONValue, from id: UUID) async { send(id, .dap(message)) }

    func setRole(_ role: Role, for id: UUID) async { send(id, .role(role)) }

    func refuse(_ reason: String, to id: UUID) async { send(id, .refuse(reason)) }
}
