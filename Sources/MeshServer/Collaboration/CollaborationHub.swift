import Foundation
import Logging
import MeshProtocol
import MeshStore

/// Every live connection and document of the server: routes session-wide events (chat, role
/// changes, deletions) and hands out one ``DocumentActor`` per live document.
actor CollaborationHub {
    /// The connections of each session, by connection id.
    var rooms: [UUID: [UUID: ClientConnection]] = [:]
    private var connectionsPerUser: [UUID: Int] = [:]
    private var documents: [UUID: DocumentActor] = [:]
    /// The live actor of a document, if it is loaded here.
    func documents(matching id: UUID) -> DocumentActor? { documents[id] }
    /// Every document loaded here.
    var liveDocuments: [DocumentActor] { Array(documents.values) }
    private var loading: [UUID: (session: UUID, task: Task<DocumentActor, any Error>)] = [:]
    let store: Store
    let limits: ServerConfiguration.Limits
    let metrics: ServerMetrics
    let logger: Logger
    /// What every connection's send queue draws from (`limits.serverSendQueueBytes`).
    nonisolated let sendBudget: SendBudget
    /// Each session's bytes and documents (`limits.maxSessionBytes`, `maxDocumentsPerSession`).
    nonisolated let usage: SessionUsage
    /// The other nodes on the same PostgreSQL database (nil on SQLite: one node).
    nonisolated let cluster: ClusterLink?
    /// Participants connected through other nodes, by session and connection.
    var remoteMembers: [UUID: [String: (node: UUID, participant: ServerMessage.Participant)]] = [:]

    init(store: Store, limits: ServerConfiguration.Limits, metrics: ServerMetrics, logger: Logger) {
        cluster = store.isShared ? ClusterLink(store: store, logger: logger) : nil
        self.store = store
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        sendBudget = SendBudget(limit: limits.serverSendQueueBytes)
        usage = SessionUsage(maxBytes: limits.maxSessionBytes, maxDocuments: limits.maxDocumentsPerSession)
    }

    /// Registers a connection; false (and nothing registered) when its user already has
    /// `limits.maxConnectionsPerUser` open.
    func register(_ connection: ClientConnection) -> Bool {
        let open = connectionsPerUser[connection.user.id, default: 0]
        guard open < limits.maxConnectionsPerUser else { return false }
        connectionsPerUser[connection.user.id] = open + 1
        let wasOnline = isOnline(connection.user.id, in: connection.session)
        if rooms[connection.session] == nil { metrics.liveSessions.increment() }
        rooms[connection.session, default: [:]][connection.id] = connection
        metrics.connections.increment()
        cluster?.publish(.member(member(connection, online: true)))
        if !wasOnline {
            announce(.init(connection.participant, online: true), in: connection.session)
        }
        return true
    }

    func unregister(_ connection: ClientConnection) {
        guard rooms[connection.session]?.removeValue(forKey: connection.id) != nil else { return }
        cluster?.publish(.member(member(connection, online: false)))
        let open = connectionsPerUser[connection.user.id, default: 1] - 1
        connectionsPerUser[connection.user.id] = open > 0 ? open : nil
        metrics.connections.decrement()
        if rooms[connection.session]?.isEmpty == true {
            rooms[connection.session] = nil
            metrics.liveSessions.decrement()
        }
        announceLeftUnlessOnline(connection.participant, in: connection.session)
    }

    func onlineUsers(_ session: UUID) -> Set<UUID> {
        Set((rooms[session] ?? [:]).values.map(\.user.id))
            .union((remoteMembers[session] ?? [:]).values.compactMap { UUID(uuidString: $0.participant.user) })
    }

    func participants(_ session: UUID) -> [ServerMessage.Participant] {
        var seen = Set<String>()
        let local = (rooms[session] ?? [:]).values.map(\.participant)
        return (local + (remoteMembers[session] ?? [:]).values.map(\.participant)).filter { seen.insert($0.user).inserted }
    }

    /// The live actor of a document, loading it from the store on first use (and its session's
    /// totals with it, if they are not counted yet).
    func document(_ record: DocumentRecord) async throws -> DocumentActor {
        if let live = documents[record.id] {
            if !live.isRetired { return live }
            documents[record.id] = nil   // unloaded while the hub waited on it: load afresh
        }
        if let load = loading[record.id] { return try await load.task.value }
        let (store, limits, usage, metrics, logger) = (store, limits, usage, metrics, logger)
        // Owned by `loading` and awaited by every caller asking for this document meanwhile, this
        // one first. Not cancelled when this caller is: the others wait for it too, and it ends
        // with the load (store reads).
        let task = Task {
            // Seeded while `loading` names the session, so `unloadIdle` cannot forget it meanwhile.
            try await Self.seed(record.sessionID, usage: usage, store: store)
            return try await DocumentActor.load(record, store: store, limits: limits, usage: usage,
                                                metrics: metrics, logger: logger, cluster: cluster)
        }
        loading[record.id] = (record.sessionID, task)
        defer { loading[record.id] = nil }
        let actor = try await task.value
        documents[record.id] = actor
        metrics.liveDocuments.set(Double(documents.count))
        return actor
    }

    /// Unloads documents nobody has open (their state is durable), and forgets the totals of
    /// sessions left with no live document (read from the store again when next needed).
    func unloadIdle() async {
        for (id, document) in documents where await document.retireIfIdle() {
            // A retired actor takes no subscriber; an opener may have replaced it meanwhile.
            if documents[id] === document { documents[id] = nil }
        }
        metrics.liveDocuments.set(Double(documents.count))
        let inUse = Set(documents.values.map { $0.sessionID }).union(loading.values.map { $0.session })
        usage.forget(except: inUse)
    }

    /// A member's role changed (nil: removed). Live connections see it at once.
    func roleChanged(session: UUID, user: UUID, role: Role?) {
        cluster?.publish(.role(.init(session: session.uuidString, user: user.uuidString, role: role)))
        applyRoleChange(session: session, user: user, role: role)
    }

    func applyRoleChange(session: UUID, user: UUID, role: Role?) {
        var name: String?
        for connection in (rooms[session] ?? [:]).values where connection.user.id == user {
            name = connection.user.name
            connection.send(.role(.init(role: role)))
            if let role { connection.setRole(role) } else { connection.close(reason: .removed) }
        }
        roleAnnounced(session: session, user: user, role: role, name: name)
    }

    func sessionDeleted(_ session: UUID) async {
        cluster?.publish(.sessionDeleted(session: session.uuidString))
        await applySessionDeletion(session)
    }

    func applySessionDeletion(_ session: UUID) async {
        remoteMembers[session] = nil
        for connection in (rooms[session] ?? [:]).values {
            connection.send(.role(.init(role: nil)))
            connection.close(reason: .sessionDeleted)
        }
        for (id, document) in documents where await document.record.sessionID == session {
            await document.evictAll(reason: ErrorMessage(.notFound, "the session was deleted"))
            documents[id] = nil
        }
        usage.forget(session)
    }

    /// A document was deleted or renamed: subscribers are told and reopen (or drop) it.
    func documentChanged(_ id: UUID, newPath: String?) async {
        cluster?.publish(.documentEvicted(document: id.uuidString, newPath: newPath))
        await evictDocument(id, newPath: newPath)
    }

    func evictDocument(_ id: UUID, newPath: String?) async {
        guard let document = documents[id] else { return }
        let oldPath = await document.path
        await document.flushed()
        if let newPath {
            await document.renamed(to: newPath)
            await document.evictAll(reason: ErrorMessage(.resync, "renamed to \(newPath)", path: oldPath))
        } else {
            await document.evictAll(reason: ErrorMessage(.notFound, "the document was deleted", path: oldPath))
        }
        documents[id] = nil
    }

    func chat(_ text: String, from connection: ClientConnection) async {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 8_192 else {
            return connection.send(.error(ErrorMessage(.badRequest, "a chat message has 1 to 8192 bytes")))
        }
        let record = ChatMessageRecord(sessionID: connection.session, authorID: connection.user.id, text: trimmed)
        do {
            try await store.chat.insert(record)
        } catch {
            return connection.send(.error(ErrorMessage(.internal, "could not store the message")))
        }
        let message = WireCodec.encode(.chat(Self.wire(record, name: connection.user.name)))
        for member in (rooms[connection.session] ?? [:]).values { member.send(message) }
        cluster?.publish(.chat(.init(session: connection.session.uuidString, id: record.id.uuidString, name: connection.user.name)))
        // Only the newest `maxChatMessagesPerSession` are kept.
        do {
            try await store.chat.trim(sessionID: connection.session, keeping: limits.maxChatMessagesPerSession)
        } catch {
            logger.warning("chat trim failed", metadata: ["session": "\(connection.session)", "error": "\(error)"])
        }
    }

    static func wire(_ record: ChatMessageRecord, name: String) -> ServerMessage.Chat {
        .init(id: record.id.uuidString, user: record.authorID.uuidString, name: name, text: record.text,
              at: ISO8601DateFormatter().string(from: record.createdAt))
    }

    /// Graceful shutdown: wait for every in-flight commit, then close the connections.
    func shutdown() async {
        for document in documents.values { await document.flushed() }
        for room in rooms.values {
            for connection in room.values { connection.close(reason: .shuttingDown) }
        }
    }
}
