import Foundation
import MeshProtocol

/// `participant` messages: every connection of a session hears when a user comes online there
/// (their first connection, on any node), goes offline (their last one) or changes role, so a
/// browser's "who is here" needs no polling. A user's several connections count as one.
extension CollaborationHub {
    /// Whether `user` has a connection in `session`, here or on another node as far as this
    /// node knows.
    func isOnline(_ user: UUID, in session: UUID) -> Bool {
        (rooms[session] ?? [:]).values.contains { $0.user.id == user }
            || (remoteMembers[session] ?? [:]).values.contains { $0.participant.user == user.uuidString }
    }

    /// Tells every connection here in `session`.
    func announce(_ change: ServerMessage.ParticipantChange, in session: UUID) {
        guard let room = rooms[session], !room.isEmpty else { return }
        let message = WireCodec.encode(.participant(change))
        for connection in room.values { connection.send(message) }
    }

    /// Announces `participant` offline unless they are still online.
    func announceLeftUnlessOnline(_ participant: ServerMessage.Participant, in session: UUID) {
        guard let user = UUID(uuidString: participant.user), !isOnline(user, in: session) else { return }
        announce(.init(participant, online: false), in: session)
    }

    /// A connection on another node came or went (``ClusterEvent/Member``).
    func remoteMemberChanged(_ member: ClusterEvent.Member, session: UUID, node: UUID) {
        let participant = member.change.participant
        let wasOnline = UUID(uuidString: participant.user).map { isOnline($0, in: session) } ?? true
        if member.change.online {
            remoteMembers[session, default: [:]][member.connection] = (node, participant)
            if !wasOnline {
                announce(member.change, in: session)
            }
        } else {
            remoteMembers[session]?[member.connection] = nil
            if remoteMembers[session]?.isEmpty == true { remoteMembers[session] = nil }
            if wasOnline { announceLeftUnlessOnline(participant, in: session) }
        }
    }

    /// Removes the remote connections `leaving` picks out of `session`, announcing those whose
    /// users are then offline.
    func dropRemoteMembers(of session: UUID, where leaving: (UUID, ServerMessage.Participant) -> Bool) {
        guard let members = remoteMembers[session] else { return }
        let gone = members.values.filter { leaving($0.node, $0.participant) }.map(\.participant)
        guard !gone.isEmpty else { return }
        let kept = members.filter { !leaving($0.value.node, $0.value.participant) }
        remoteMembers[session] = kept.isEmpty ? nil : kept
        var told = Set<String>()
        for participant in gone where told.insert(participant.user).inserted {
            announceLeftUnlessOnline(participant, in: session)
        }
    }

    /// A user's role changed: their entries from other nodes take it, and the session hears it
    /// when the user is online (a removal is heard as their last connection closing).
    func roleAnnounced(session: UUID, user: UUID, role: Role?, name localName: String?) {
        guard let role else { return }
        var name = localName
        for (key, entry) in remoteMembers[session] ?? [:] where entry.participant.user == user.uuidString {
            remoteMembers[session]?[key]?.participant.role = role
            name = name ?? entry.participant.name
        }
        if let name {
            announce(.init(.init(user: user.uuidString, name: name, role: role), online: true), in: session)
        }
    }
}

extension ClientConnection {
    /// The user of this connection as the session's other connections see them.
    var participant: ServerMessage.Participant { .init(user: user.id.uuidString, name: user.name, role: role) }
}
