import MeshProtocol

/// `workspace/executeCommand` params. `command` is optional so that its absence is answered
/// `invalidParams` by the handler; `arguments` stay JSON, each command reading its own
/// (docs/protocol.md lists them).
struct ExecuteCommandParams: Codable, Sendable, LenientParams {
    var command: String?
    var arguments: [JSONValue]?

    enum CodingKeys: String, CodingKey { case command, arguments }
}

extension ExecuteCommandParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = container.lenient(String.self, forKey: .command)
        arguments = container.lenient([JSONValue].self, forKey: .arguments)
    }
}
