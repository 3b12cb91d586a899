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

    /// `TestServer.stop` cancels the server: a connection waiting for its head is closed then,
    /// not at its deadline (here ten minutes).
    @Test func aConnectionThatSentNothingDoesNotHoldACancelledServer() async throws {
        let server = try await TestServer.start(.sqlite) { $0.limits.requestHeadTimeout = .seconds(600) }
        let silent = try await StalledSocket.open(port: server.port)
        let started = ContinuousClock.now
        await server.stop()
        #expect(ContinuousClock.now - started < .seconds(30), "the stop waited for the silent connection")
        #expect(await offCooperativePool { silent.drainUntilClosed(timeout: 5) })
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
}
