import Foundation
import MeshJSON
import MeshProtocol
import MeshStore

/// What nodes tell each other about a debug session that runs on one of them (its owner), for
/// a participant connected to another: the participant's node sends `join`, `dap`, `role`,
/// `refuse` and `leave` to the owner; the owner sends `dap` and `end` back. It travels as a
/// ``MeshStore/Store/DebugFrame``'s `kind` and `payload` (PostgreSQL's `debug_frames`), the
/// form older nodes write and read too.
enum DebugRelayMessage: Sendable, Equatable {
    /// The participant joins: payload `{"user","name","role","root"}`.
    case join(user: UUID, name: String, role: Role, root: String)
    /// One DAP message, either way: payload the message.
    case dap(JSONValue)
    /// The participant's role changed: payload the role.
    case role(Role)
    /// A message of the participant's was refused: payload the reason.
    case refuse(String)
    /// The participant left.
    case leave
    /// The debug session ended (to the participant's node).
    case end

    /// The frame's `kind`.
    var kind: String {
        switch self {
        case .join: "join"
        case .dap: "dap"
        case .role: "role"
        case .refuse: "refuse"
        case .leave: "leave"
        case .end: "end"
        }
    }

    /// The frame's `payload`.
    var payload: String {
        switch self {
        case let .join(user, name, role, root):
            Self.text(["user": .string(user.uuidString), "name": .string(name), "role": .string(role.rawValue), "root": .string(root)])
        case let .dap(message): Self.text(message)
        case let .role(role): role.rawValue
        case let .refuse(reason): reason
        case .leave, .end: ""
        }
    }

    /// Reads a frame; nil for a kind this node does not know or a payload it cannot read.
    init?(kind: String, payload: String) {
        switch kind {
        case "join":
            guard let join = try? JSONValue.parse(Data(payload.utf8)),
                  let user = join["user"]?.string.flatMap(UUID.init(uuidString:)),
                  let role = join["role"]?.string.flatMap(Role.init(rawValue:)) else { return nil }
            self = .join(user: user, name: join["name"]?.string ?? "", role: role, root: join["root"]?.string ?? "/workspace")
        case "dap":
            guard let message = try? JSONValue.parse(Data(payload.utf8)) else { return nil }
            self = .dap(message)
        case "role":
            guard let role = Role(rawValue: payload) else { return nil }
            self = .role(role)
        case "refuse": self = .refuse(payload)
        case "leave": self = .leave
        case "end": self = .end
        default: return nil
        }
    }

    private static func text(_ json: JSONValue) -> String { String(decoding: json.serialized(), as: UTF8.self) }
}

extension ClusterLink {
    /// Sends `message` about `participant` of `session`'s debug session to `node`.
    func sendDebug(_ message: DebugRelayMessage, session: UUID, participant: UUID, to node: UUID) {
        sendDebug(.init(session: session, participant: participant, from: nodeID, kind: message.kind, payload: message.payload), to: node)
    }
}
