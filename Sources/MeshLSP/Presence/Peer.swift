import MeshProtocol

/// Another participant of the session as this bridge knows them: from `welcome`, with their
/// role, or from their presence alone, role unknown.
struct Peer: Sendable, Hashable {
    var user: String
    var name: String
    /// Nil when they were only seen moving their cursor (presence carries no role).
    var role: Role?

    init(user: String, name: String, role: Role?) { self.user = user; self.name = name; self.role = role }

    init(_ participant: ServerMessage.Participant) {
        self.init(user: participant.user, name: participant.name, role: participant.role)
    }
}
