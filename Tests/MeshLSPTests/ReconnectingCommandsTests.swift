import Foundation
import MeshProtocol
import NIOConcurrencyHelpers
import Testing
@testable import MeshLSP

/// A folder in a session whose connection is down (being made again) is still in that session:
/// `mesh.share` and `mesh.join` there are refused, and no code action offers them, or the
/// pending reconnect would join the old session's documents to the new session's.
@Suite struct ReconnectingCommandsTests {
    @Test func noShareOrJoinWhileReconnecting() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-reconnecting-\(UUID().uuidString)")
        let root = scratch.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".mesh"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // The session's server refuses connections (nothing listens on port 1).
        let sessionFile: JSONValue = ["server": "http://127.0.0.1:1", "session": .string(UUID().uuidString)]
        try Data(sessionFile.serialized()).write(to: root.appendingPathComponent(".mesh/session.json"))
        let file = root.appendingPathComponent("a.txt")
        try "hello\n".write(to: file, atomically: true, encoding: .utf8)

        let sent = NIOLockedValueBox<[JSONRPCMessage]>([])
        let home = scratch.appendingPathComponent("home").path
        let lsp = LanguageServer(environment: ["HOME": home, "MESH_HOME": home]) { message in
            sent.withLockedValue { $0.append(message) }
        }
        let (input, editor) = AsyncStream.makeStream(of: JSONRPCConnection.Incoming.self)
        let serving = Task { await lsp.run(input) }
        func answer(_ id: Int) -> Result<JSONValue, ResponseError>? {
            sent.withLockedValue { messages in
                for case let .response(.number(answered)?, result) in messages where answered == id { return result }
                return nil
            }
        }
        editor.yield(.message(.request(id: .number(1), method: "initialize", params: [
            "processId": .null, "rootUri": .string(root.absoluteString), "capabilities": [:],
        ])))
        editor.yield(.message(.notification(method: "initialized", params: [:])))
        editor.yield(.message(.notification(method: "textDocument/didOpen", params: [
            "textDocument": ["uri": .string(file.absoluteString), "languageId": "plaintext", "version": 1, "text": "hello\n"],
        ])))
        // Until the connection failed and a reconnect is pending (the server says so).
        func reconnecting() -> Bool {
            sent.withLockedValue { messages in
                messages.contains { if case let .notification("window/logMessage", params) = $0 {
                    params?["message"]?.string?.contains("reconnecting in") == true } else { false } }
            }
        }
        let pending = ContinuousClock.now + .seconds(30)
        while !reconnecting(), ContinuousClock.now < pending { try await Task.sleep(for: .milliseconds(20)) }
        #expect(reconnecting(), "no reconnect was pending")
        editor.yield(.message(.request(id: .number(2), method: "workspace/executeCommand", params: ["command": "mesh.share"])))
        editor.yield(.message(.request(id: .number(3), method: "workspace/executeCommand", params: [
            "command": "mesh.join", "arguments": ["abcdefgh"],
        ])))
        editor.yield(.message(.request(id: .number(4), method: "textDocument/codeAction", params: [
            "textDocument": ["uri": .string(file.absoluteString)],
            "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]],
            "context": ["diagnostics": []],
        ])))
        let deadline = ContinuousClock.now + .seconds(30)
        while [2, 3, 4].contains(where: { answer($0) == nil }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        editor.finish()
        _ = await serving.value
        for id in [2, 3] {
            guard case let .failure(error)? = answer(id) else {
                Issue.record("request \(id) was not refused: \(String(describing: answer(id)))")
                continue
            }
            #expect(error.message.contains("reconnecting"), "\(error)")
        }
        #expect(try answer(4)?.get() == [], "a code action offered sharing the folder again")
    }
}
