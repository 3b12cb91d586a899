import MeshProtocol

/// `workspace/executeCommand` params. `command` is optional so that its absence is answered
/// `invalidParams` by the handler; `arguments` stay JSON, each command reading its own
/// (docs/protocol.md lists them).
struct ExecuteCommandParams: Codable, Sendable, LenientParams {
    @Lenient var command: String? = nil
    @Lenient var arguments: [JSONValue]? = nil
}
