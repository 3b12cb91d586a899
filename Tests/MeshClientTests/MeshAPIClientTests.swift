import Foundation
import Testing
@testable import MeshClient

/// What the client does without a server; the end-to-end flow is in MeshCLITests.
@Suite struct MeshAPIClientTests {
    @Test func connectionRefusedIsReportedClearly() async throws {
        let client = MeshAPIClient(server: "http://127.0.0.1:1/")
        #expect(client.server == "http://127.0.0.1:1")
        let error = await #expect(throws: MeshAPIError.self) {
            try await client.login(email: "ada@example.test", password: "password1")
        }
        #expect(error?.status == 0)
        #expect(error?.description == "cannot reach http://127.0.0.1:1: connection refused")
    }

    @Test func authorizedCallsNeedALogin() async throws {
        let error = await #expect(throws: MeshAPIError.self) { try await MeshAPIClient(server: "http://127.0.0.1:1").me() }
        #expect(error?.status == 401)
        #expect(error?.message.contains("mesh login") == true)
    }

    /// Attack: a caller hands the client a login made for another server (a session file or an
    /// invite naming a server of someone else's); the client drops it instead of sending it.
    @Test func aLoginForAnotherServerIsNeverCarried() async throws {
        let mine = Credentials(server: "http://127.0.0.1:7420/", accessToken: "a", refreshToken: "r")
        #expect(await MeshAPIClient(server: "http://127.0.0.1:7420", credentials: mine).credentials == mine, "the same server, normalized")
        #expect(await MeshAPIClient(server: "http://127.0.0.1:7421", credentials: mine).credentials == nil)
        #expect(await MeshAPIClient(server: "https://127.0.0.1:7420", credentials: mine).credentials == nil)
        let error = await #expect(throws: MeshAPIError.self) {
            try await MeshAPIClient(server: "http://127.0.0.1:1", credentials: mine).me()
        }
        #expect(error?.status == 401, "refused here, before anything is sent")
    }

    @Test func invalidServerURL() async throws {
        let error = await #expect(throws: MeshAPIError.self) {
            try await MeshAPIClient(server: "localhost").login(email: "a@b.c", password: "password1")
        }
        #expect(error?.message.contains("invalid server URL") == true)
    }

    @Test func datesDecodeWithAndWithoutFractions() throws {
        struct Stamp: Decodable { var at: Date }
        let plain = try MeshJSON.decoder().decode(Stamp.self, from: Data(#"{"at":"2024-05-01T12:00:00Z"}"#.utf8))
        let fractional = try MeshJSON.decoder().decode(Stamp.self, from: Data(#"{"at":"2024-05-01T12:00:00.250Z"}"#.utf8))
        #expect(fractional.at.timeIntervalSince(plain.at) == 0.25)
    }

    @Test func webSocketURLs() throws {
        #expect(try CollaborationClient.webSocketURL("http://127.0.0.1:7420") == "ws://127.0.0.1:7420/v1/ws")
        #expect(try CollaborationClient.webSocketURL("https://mesh.example/base/") == "wss://mesh.example/base/v1/ws")
        #expect(throws: CollaborationError.self) { try CollaborationClient.webSocketURL("nonsense") }
    }
}
