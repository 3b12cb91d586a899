import Foundation
import MeshTestSupport
import MeshOT
import MeshProtocol
import MeshStore
import Testing

/// `kill -9` of `mesh serve` in the middle of a stream of ops loses no acknowledged op, and a
/// client that resends its unacknowledged op after the restart ends with every edit exactly once.
@Suite(.timeLimit(.minutes(5))) struct CrashRecoveryTests {
    @Test(arguments: TestDatabase.allCases)
    func killNineLosesNoAcknowledgedOp(database: TestDatabase) async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-crash-\(UUID().uuidString)").path
        var databaseURL: String?
        if case let .postgres(url) = try await database.makeBackend() { databaseURL = url }
        var server = try await MeshServerProcess.start(dataDirectory: URL(fileURLWithPath: dataDir), databaseURL: databaseURL)
        let owner = try await server.signup("Owner")
        let session = try await server.createSession(owner)
        let (socket, _) = try await TestSocket.join(server, owner, session: session)
        socket.send(.open(.init(path: "log.txt", create: "")))
        _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }

        var text = ""
        var acked = 0
        let killAt = Int.random(in: 20...60)
        var inFlight: ClientMessage.Op?
        for i in 0..<100 {
            let piece = "op\(i)😀\r\n"
            let op = ClientMessage.Op(path: "log.txt", baseRev: i, ops: TextOperation([.retain(text.unicodeScalars.count), .insert(piece)]), opId: "w:\(i)")
            socket.send(.op(op))
            if i == killAt {
                inFlight = op
                await server.kill9()
                break
            }
            let ack: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
            #expect(ack.rev == i + 1)
            acked = ack.rev
            text += piece
        }
        socket.close()

        server = try await MeshServerProcess.start(dataDirectory: URL(fileURLWithPath: dataDir), databaseURL: databaseURL)
        let (again, _) = try await TestSocket.join(server, owner, session: session, label: "after restart")
        again.send(.open(.init(path: "log.txt", knownRev: acked)))
        let reopened: ServerMessage = try await again.next { m in
            switch m { case .catchUp, .snapshot: m; default: nil }
        }
        var serverRevision = acked
        if case let .catchUp(catchUp) = reopened {
            // The op in flight may or may not have been committed before the kill.
            #expect(catchUp.ops.allSatisfy { $0.opId == inFlight?.opId }, "only the in-flight op can be newer")
            serverRevision = catchUp.rev
        } else {
            Issue.record("expected a catch-up from revision \(acked), got \(reopened)")
        }
        #expect(serverRevision >= acked, "no acknowledged op was lost (killed at op \(killAt))")

        // The client resends its unacknowledged op with the same opId: applied once either way.
        let op = try #require(inFlight)
        again.send(.op(op))
        let ack: ServerMessage.Ack = try await again.next { if case let .ack(a) = $0 { a } else { nil } }
        #expect(ack.rev == acked + 1)
        let documents = try await server.request(.GET, "/v1/sessions/\(session)/documents", token: owner.accessToken)
        let id = try #require(documents.array?.first?["id"] as? String)
        let content = try await server.request(.GET, "/v1/sessions/\(session)/documents/\(id)", token: owner.accessToken)
        #expect(content["text"] as? String == text + "op\(killAt)😀\r\n")
        #expect(content["revision"] as? Int == acked + 1)
        again.close()
        #expect(await server.stopped() == 0, "graceful shutdown exits 0")
    }
}
