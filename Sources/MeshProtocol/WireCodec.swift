import Foundation
import MeshOT

/// Mesh's messages to and from their JSON text.
///
/// The messages of every keystroke — `op` and `ping` from a client; `ack`, `remoteOp` and `pong`
/// from the server — are read and written by hand over ``JSONValue`` (MeshJSON's reader and
/// writer), several times quicker than Codable. Every other message, and a keystroke
/// message the quick reader does not take (a wrong type, a missing field), goes through Codable,
/// so that errors name what is wrong the same way for every message.
public enum WireCodec {
    // MARK: Client → server

    public static func decode(_ text: String) throws -> ClientMessage {
        if let message = quickClientMessage(text) { return message }
        return try JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8))
    }

    public static func encode(_ message: ClientMessage) throws -> String {
        switch message {
        case let .op(op):
            return text(.object(["type": "op", "path": .string(op.path), "baseRev": JSONValue(op.baseRev),
                                 "ops": json(op.ops), "opId": .string(op.opId)]))
        case let .ping(ping):
            var members: [String: JSONValue] = ["type": "ping"]
            if let id = ping.id { members["id"] = .string(id) }
            return text(.object(members))
        default:
            return try codableText(message)
        }
    }

    // MARK: Server → client

    public static func decodeServerMessage(_ text: String) throws -> ServerMessage {
        if let message = quickServerMessage(text) { return message }
        return try JSONDecoder().decode(ServerMessage.self, from: Data(text.utf8))
    }

    /// Never fails: a message that cannot be encoded becomes an `internal` error message.
    public static func encode(_ message: ServerMessage) -> String {
        switch message {
        case let .ack(ack):
            return text(.object(["type": "ack", "path": .string(ack.path), "rev": JSONValue(ack.rev), "opId": .string(ack.opId)]))
        case let .remoteOp(remote):
            let op = remote.committed
            var members: [String: JSONValue] = ["type": "remoteOp", "path": .string(remote.path), "rev": JSONValue(op.revision),
                                                "ops": json(op.operation)]
            if let author = op.author { members["author"] = .string(author) }
            if let opId = op.opId { members["opId"] = .string(opId) }
            return text(.object(members))
        case let .pong(pong):
            var members: [String: JSONValue] = ["type": "pong"]
            if let id = pong.id { members["id"] = .string(id) }
            return text(.object(members))
        default:
            return (try? codableText(message)) ?? #"{"type":"error","code":"internal","message":"unencodable message"}"#
        }
    }

    // MARK: Operations

    /// An operation's compact JSON form (`[5, "abc", -3]`), as stored and sent.
    public static func json(_ operation: TextOperation) -> JSONValue {
        .array(operation.components.map { component in
            switch component {
            case let .retain(n): JSONValue(n)
            case let .insert(s): .string(s)
            case let .delete(n): JSONValue(-n)
            }
        })
    }

    /// The JSON text of an operation.
    public static func jsonText(_ operation: TextOperation) -> String { text(json(operation)) }

    /// An operation from its JSON form; nil when it is not a valid one (no zero, no empty insert,
    /// nothing longer than `TextOperation.lengthLimit`: the same rules as its Codable form).
    public static func operation(_ value: JSONValue) -> TextOperation? {
        guard let components = value.array else { return nil }
        var operation = TextOperation()
        for component in components {
            if let n = component.int {
                guard operation.appendCompact(n) == nil else { return nil }
            } else if let s = component.string {
                guard operation.appendCompact(s) == nil else { return nil }
            } else {
                return nil
            }
        }
        return operation
    }

    // MARK: Quick paths

    /// The quick path alone: nil when it does not take the text (then Codable reads it).
    static func quickClientMessage(_ text: String) -> ClientMessage? {
        guard let value = parse(text), let type = value["type"]?.string else { return nil }
        switch type {
        case "op":
            guard let path = value["path"]?.string, let baseRev = value["baseRev"]?.int, let opId = value["opId"]?.string,
                  let ops = value["ops"].flatMap(operation)
            else { return nil }
            return .op(.init(path: path, baseRev: baseRev, ops: ops, opId: opId))
        case "ping":
            guard let id = optionalString(value["id"]) else { return nil }
            return .ping(.init(id: id))
        default:
            return nil
        }
    }

    static func quickServerMessage(_ text: String) -> ServerMessage? {
        guard let value = parse(text), let type = value["type"]?.string else { return nil }
        switch type {
        case "ack":
            guard let path = value["path"]?.string, let rev = value["rev"]?.int, let opId = value["opId"]?.string else { return nil }
            return .ack(.init(path: path, rev: rev, opId: opId))
        case "remoteOp":
            guard let path = value["path"]?.string, let rev = value["rev"]?.int, let ops = value["ops"].flatMap(operation),
                  let author = optionalString(value["author"]), let opId = optionalString(value["opId"])
            else { return nil }
            return .remoteOp(.init(path: path, committed: CommittedOperation(revision: rev, operation: ops, opId: opId, author: author)))
        case "pong":
            guard let id = optionalString(value["id"]) else { return nil }
            return .pong(.init(id: id))
        default:
            return nil
        }
    }

    /// `.some(nil)` for an absent or null member, `.some(text)` for a string, nil for anything else.
    private static func optionalString(_ value: JSONValue?) -> String?? {
        switch value {
        case nil, .null?: .some(nil)
        case let .string(s)?: .some(s)
        default: nil
        }
    }

    private static func parse(_ text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { try? JSONValue.parse(utf8: $0) }
    }

    private static func text(_ value: JSONValue) -> String {
        value.jsonText
    }

    private static func codableText(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
