import Foundation
import MeshProtocol
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

        let home = scratch.appendingPathComponent("home").path
        let lsp = InProcessLanguageServer(environment: ["HOME": home, "MESH_HOME": home])
        lsp.initialize(root: root)
        lsp.editor(.notification(method: "textDocument/didOpen", params: [
            "textDocument": ["uri": .string(file.absoluteString), "languageId": "plaintext", "version": 1, "text": "hello\n"],
        ]))
        // Until the connection failed and a reconnect is pending (the server says so).
        #expect(try await lsp.wait { lsp.logged.contains { $0.contains("reconnecting in") } }, "no reconnect was pending")
        lsp.editor(.request(id: .number(2), method: "workspace/executeCommand", params: ["command": "mesh.share"]))
        lsp.editor(.request(id: .number(3), method: "workspace/executeCommand", params: [
            "command": "mesh.join", "arguments": ["abcdefgh"],
        ]))
        lsp.editor(.request(id: .number(4), method: "textDocument/codeAction", params: [
            "textDocument": ["uri": .string(file.absoluteString)],
            "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]],
            "context": ["diagnostics": []],
        ]))
        try await lsp.wait { [2, 3, 4].allSatisfy { lsp.answer($0) != nil } }
        lsp.finish()
        _ = await lsp.serving.value
        func answer(_ id: Int) -> Result<JSONValue, ResponseError>? { lsp.answer(id) }
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
