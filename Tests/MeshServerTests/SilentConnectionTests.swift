import Foundation
import MeshTestSupport
import Testing

/// Attack "slowloris": connections that never send a request, or send its head a byte at a time,
/// or stay idle between requests, each hold a socket and a task. The server closes them at its
/// deadlines, and none keeps it from stopping (before, `mesh serve` did not exit on SIGTERM while
/// one connection had sent nothing).
@Suite struct SilentConnectionTests {
    @Test func aConnectionThatSendsNoRequestIsClosedAtTheDeadline() async throws {
        try await withServer(.sqlite, configure: { $0.limits.requestHeadTimeout = .seconds(1) }) { server in
            let silent = try await StalledSocket.open(port: server.port)
            let closed = await offCooperativePool { silent.drainUntilClosed(timeout: 20) }
            #expect(closed, "the server kept a connection that sent nothing for 20 s")
        }
    }

    @Test func aRequestHeadSentAByteAtATimeIsCutOffAtTheDeadline() async throws {
        try await withServer(.sqlite, configure: { $0.limits.requestHeadTimeout = .seconds(1) }) { server in
            let slow = try await StalledSocket.open(port: server.port)
            // Ten bytes a second of a head that never ends: the decoder's size limit (80 KiB)
            // would take hours to reach.
            let head = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8) + Array("X-Padding: a\r\n".utf8)
            let closed = await offCooperativePool { slow.trickle(head, interval: 0.1, timeout: 20) }
            #expect(closed, "the server still read a head trickled in for 20 s")
        }
    }

    /// NIO's upgrade handler waits for the end of an upgrade request: one announcing a body it
    /// never sends is held to the same deadline.
    @Test func anUpgradeRequestWhoseBodyNeverComesIsClosedAtTheDeadline() async throws {
        try await withServer(.sqlite, configure: { $0.limits.requestHeadTimeout = .seconds(1) }) { server in
            let client = try await StalledSocket.open(port: server.port)
            try await send(StalledSocket.upgradeHead(port: server.port, headers: ["Content-Length: 1"]), to: client)
            let closed = await offCooperativePool { client.drainUntilClosed(timeout: 20) }
            #expect(closed, "the server kept an upgrade request waiting for its body for 20 s")
        }
    }

    /// An upgrade request with a body fails NIO's upgrade, which left the connection open (and
    /// upgraded it later into a WebSocket nobody served): it is closed at once.
    @Test func anUpgradeRequestWithABodyIsClosedAtOnce() async throws {
        try await withServer(.sqlite, configure: { $0.limits.requestHeadTimeout = .seconds(600) }) { server in
            let client = try await StalledSocket.open(port: server.port)
            try await send(StalledSocket.upgradeHead(port: server.port, headers: ["Content-Length: 1"]) + [UInt8(ascii: "x")], to: client)
            let closed = await offCooperativePool { client.drainUntilClosed(timeout: 20) }
            #expect(closed, "the server kept an upgrade request with a body open for 20 s")
        }
    }

    @Test func aRequestThatIsNoHTTPIsClosedAtOnce() async throws {
        try await withServer(.sqlite, configure: { $0.limits.requestHeadTimeout = .seconds(600) }) { server in
            let client = try await StalledSocket.open(port: server.port)
            try await send(Array("\u{16}\u{03}\u{01} HELLO THERE\r\n\r\n".utf8), to: client)
            let closed = await offCooperativePool { client.drainUntilClosed(timeout: 20) }
            #expect(closed, "the server kept a connection that sent no HTTP open for 20 s")
        }
    }

    @Test func aKeptAliveConnectionIdleLongerThanTheTimeoutIsClosed() async throws {
        try await withServer(.sqlite, configure: {
            $0.limits.requestHeadTimeout = .seconds(1)
            $0.limits.idleConnectionTimeout = .seconds(1)
        }) { server in
            let client = try await StalledSocket.open(port: server.port)
            let response = try await offCooperativePool {
                Result { () throws -> String in
                    try client.write(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
                    return try client.readHead()
                }
            }.get()
            #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
            let closed = await offCooperativePool { client.drainUntilClosed(timeout: 20) }
            #expect(closed, "the server kept an idle connection for 20 s")
        }
    }

    @Test func theDeadlinesDoNotTouchAWebSocket() async throws {
        try await withServer(.sqlite, configure: {
            $0.limits.requestHeadTimeout = .milliseconds(300)
            $0.limits.idleConnectionTimeout = .milliseconds(300)
        }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            // Longer than both deadlines, with nothing sent.
            try await Task.sleep(for: .seconds(2))
            socket.send(.ping(.init(id: "still-here")))
            _ = try await socket.next { if case .pong = $0 { true } else { nil } }
        }
    }

    /// `TestServer.stop` cancels the server: a connection waiting for its head ends then, not at
    /// its deadline. (Whether the socket itself is closed at once depends on whether the server
    /// had taken it from the accept queue: one it had not is left to its deadline by NIO.)
    @Test func aConnectionThatSentNothingDoesNotHoldACancelledServer() async throws {
        let server = try await TestServer.start(.sqlite) { $0.limits.requestHeadTimeout = .seconds(40) }
        let silent = try await StalledSocket.open(port: server.port)
        let started = ContinuousClock.now
        await server.stop()
        #expect(ContinuousClock.now - started < .seconds(20), "the stop waited for the silent connection")
        _ = silent
    }

    /// SIGTERM (graceful shutdown) with a connection that has sent nothing: `mesh serve` exits.
    @Test func meshServeStopsOnSIGTERMWithAConnectionThatSentNothing() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-silent-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let server = try await MeshServerProcess.start(dataDirectory: dataDirectory)
        let silent = try await StalledSocket.open(port: server.port)
        let status = await server.stopped(timeout: .seconds(30))
        #expect(status == 0, "mesh serve did not exit on SIGTERM within 30 s:\n\(server.log)")
        _ = silent
    }

    /// A client that asks for more than the sockets hold and stops reading keeps its response
    /// from ending, which a graceful stop waits for: `--shutdown-seconds` bounds that wait.
    @Test func meshServeStopsWithinItsShutdownGraceWhenAClientStopsReading() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-grace-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let server = try await MeshServerProcess.start(dataDirectory: dataDirectory, extraArguments: ["--shutdown-seconds", "2"])
        let reader = try await StalledSocket.open(port: server.port)
        // 600 pipelined requests for the 28 KB API description: 17 MB, far more than the
        // socket buffers take.
        let request = Array("GET /openapi.yaml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        try await send(Array((0..<600).map { _ in request }.joined()), to: reader)
        try await eventually("the responses fill the client's socket") { reader.bytesWaiting > 1_000 }
        try await Task.sleep(for: .milliseconds(500))   // and the server's (a few MB: milliseconds)
        let started = ContinuousClock.now
        let status = await server.stopped(timeout: .seconds(60))
        #expect(status == 0, "mesh serve did not exit on SIGTERM within 60 s:\n\(server.log)")
        #expect(ContinuousClock.now - started < .seconds(30), "the stop took \(ContinuousClock.now - started)")
        _ = reader
    }

    private func send(_ bytes: [UInt8], to client: StalledSocket) async throws {
        try await offCooperativePool { Result { try client.write(bytes) } }.get()
    }
}
