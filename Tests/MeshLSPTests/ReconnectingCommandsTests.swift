import Foundation
import MeshProtocol
import Testing
@testable import MeshLSP

/// A folder whose `.mesh/session.json` names a session it never joined (every connection
/// refused: the server gone, the session deleted, someone else's file) is not locked in it:
/// `mesh.share` and `mesh.join` give that session up, and its pending reconnect is dropped, so
/// it can never join the old session's documents to the new one's. (A session the folder did
/// join refuses them while reconnecting: `LanguageServerTests.noShareOrJoinWhileReconnectingToAJoinedSession`.)
@Suite struct ReconnectingCommandsTests {
    @Test func aSessionNeverJoinedIsGivenUpForAnother() async throws {
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
        let lsp = InProcessLanguageServer(environment: ["HOME": home, "MESH_HOME": home, "MESH_SERVER": "http://127.0.0.1:1"])
        lsp.initialize(root: root)
        lsp.editor(.notification(method: "textDocument/didOpen", params: [
            "textDocument": ["uri": .string(file.absoluteString), "languageId": "plaintext", "version": 1, "text": "hello\n"],
        ]))
        func attempts() -> Int { lsp.logged.filter { $0.contains("reconnecting in") }.count }
        // Until the connection failed and a reconnect is pending (the server says so).
        #expect(try await lsp.wait { attempts() >= 1 }, "no reconnect was pending")
        lsp.editor(.request(id: .number(2), method: "textDocument/codeAction", params: [
            "textDocument": ["uri": .string(file.absoluteString)],
            "range": ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]],
            "context": ["diagnostics": []],
        ]))
        lsp.editor(.request(id: .number(3), method: "workspace/executeCommand", params: [
            "command": "mesh.join", "arguments": ["abcdefgh"],
        ]))
        try await lsp.wait { lsp.answer(2) != nil && lsp.answer(3) != nil }
        let actions = try #require(try lsp.answer(2)?.get().array)
        #expect(actions.contains { $0["command"]?["command"]?.string == "mesh.share" }, "sharing the folder is not offered: \(actions)")
        guard case let .failure(error)? = lsp.answer(3) else {
            Issue.record("the join cannot succeed (nothing listens): \(String(describing: lsp.answer(3)))")
            return
        }
        #expect(!error.message.contains("already"), "the join was refused for the session never joined: \(error)")
        // The old session's reconnect (due 1 s after the first, then 2 s) is dropped.
        let before = attempts()
        try await Task.sleep(for: .seconds(3))
        #expect(attempts() == before, "the session given up was connected to again")
        lsp.finish()
        _ = await lsp.serving.value
    }
}
