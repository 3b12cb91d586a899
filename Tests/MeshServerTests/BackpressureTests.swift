import Foundation
import MeshOT
import MeshProtocol
import MeshTestSupport
import Testing
@testable import MeshServer

/// A client that stops reading is disconnected when its queue overflows, and nothing is lost:
/// the writer's ops are all committed and the slow client catches up after reconnecting.
@Suite(.timeLimit(.minutes(5))) struct BackpressureTests {
    @Test func slowReaderIsDisconnectedNotFedPartialData() async throws {
        try await withServer(.sqlite, configure: { $0.limits.sendQueueLimit = 8 }) { server in
            let owner = try await server.signup("Owner")
            let slowUser = try await server.signup("Slow")
            let session = try await server.createSession(owner)
            try await server.addMember(slowUser, to: session, role: "editor", owner: owner)
            let (writer, _) = try await TestSocket.join(server, owner, session: session)
            writer.send(.open(.init(path: "big.txt", create: "")))
            _ = try await writer.next { if case .snapshot = $0 { true } else { nil } }

            let slow = try await StalledSocket.connect(port: server.port, token: slowUser.accessToken)
            let hello = String(decoding: try JSONEncoder().encode(ClientMessage.hello(.init(session: session))), as: UTF8.self)
            let open = String(decoding: try JSONEncoder().encode(ClientMessage.open(.init(path: "big.txt"))), as: UTF8.self)
            try await offCooperativePool { Result { try slow.sendText(hello); try slow.sendText(open) } }.get()
            try await Task.sleep(for: .milliseconds(200))

            // 200 ops of 32 KiB: far more than the stalled socket's buffers plus 8 queued messages.
            let chunk = String(repeating: "0123456789abcdef", count: 2048)
            var length = 0
            for i in 0..<200 {
                writer.send(.op(.init(path: "big.txt", baseRev: i, ops: TextOperation([.retain(length), .insert(chunk)]), opId: "w:\(i)")))
                let ack: ServerMessage.Ack = try await writer.next { if case let .ack(a) = $0 { a } else { nil } }
                #expect(ack.rev == i + 1)
                length += chunk.unicodeScalars.count
            }
            let cutOff = try await server.waitForMetric("mesh_slow_client_disconnects_total 1", timeout: .seconds(60))
            #expect(cutOff, "the server cut off the client that stopped reading")
            let closed = await offCooperativePool { slow.drainUntilClosed(timeout: 20) }
            #expect(closed, "the cut-off socket is closed")

            // It reconnects and resyncs: every op is there.
            let (again, _) = try await TestSocket.join(server, slowUser, session: session, label: "resync")
            again.send(.open(.init(path: "big.txt", knownRev: 0)))
            let catchUp: ServerMessage.CatchUp = try await again.next { if case let .catchUp(c) = $0 { c } else { nil } }
            #expect(catchUp.ops.map(\.revision) == Array(1...200))
            var text = ""
            for op in catchUp.ops { text = try op.operation.apply(to: text) }
            #expect(text == String(repeating: chunk, count: 200))
        }
    }

    /// Issue 11: the queue was bounded in messages, so a client that stops reading and repeats
    /// `open` on a large document queued gigabytes. Now bytes are counted, per connection and
    /// for the whole server, and such a client is cut off while its queue is small.
    @Test func repeatedOpensOfALargeDocumentAreBoundedInBytes() async throws {
        let perConnection = 1 << 20
        try await withServer(.sqlite, configure: { $0.limits.sendQueueBytes = perConnection }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (writer, _) = try await TestSocket.join(server, owner, session: session)
            let big = String(repeating: "0123456789abcdef", count: 16_384)   // 256 KiB
            writer.send(.open(.init(path: "big.txt", create: big)))
            _ = try await writer.next { if case .snapshot = $0 { true } else { nil } }

            let slow = try await StalledSocket.connect(port: server.port, token: owner.accessToken)
            let hello = String(decoding: try JSONEncoder().encode(ClientMessage.hello(.init(session: session))), as: UTF8.self)
            let open = String(decoding: try JSONEncoder().encode(ClientMessage.open(.init(path: "big.txt"))), as: UTF8.self)
            try await offCooperativePool { Result { try slow.sendText(hello); for _ in 0..<200 { try slow.sendText(open) } } }.get()
            // The socket must stay unread until the server has cut it off: reading earlier would
            // make it a fast reader (the server may still be working through the opens).
            let cutOff = try await server.waitForMetric("mesh_slow_client_disconnects_total 1", timeout: .seconds(60))
            #expect(cutOff, "200 opens of 256 KiB (50 MiB) were not queued: the reader was cut off")
            let closed = await offCooperativePool { slow.drainUntilClosed(timeout: 20) }
            #expect(closed, "the cut-off socket is closed")
            // The writer was not affected, and nothing stays reserved for the closed socket.
            writer.send(.ping(.init(id: "alive")))
            let pong: ServerMessage.Pong = try await writer.next { if case let .pong(p) = $0 { p } else { nil } }
            #expect(pong.id == "alive")
            let hub = server.mesh.hub
            let deadline = ContinuousClock.now + .seconds(5)
            while hub.sendBudget.inUse > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(hub.sendBudget.inUse == 0, "queued bytes return to the server's budget")
            #expect(try await server.waitForMetric("mesh_send_queue_bytes 0.0", timeout: .seconds(5)), "the gauge says so too")
        }
    }

    @Test func theServerWideBudgetCutsOffTheReaderThatWouldExceedIt() {
        let budget = SendBudget(limit: 1_000)
        let user = AuthUser(id: UUID(), name: "A")
        let first = ClientConnection(user: user, session: UUID(), role: .editor, queueLimit: 100, byteLimit: 800, budget: budget, burst: 10)
        let second = ClientConnection(user: user, session: UUID(), role: .editor, queueLimit: 100, byteLimit: 800, budget: budget, burst: 10)
        first.send(String(repeating: "a", count: 700))
        #expect(first.closeReason == nil && budget.inUse == 700)
        second.send(String(repeating: "b", count: 400))
        #expect(second.closeReason == .tooSlow, "700 + 400 > 1,000")
        first.send(String(repeating: "c", count: 200))
        #expect(first.closeReason == .tooSlow, "700 + 200 > 800 for one connection")
        first.releaseQueue()
        #expect(budget.inUse == 0)
        // A writer that stopped on a failed write leaves the connection open for a moment:
        // what is sent then must not take from the budget, since nothing would give it back.
        let third = ClientConnection(user: user, session: UUID(), role: .editor, queueLimit: 100, byteLimit: 800, budget: budget, burst: 10)
        third.releaseQueue()
        third.send(String(repeating: "d", count: 100))
        #expect(budget.inUse == 0, "nothing is taken after the writer stopped")
    }
}
