import Foundation
import MeshOT
import MeshProtocol

/// What one node tells the others through PostgreSQL's NOTIFY (``ClusterLink``): everything a
/// client on another node must see that is not an op (ops are in the log, announced by the
/// append trigger). A payload stays under ``MeshStore/Store/maxNotificationBytes``: large
/// content (chat text, annotation bodies) is read from its table by id.
struct ClusterEvent: Codable, Sendable, Hashable {
    /// The node that sent it (its own events come back to it and are ignored).
    var node: String
    var kind: Kind

    enum Kind: Codable, Sendable, Hashable {
        /// The node is alive (sent every second); a node silent for longer than
        /// ``ClusterLink/nodeTimeout`` is taken for dead and its participants' presence goes.
        case heartbeat
        case presence(Presence)
        /// A participant connected to (or, with `online` false, left) a session through the node.
        case member(Member)
        /// A chat message was stored (the receiver reads it by id).
        case chat(Chat)
        /// An annotation was stored, changed or deleted.
        case annotation(Annotation)
        case role(RoleChange)
        /// Every socket of a user closes (their tokens were revoked).
        case disconnect(user: String, reason: String)
        case sessionDeleted(session: String)
        /// A document was renamed (`newPath`) or deleted (nil): its subscribers reopen or drop it.
        case documentEvicted(document: String, newPath: String?)
        /// A document came or went: everyone in the session is told (``ServerMessage/DocumentEvent``).
        case documentAnnounced(session: String, path: String, change: ServerMessage.DocumentEvent.Change)
    }

    struct Presence: Codable, Sendable, Hashable {
        /// The most ranges a presence carries across nodes (a payload's bound).
        static let maxSelections = 64
        var document: String
        var connection: String
        var user: String
        var name: String
        /// A revision the client knew, so the log holds it.
        var rev: Int
        var selections: [SelectionRange]
    }

    /// `{"session","connection","user","name","role","online"}`: the connection's user as the
    /// session's `participant` message names them, beside the session and the connection.
    struct Member: Codable, Sendable, Hashable {
        var session: String
        var connection: String
        var change: ServerMessage.ParticipantChange
    }

    struct Chat: Codable, Sendable, Hashable {
        var session: String
        var id: String
        var name: String
    }

    struct Annotation: Codable, Sendable, Hashable {
        var document: String
        var id: String
        var deleted: Bool
    }

    struct RoleChange: Codable, Sendable, Hashable {
        var session: String
        var user: String
        /// nil: removed from the session.
        var role: Role?
    }
}

extension ClusterEvent.Member {
    private enum CodingKeys: String, CodingKey { case session, connection }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        session = try container.decode(String.self, forKey: .session)
        connection = try container.decode(String.self, forKey: .connection)
        change = try ServerMessage.ParticipantChange(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session, forKey: .session)
        try container.encode(connection, forKey: .connection)
        try change.encode(to: encoder)
    }
}

extension ClusterEvent {
    /// The notification text: `e ` and the JSON.
    var payload: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return "e " + String(decoding: data, as: UTF8.self)
    }

    /// A notification's text as an event (nil for an op notification or a malformed one).
    init?(payload: String) {
        guard payload.hasPrefix("e "), let event = try? JSONDecoder().decode(
            ClusterEvent.self, from: Data(payload.utf8.dropFirst(2))) else { return nil }
        self = event
    }
}
