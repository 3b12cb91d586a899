import Foundation
import MeshTestSupport
import Testing

/// Attack "slowloris": connections that never send a request, or send its head a byte at a time,
/// or stay idle between requests, each hold a socket and a task. The server closes them at its
/// deadlines, and none keeps it from stopping (before, `mesh serve` did not exit on SIGTERM while
/// one connection had sent nothing).
@Suite struct SilentConnectionTests {
    @Test func aConnectionThatSendsNoRequestIsClosedAtTheDeadline() async throws {
        try await expectClosed(after: [], headTimeout: .seconds(1), "the server kept a connection that sent nothing")
    }

    @Test func aRequestHeadSentAByteAtATimeIsCutOffAtTheDeadline() async throws {
        try await withServer(.sqlite, configure: { $0.limits.requestHeadTimeout = .seconds(1) }) { server in
            let slow = try await StalledSocket.open(port: server.port)
            // Ten bytes a second of a valid head that does not end within the test's 20 s (the
            // decoder's size limit, 80 KiB, would take hours to reach): nothing but the deadline
            // can close it.
            let head = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
                + Array(repeating: Array("X-Padding: a\r\n".utf8), count: 100).joined()
            let closed = await offCooperativePool { slow.trickle(head, interval: 0.1, timeout: 20) }
            #expect(closed, "the server still read a head trickled in for 20 s")
        }
    }

    /// NIO's upgrade handler waits for the end of an upgrade request: one announcing a body it
    /// never sends is held to the same deadline.
    @Test func anUpgradeRequestWhoseBodyNeverComesIsClosedAtTheDeadline() async throws {
        try await expectClosed(after: { StalledSocket.upgradeHead(port: $0, headers: ["Content-Length: 1"]) }, headTimeout: .seconds(1),
                               "the server kept an upgrade request waiting for its body")
    }

    /// An upgrade request with a body fails NIO's upgrade, which left the connection open (and
    /// upgraded it later into a WebSocket nobody served): it is closed at once.
    @Test func anUpgradeRequestWithABodyIsClosedAtOnce() async throws {
        try await expectClosed(after: { StalledSocket.upgradeHead(port: $0, headers: ["Content-Length: 1"]) + [UInt8(ascii: "x")] },
                               headTimeout: .seconds(600), "the server kept an upgrade request with a body open")
    }

    @Test func aRequestThatIsNoHTTPIsClosedAtOnce() async throws {
        try await expectClosed(after: Array("\u{16}\u{03}\u{01} HELLO THERE\r\n\r\n".utf8), headTimeout: .seconds(600),
                               "the server kept a connection that sent no HTTP open")
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

    /// `TestServer.stop` cancels the server: a connection it took that waits for its head is
    /// closed then, not at its deadline.
    @Test func aConnectionThatSentNothingDoesNotHoldACancelledServer() async throws {
        let server = try await TestServer.start(.sqlite) { $0.limits.requestHeadTimeout = .seconds(40) }
        let silent = try await StalledSocket.open(port: server.port)
        try await eventually("the server took the connection") { silent.isAccepted(byServerOn: server.port) }
        let started = ContinuousClock.now
        await server.stop()
        #expect(ContinuousClock.now - started < .seconds(20), "the stop waited for the silent connection")
        #expect(await offCooperativePool { silent.drainUntilClosed(timeout: 10) }, "the silent connection outlived the server")
    }

    /// SIGTERM (graceful shutdown) with a connection that has sent nothing: `mesh serve` exits.
    @Test func meshServeStopsOnSIGTERMWithAConnectionThatSentNothing() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-silent-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let server = try await MeshServerProcess.start(dataDirectory: dataDirectory)
        let silent = try await StalledSocket.open(port: server.port)
        try await eventually("the server took the connection") { silent.isAccepted(byServerOn: server.port) }
        // 15 s: less than both the head deadline (30 s) and the stop's grace (20 s), either of
        // which would end the connection too.
        let status = await server.stopped(timeout: .seconds(15))
        #expect(status == 0, "mesh serve did not exit on SIGTERM within 15 s:\n\(server.log)")
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

    /// A server whose connections must send their first request within `headTimeout`; a
    /// connection that sends it `bytes` (given the port) must be closed within 20 s.
    private func expectClosed(after bytes: (Int) -> [UInt8], headTimeout: Duration, _ failure: String) async throws {
        try await withServer(.sqlite, configure: { $0.limits.requestHeadTimeout = headTimeout }) { server in
            let client = try await StalledSocket.open(port: server.port)
            try await send(bytes(server.port), to: client)
            let closed = await offCooperativePool { client.drainUntilClosed(timeout: 20) }
            #expect(closed, "\(failure) for 20 s")
        }
    }

    private func expectClosed(after bytes: [UInt8], headTimeout: Duration, _ failure: String) async throws {
        try await expectClosed(after: { _ in bytes }, headTimeout: headTimeout, failure)
    }
}
