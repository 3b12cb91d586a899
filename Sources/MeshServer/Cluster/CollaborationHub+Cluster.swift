import Foundation
import MeshProtocol
import MeshStore

/// What other nodes tell this one (``ClusterLink``), applied to the connections and documents
/// here exactly as the same change made here is, without publishing it again.
extension CollaborationHub {
    /// Another node committed ops of a document (the ops themselves when the notification
    /// carried them).
    func documentCommitted(_ notice: OpsNotice) async {
        await documents(matching: notice.document)?.remoteCommitted(through: notice.revision, ops: notice.ops)
    }

    /// Another node handed ops here to commit (``OpForward``), from a child task of the cluster
    /// link's (``ClusterLink/run(hub:)``). A writer need not have the document open: it loads it.
    func takeForwarded(_ forward: OpForward) async {
        metrics.opsForwardedIn.increment(by: Int64(forward.ops.count))
        if let live = documents(matching: forward.document), !live.isRetired, await live.receiveForwarded(forward) {
            return
        }
        do {
            // Not loaded here, or retired meanwhile: the hub's live actor, loaded if need be.
            for _ in 0..<3 {
                guard let record = try await store.documents.find(id: forward.document) else { return }
                if try await document(record).receiveForwarded(forward) { return }
            }
        } catch {
            // Its sender commits the ops itself when none comes back (DocumentActor.forwardPatience).
            logger.warning("forwarded ops not taken", metadata: ["document": "\(forward.document)", "error": "\(error)"])
        }
    }

    /// The backstop: every live document fetches what the log holds beyond it.
    func pollDocuments() async {
        for document in liveDocuments { await document.remoteAdvanced(to: nil) }
    }

    /// A node stopped answering: its participants leave.
    func nodeGone(_ node: UUID) async {
        for session in Array(remoteMembers.keys) {
            dropRemoteMembers(of: session) { from, _ in from == node }
        }
        for document in liveDocuments { await document.nodeGone(node) }
    }

    /// Cut from the database: every socket closes, so that its client reconnects to a node that
    /// can serve it (through the load balancer).
    func closeAllSockets(reason: CloseReason) {
        for room in rooms.values {
            for connection in room.values { connection.close(reason: reason) }
        }
    }

    /// The catch-up for role changes, removals and deletions whose events were lost (events are
    /// best effort): every session with connections here reads its members again, and each
    /// connection whose role differs is told as if the change had just been made.
    func reconcileMembership() async {
        for (session, room) in rooms where !room.isEmpty {
            let members: [MemberRecord]
            do {
                guard try await store.sessions.find(id: session) != nil else {
                    await applySessionDeletion(session)
                    continue
                }
                members = try await store.sessions.members(sessionID: session)
            } catch {
                continue   // the database is away: /health says so; try again next time
            }
            let roles = Dictionary(members.map { ($0.userID, $0.role) }, uniquingKeysWith: { first, _ in first })
            let users = Set((rooms[session] ?? [:]).values.filter { roles[$0.user.id] != $0.role }.map(\.user.id))
            for user in users { applyRoleChange(session: session, user: user, role: roles[user]) }
        }
    }

    /// A connection here, as other nodes list it.
    func member(_ connection: ClientConnection, online: Bool) -> ClusterEvent.Member {
        .init(session: connection.session.uuidString, connection: connection.id.uuidString,
              change: .init(connection.participant, online: online))
    }

    func receive(_ event: ClusterEvent.Kind, from node: UUID) async {
        switch event {
        case .heartbeat:
            return
        case let .presence(presence):
            guard let id = UUID(uuidString: presence.document) else { return }
            await documents(matching: id)?.remotePresence(presence, node: node)
        case let .member(member):
            guard let session = UUID(uuidString: member.session) else { return }
            remoteMemberChanged(member, session: session, node: node)
        case let .chat(chat):
            guard let session = UUID(uuidString: chat.session), let id = UUID(uuidString: chat.id),
                  let room = rooms[session], !room.isEmpty,
                  let record = try? await store.chat.recent(sessionID: session, limit: 64).first(where: { $0.id == id })
            else { return }
            let message = WireCodec.encode(.chat(Self.wire(record, name: chat.name)))
            for member in room.values { member.send(message) }
        case let .annotation(annotation):
            guard let document = UUID(uuidString: annotation.document), let id = UUID(uuidString: annotation.id) else { return }
            await documents(matching: document)?.remoteAnnotation(id: id, deleted: annotation.deleted)
        case let .role(change):
            guard let session = UUID(uuidString: change.session), let user = UUID(uuidString: change.user) else { return }
            if change.role == nil {
                dropRemoteMembers(of: session) { _, participant in participant.user == change.user }
            }
            applyRoleChange(session: session, user: user, role: change.role)
        case .disconnect:
            return   // ClusterLink hands it to LiveSockets (collaboration and debug sockets alike)
        case let .sessionDeleted(session):
            guard let session = UUID(uuidString: session) else { return }
            await applySessionDeletion(session)
        case let .documentEvicted(document, newPath):
            guard let id = UUID(uuidString: document) else { return }
            await evictDocument(id, newPath: newPath)
        case let .documentAnnounced(session, path, change):
            guard let session = UUID(uuidString: session) else { return }
            announceHere(.init(path: path, change: change), in: session)
        }
    }
}
