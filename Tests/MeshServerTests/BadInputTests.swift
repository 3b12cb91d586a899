import Foundation
import HTTPTypes
import MeshOT
import MeshProtocol
import Testing
@testable import MeshServer

/// Malformed JSON, wrong types, unknown messages, oversized frames, path traversal: each gets a
/// clear error and nothing is lost.
@Suite(.timeLimit(.minutes(5))) struct BadInputTests {
    @Test func malformedMessagesGetClearErrorsAndTheConnectionLives() async throws {
        try await withServer(.sqlite) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.open(.init(path: "keep.txt", create: "safe")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }

            let cases: [(String, ErrorCode)] = [
                ("{not json", .badRequest),
                (#"{"type":"teleport"}"#, .unknownType),
                (#"{"type":"op","path":"keep.txt","baseRev":"zero","ops":[1],"opId":"x"}"#, .badRequest),
                (#"{"type":"op","path":"keep.txt","baseRev":0,"ops":[0],"opId":"x"}"#, .badRequest),
                (#"{"type":"open"}"#, .badRequest),
                (#"{"type":"open","path":"../../etc/passwd"}"#, .badRequest),
                (#"{"type":"open","path":"/etc/passwd"}"#, .badRequest),
                (#"{"type":"open","path":"a\u0000b","create":""}"#, .badRequest),
                (#"{"type":"op","path":"other.txt","baseRev":0,"ops":["x"],"opId":"y"}"#, .badRequest),
                (#"{"type":"op","path":"keep.txt","baseRev":0,"ops":[4,"x"],"opId":"a\u0000b"}"#, .badRequest),
                (#"{"type":"op","path":"keep.txt","baseRev":0,"ops":[4,"x"],"opId":""}"#, .badRequest),
                (#"{"type":"op","path":"keep.txt","baseRev":0,"ops":[4,"x"],"opId":"\#(String(repeating: "é", count: 65))"}"#, .badRequest),
                (#"{"type":"hello","protocol":1,"session":"x"}"#, .badRequest),
                ("[]", .badRequest),
            ]
            for (raw, code) in cases {
                socket.sendRaw(raw)
                let error: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
                #expect(error.code == code, "\(raw) → \(error)")
                #expect(!error.message.isEmpty)
            }
            socket.send(.ping(.init(id: "still-there")))
            let pong: ServerMessage.Pong = try await socket.next { if case let .pong(p) = $0 { p } else { nil } }
            #expect(pong.id == "still-there")
            socket.send(.open(.init(path: "keep.txt")))
            let snapshot: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == "safe" && snapshot.rev == 0, "no refused op was applied")
            let docs = try await server.request(.GET, "/v1/sessions/\(session)/documents", token: owner.accessToken)
            #expect(docs.array?.compactMap { $0["path"] as? String } == ["keep.txt"], "no traversal document was created")
        }
    }

    /// Issue 11's frames that each stopped the whole server with an arithmetic-overflow trap:
    /// huge retains, retains whose sum overflows, deletes near Int.min, and a viewer's presence
    /// near Int.max moved through a later op. Each now gets bad_request, nothing is applied,
    /// and an honest editor in the same document carries on.
    @Test func hostileNumbersGetBadRequestAndTheServerLives() async throws {
        try await withServer(.sqlite) { server in
            let owner = try await server.signup("Owner")
            let viewer = try await server.signup("Viewer")
            let session = try await server.createSession(owner)
            try await server.addMember(viewer, to: session, role: "viewer", owner: owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.open(.init(path: "keep.txt", create: "safe")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }
            let (watcher, _) = try await TestSocket.join(server, viewer, session: session, label: "viewer")
            watcher.send(.open(.init(path: "keep.txt")))
            _ = try await watcher.next { if case .snapshot = $0 { true } else { nil } }

            let manyRetains = "[" + Array(repeating: "8999999999999999", count: 1_100).joined(separator: ",") + "]"
            let attacks: [(name: String, socket: TestSocket, frame: String)] = [
                ("retain of Int.max", socket, #"{"type":"op","path":"keep.txt","baseRev":0,"ops":[9223372036854775807],"opId":"a1"}"#),
                ("retains whose sum overflows", socket, #"{"type":"op","path":"keep.txt","baseRev":0,"ops":\#(manyRetains),"opId":"a2"}"#),
                ("two deletes near Int.min", socket, #"{"type":"op","path":"keep.txt","baseRev":0,"ops":[-9223372036854775807,-9223372036854775807],"opId":"a3"}"#),
                ("delete of Int.min", socket, #"{"type":"op","path":"keep.txt","baseRev":0,"ops":[-9223372036854775808],"opId":"a4"}"#),
                ("insert after a retain of Int.max", socket, #"{"type":"op","path":"keep.txt","baseRev":0,"ops":[9223372036854775807,"x"],"opId":"a5"}"#),
                ("viewer presence near Int.max", watcher, #"{"type":"presence","path":"keep.txt","rev":0,"selections":[{"anchor":9223372036854775806,"head":9223372036854775806}]}"#),
                ("viewer presence near Int.min", watcher, #"{"type":"presence","path":"keep.txt","rev":0,"selections":[{"anchor":-9223372036854775807,"head":0}]}"#),
                ("annotation near Int.max", socket, #"{"type":"annotate","path":"keep.txt","rev":0,"from":0,"to":9223372036854775806,"body":"x"}"#),
            ]
            for attack in attacks {
                attack.socket.sendRaw(attack.frame)
                let error: ErrorMessage = try await attack.socket.next { if case let .error(e) = $0 { e } else { nil } }
                #expect(error.code == .badRequest, "\(attack.name) → \(error)")
            }
            // A later op would have moved the hostile presence: the server is still here.
            socket.send(.op(.init(path: "keep.txt", baseRev: 0, ops: TextOperation([.insert("!"), .retain(4)]), opId: "honest")))
            let ack: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
            #expect(ack.rev == 1)
            watcher.sendRaw(#"{"type":"presence","path":"keep.txt","rev":0,"selections":[{"anchor":4,"head":4}]}"#)
            socket.send(.open(.init(path: "keep.txt")))
            let snapshot: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == "!safe", "only the honest op was applied")
            let health = try await server.request(.GET, "/health")
            #expect(health["status"] as? String != nil)
        }
    }

    @Test func oversizedFrameIsRefusedAndNothingIsLost() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxFrameBytes = 4096 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.open(.init(path: "a.txt", create: "kept")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }
            socket.send(.op(.init(path: "a.txt", baseRev: 0, ops: TextOperation([.retain(4), .insert(String(repeating: "x", count: 10_000))]), opId: "big")))
            #expect(await socket.waitClosed(), "the server closes a connection that sends an oversized frame")
            let (again, _) = try await TestSocket.join(server, owner, session: session, label: "again")
            again.send(.open(.init(path: "a.txt")))
            let snapshot: ServerMessage.Snapshot = try await again.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == "kept" && snapshot.rev == 0)
        }
    }

    @Test func handshakeFailuresAreExplained() async throws {
        try await withServer(.sqlite, configure: { $0.allowedOrigins = ["https://mesh.example"] }) { server in
            let owner = try await server.signup("Owner")
            let outsider = try await server.signup("Outsider")
            let session = try await server.createSession(owner)

            let stranger = TestSocket(server, token: outsider.accessToken)
            stranger.send(.hello(.init(session: session)))
            let notMember: ErrorMessage = try await stranger.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(notMember.code == .notFound)

            let future = TestSocket(server, token: owner.accessToken)
            future.send(.hello(.init(protocol: 99, session: session)))
            let version: ErrorMessage = try await future.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(version.code == .protocolVersion)

            let first = TestSocket(server, token: owner.accessToken)
            first.send(.ping(.init()))
            let noHello: ErrorMessage = try await first.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(noHello.code == .badRequest)

            // No token: the upgrade succeeds (a browser's has none), but hello needs a ticket.
            let anonymous = TestSocket(server, token: nil)
            anonymous.send(.hello(.init(session: session)))
            let noTicket: ErrorMessage = try await anonymous.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(noTicket.code == .unauthorized)
            #expect(await anonymous.waitClosed(), "no token and no ticket: closed at hello")
            let forged = TestSocket(server, token: "not.a.token")
            #expect(await forged.waitClosed())
            // A browser page on another site (cross-site WebSocket hijacking) is refused; the
            // allow-listed site, the server's own origin and native clients (ws://) are not.
            await #expect(throws: TestSetupError.self, "an Origin outside the allow-list is refused") {
                try await StalledSocket.connect(port: server.port, token: owner.accessToken, origin: "https://evil.example")
            }
            _ = try await StalledSocket.connect(port: server.port, token: owner.accessToken, origin: "https://mesh.example")
            _ = try await StalledSocket.connect(port: server.port, token: owner.accessToken, origin: "http://127.0.0.1:\(server.port)")
            _ = try await StalledSocket.connect(port: server.port, token: owner.accessToken, origin: "ws://127.0.0.1")
        }
    }

    @Test func messageFloodIsRateLimited() async throws {
        try await withServer(.sqlite, configure: { $0.limits.messagesPerSecond = 5; $0.limits.messageBurst = 20 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            for i in 0..<100 { socket.send(.ping(.init(id: "\(i)"))) }
            let limited: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(limited.code == .rateLimited)
            #expect(await socket.waitClosed())
        }
    }

    @Test func documentPathsAndSizesAreCheckedOverREST() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxDocumentBytes = 100; $0.limits.maxSessionBytes = 150 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            for path in ["../x", "/abs", "a/../../b", String(repeating: "p", count: 2000), "a\u{0}b"] {
                let response = try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": path, "text": ""], token: owner.accessToken)
                #expect(response.status == 400, "\(path.prefix(20))")
                #expect(response["code"] as? String == "bad_request")
            }
            let big = try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": "big", "text": String(repeating: "x", count: 101)], token: owner.accessToken)
            #expect(big.status == 413)
            #expect(try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": "a", "text": String(repeating: "x", count: 100)], token: owner.accessToken).status == 201)
            let over = try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": "b", "text": String(repeating: "x", count: 60)], token: owner.accessToken)
            #expect(over.status == 413, "the session total is limited too")
            let dup = try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": "a"], token: owner.accessToken)
            #expect(dup.status == 409)
            let notUUID = try await server.request(.GET, "/v1/sessions/not-a-uuid", token: owner.accessToken)
            #expect(notUUID.status == 400)
        }
    }
}

/// Issue 11: no timeout for `hello`, no cap on a user's connections.
@Suite(.timeLimit(.minutes(5))) struct ConnectionLimitTests {
    @Test func aSocketThatNeverSaysHelloIsClosed() async throws {
        try await withServer(.sqlite, configure: { $0.limits.helloTimeout = .milliseconds(300) }) { server in
            let owner = try await server.signup("Owner")
            let silent = TestSocket(server, token: owner.accessToken, label: "silent")
            let error: ErrorMessage = try await silent.next(timeout: .seconds(5)) { if case let .error(e) = $0 { e } else { nil } }
            #expect(error.message.contains("hello"), "\(error)")
            #expect(await silent.waitClosed(timeout: .seconds(5)))
        }
    }

    @Test func aUserHasAtMostTheirShareOfConnections() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxConnectionsPerUser = 3 }) { server in
            let owner = try await server.signup("Owner")
            let other = try await server.signup("Other")
            let session = try await server.createSession(owner)
            try await server.addMember(other, to: session, role: "editor", owner: owner)
            var open: [TestSocket] = []
            for i in 0..<3 { open.append(try await TestSocket.join(server, owner, session: session, label: "\(i)").0) }
            let fourth = TestSocket(server, token: owner.accessToken, label: "fourth")
            fourth.send(.hello(.init(session: session)))
            let refused: ErrorMessage = try await fourth.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(refused.code == .rateLimited, "\(refused)")
            _ = try await TestSocket.join(server, other, session: session)   // another user is not affected
            open[0].close()
            try await Task.sleep(for: .milliseconds(300))
            let again = try await TestSocket.join(server, owner, session: session, label: "again")
            #expect(again.1.session == session, "a closed connection frees its place")
            let hub = server.mesh.hub
            #expect(hub.sendBudget.inUse < 64 << 10, "the refused connection's welcome was given back")
        }
    }
}
