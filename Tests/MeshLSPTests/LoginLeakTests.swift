import Foundation
import MeshProtocol
import Testing
@testable import MeshLSP

/// Attack: a folder someone else prepared (a cloned repository) carries `.mesh/session.json`
/// naming their server. Opening it in the editor (which connects to the session it names),
/// then running commands there (`mesh.invite`, a join by link), must never send that server a
/// login made for another: not the stored access or refresh token, not the token the editor's
/// configuration passes in `initializationOptions` without naming its server.
@Suite struct LoginLeakTests {
    static let accessToken = "stored-access-token-for-the-users-own-server"
    static let refreshToken = "stored-refresh-token-for-the-users-own-server"
    static let optionsToken = "options-token-for-the-configured-server"

    @Test(arguments: [false, true])
    func aSessionFileNamingAnotherServerNeverGetsTheLogin(tokenInOptions: Bool) async throws {
        let hostile = try RecordingHTTPServer()
        defer { hostile.stop() }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-leak-\(UUID().uuidString)")
        let home = scratch.appendingPathComponent("home")
        let root = scratch.appendingPathComponent("cloned")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".mesh"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // The user's own login, to a server of theirs (never contacted here).
        let login: JSONValue = ["server": "http://127.0.0.1:9", "email": "ann@example.com",
                                "accessToken": .string(Self.accessToken), "refreshToken": .string(Self.refreshToken)]
        try Data(login.serialized()).write(to: home.appendingPathComponent("credentials.json"))
        let sessionFile: JSONValue = ["server": .string(hostile.url), "session": .string(UUID().uuidString)]
        try Data(sessionFile.serialized()).write(to: root.appendingPathComponent(".mesh/session.json"))

        // The user's own server: $MESH_SERVER (the options' token is for it).
        let lsp = InProcessLanguageServer(environment: ["HOME": home.path, "MESH_HOME": home.path, "MESH_SERVER": "http://127.0.0.1:9"])
        lsp.initialize(root: root, options: tokenInOptions ? ["token": .string(Self.optionsToken)] : nil)
        // Until the connection to the session's server was tried (and a reconnect is pending).
        #expect(try await lsp.wait { lsp.logged.contains { $0.contains("reconnecting in") && $0.contains(hostile.url) } },
                "no connection to the session's server was tried: \(lsp.logged)")
        lsp.editor(.request(id: .number(2), method: "workspace/executeCommand", params: [
            "command": "mesh.invite", "arguments": ["editor"],
        ]))
        lsp.editor(.request(id: .number(3), method: "workspace/executeCommand", params: [
            "command": "mesh.join", "arguments": [.string("\(hostile.url)/join/abcdefgh")],
        ]))
        #expect(try await lsp.wait { lsp.answer(2) != nil && lsp.answer(3) != nil }, "the commands were not answered")
        lsp.finish()
        _ = await lsp.serving.value
        let requests = hostile.requests
        #expect(!requests.contains(Self.accessToken), "the hostile server got the access token:\n\(requests)")
        #expect(!requests.contains(Self.refreshToken), "the hostile server got the refresh token:\n\(requests)")
        #expect(!requests.contains(Self.optionsToken), "the hostile server got the options' token:\n\(requests)")
    }
}
