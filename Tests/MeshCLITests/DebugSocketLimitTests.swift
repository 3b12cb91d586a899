import Foundation
import HummingbirdWSClient
import Logging
import MeshClient
import MeshProtocol
import Testing

/// Issue 11 on `/v1/debug`, against a real `mesh serve` with Docker: a socket that never says
/// hello is closed, and a removed member's debug connection ends within a second or two while
/// the others go on.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DebugSocketLimitTests {
    /// Attack: open debug sockets and say nothing, each holding a connection for free.
    @Test func aDebugSocketThatNeverSaysHelloIsClosed() async throws {
        let world = try await SandboxWorld.start("dap-hello")
        defer { world.stop() }
        let token = try #require(try CredentialStore(directory: world.homeA).load()?.accessToken)
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
        configuration.additionalHeaders[.authorization] = "Bearer \(token)"
        let url = String(try CollaborationClient.webSocketURL(world.server.url).dropLast("/v1/ws".count)) + "/v1/debug"
        let started = ContinuousClock.now
        let received = LockedTexts()
        try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "test")) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case let .text(text) = message { received.append(text) }
            }
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .seconds(9) && waited < .seconds(30), "closed after \(waited)")
        #expect(received.all.contains { $0.contains("no hello within") }, "\(received.all)")
    }

    /// A member the owner removes loses the debug session at once; the owner's goes on.
    @Test func aRemovedMembersDebugConnectionEnds() async throws {
        let world = try await SandboxWorld.start("dap-removed")
        defer { world.stop() }
        let ann = try DAPProcess(root: world.dirA, home: world.homeA, logFile: world.root.appendingPathComponent("dap-a.log"))
        let bob = try DAPProcess(root: world.dirB, home: world.homeB, logFile: world.root.appendingPathComponent("dap-b.log"))
        defer { ann.close(); bob.close() }
        let arguments: JSONValue = ["clientID": "mesh-test", "adapterID": "go", "linesStartAt1": true, "columnsStartAt1": true, "pathFormat": "path"]
        #expect(try await ann.request("initialize", arguments)["success"]?.bool == true)
        #expect(try await bob.request("initialize", arguments)["success"]?.bool == true)
        try await world.api(world.homeA).removeMember(session: world.session, user: world.bobID)
        _ = try await bob.event("terminated", timeout: .seconds(5))
        #expect(bob.outputs.contains { $0.contains("connection to the server ended") }, "\(bob.outputs)")
        let threads = try await ann.request("threads")
        #expect(threads["type"]?.string == "response", "the owner's debug session goes on: \(threads)")
    }
}

/// Texts collected from another task.
final class LockedTexts: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String] = []
    func append(_ text: String) { lock.withLock { texts.append(text) } }
    var all: [String] { lock.withLock { texts } }
}
