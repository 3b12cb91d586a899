import Foundation
import MeshOT
import MeshProtocol
import Testing
@testable import MeshServer
import MeshTestSupport

/// The WebSocket relay end to end: real server, real database, real sockets on loopback.
@Suite(.timeLimit(.minutes(5))) struct CollaborationTests {
    /// N editors make random concurrent edits (emoji, CRLF, combining marks); afterwards every
    /// editor and the server hold the same text, and the server's revision counts every op.
    @Test(arguments: TestDatabase.allCases)
    func editorsConvergeAfterRandomConcurrentEdits(database: TestDatabase) async throws {
        let scenarios = Int(ProcessInfo.processInfo.environment["MESH_WS_SCENARIOS"] ?? "") ?? 4
        try await withServer(database) { server in
            for scenario in 0..<UInt64(scenarios) {
                let seed = scenario &* 7919 &+ (database == .sqlite ? 1 : 2)
                var rng = SeededRandom(seed: seed)
                let owner = try await server.signup("Owner")
                let session = try await server.createSession(owner)
                var users = [owner]
                let count = Int.random(in: 2...5, using: &rng)
                for i in 1..<count {
                    let user = try await server.signup("Peer\(i)")
                    try await server.addMember(user, to: session, role: "editor", owner: owner)
                    users.append(user)
                }
                var editors: [TestEditor] = []
                for (i, user) in users.enumerated() {
                    let (socket, _) = try await TestSocket.join(server, user, session: session)
                    editors.append(try await TestEditor.open(socket, path: "notes.txt", create: "start\r\nline 😀\n", clientID: "e\(i)"))
                }
                let rounds = Int.random(in: 10...30, using: &rng)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, editor) in editors.enumerated() {
                        let base = seed &* 1000 &+ UInt64(i) &* 100_000
                        group.addTask {
                            var pauses = SeededRandom(seed: base &+ 99_991)
                            for round in 0..<UInt64(rounds) {
                                try await editor.randomEdit(seed: base &+ round)
                                try await Task.sleep(for: .microseconds(Int.random(in: 0...3000, using: &pauses)))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let synced = await eventually {
                    for editor in editors where !(await editor.isSynchronized) { return false }
                    return true
                }
                #expect(synced, "seed \(seed): editors still have unacknowledged ops")
                let documents = try await server.request(.GET, "/v1/sessions/\(session)/documents", token: owner.accessToken)
                let id = try #require(documents.array?.first?["id"] as? String)
                let content = try await server.request(.GET, "/v1/sessions/\(session)/documents/\(id)", token: owner.accessToken)
                let serverText = try #require(content["text"] as? String)
                let converged = await eventually {
                    for editor in editors where await editor.text.description != serverText { return false }
                    return true
                }
                #expect(converged, "seed \(seed): an editor diverged from the server")
                var sent = 0
                for editor in editors { sent += await editor.sent }
                #expect(content["revision"] as? Int == sent, "seed \(seed): every op sent was committed once")
                for editor in editors {
                    let errors = await editor.errors
                    #expect(errors.isEmpty, "seed \(seed): \(errors)")
                    await editor.stop()
                }
            }
        }
    }

    @Test func viewersCannotEditAndRoleChangesApplyLive() async throws {
        try await withServer(.sqlite) { server in
            let owner = try await server.signup("Owner")
            let guest = try await server.signup("Guest")
            let session = try await server.createSession(owner)
            try await server.addMember(guest, to: session, role: "viewer", owner: owner)
            let (ownerSocket, _) = try await TestSocket.join(server, owner, session: session)
            ownerSocket.send(.open(.init(path: "a.txt", create: "hello")))
            _ = try await ownerSocket.next { if case .snapshot = $0 { true } else { nil } }
            let (socket, welcome) = try await TestSocket.join(server, guest, session: session)
            #expect(welcome.user.role == .viewer)
            #expect(welcome.documents == ["a.txt"])
            socket.send(.open(.init(path: "a.txt")))
            let snapshot: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == "hello")
            socket.send(.op(.init(path: "a.txt", baseRev: 0, ops: TextOperation([.retain(5), .insert("!")]), opId: "g:1")))
            let refused: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(refused.code == .forbidden)
            #expect(refused.ref == "g:1")

            let promote = try await server.request(.PATCH, "/v1/sessions/\(session)/members/\(guest.id)", json: ["role": "editor"], token: owner.accessToken)
            #expect(promote.status == 200)
            let change: ServerMessage.RoleChange = try await socket.next { if case let .role(r) = $0 { r } else { nil } }
            #expect(change.role == .editor)
            socket.send(.op(.init(path: "a.txt", baseRev: 0, ops: TextOperation([.retain(5), .insert("!")]), opId: "g:2")))
            let ack: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
            #expect(ack.rev == 1)
            let remote: CommittedOperation = try await ownerSocket.next { if case let .remoteOp(r) = $0 { r.committed } else { nil } }
            #expect(remote.operation == TextOperation([.retain(5), .insert("!")]))
            #expect(remote.author == guest.id)

            let kick = try await server.request(.DELETE, "/v1/sessions/\(session)/members/\(guest.id)", token: owner.accessToken)
            #expect(kick.status == 204)
            let removed: ServerMessage.RoleChange = try await socket.next { if case let .role(r) = $0 { r } else { nil } }
            #expect(removed.role == nil)
            #expect(await socket.waitClosed(), "a removed member's connection closes")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func presenceChatAndAnnotationsFlow(database: TestDatabase) async throws {
        try await withServer(database) { server in
            let owner = try await server.signup("Owner")
            let peer = try await server.signup("Peer")
            let session = try await server.createSession(owner)
            try await server.addMember(peer, to: session, role: "editor", owner: owner)
            let (a, _) = try await TestSocket.join(server, owner, session: session)
            let (b, _) = try await TestSocket.join(server, peer, session: session)
            a.send(.open(.init(path: "m.go", create: "package main\n")))
            _ = try await a.next { if case .snapshot = $0 { true } else { nil } }
            b.send(.open(.init(path: "m.go")))
            _ = try await b.next { if case .snapshot = $0 { true } else { nil } }

            a.send(.presence(.init(path: "m.go", rev: 0, selections: [.cursor(8)])))
            let seen: ServerMessage.Presence = try await b.next { if case let .presence(p) = $0 { p } else { nil } }
            #expect(seen.user == owner.id && seen.name == "Owner" && seen.selections == [.cursor(8)])

            // An edit before the cursor moves the stored presence; a later joiner sees it moved.
            b.send(.op(.init(path: "m.go", baseRev: 0, ops: TextOperation([.insert("// x\n"), .retain(13)]), opId: "b:1")))
            _ = try await b.next { if case .ack = $0 { true } else { nil } }
            let (c, _) = try await TestSocket.join(server, owner, session: session, label: "late")
            c.send(.open(.init(path: "m.go")))
            let late: ServerMessage.Snapshot = try await c.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(late.presence.first { $0.user == owner.id }?.selections == [.cursor(13)])

            a.send(.chat(.init(text: "look at main")))
            let chat: ServerMessage.Chat = try await b.next { if case let .chat(m) = $0 { m } else { nil } }
            #expect(chat.text == "look at main" && chat.name == "Owner")
            let (_, welcome) = try await TestSocket.join(server, peer, session: session, label: "rejoin")
            #expect(welcome.chat.map(\.text) == ["look at main"], "chat history arrives on join")

            a.send(.annotate(.init(path: "m.go", rev: 1, from: 5, to: 17, body: "why main?")))
            let note: ServerMessage.Annotation = try await b.next { if case let .annotation(n) = $0 { n } else { nil } }
            #expect(note.from == 5 && note.to == 17 && note.body == "why main?")
            b.send(.op(.init(path: "m.go", baseRev: 1, ops: TextOperation([.insert("//\n"), .retain(18)]), opId: "b:2")))
            _ = try await b.next { if case .ack = $0 { true } else { nil } }
            b.send(.annotate(.init(path: "m.go", rev: 2, from: 0, to: 0, body: "because", parent: note.id)))
            let reply: ServerMessage.Annotation = try await a.next { if case let .annotation(n) = $0, n.parent != nil { n } else { nil } }
            #expect(reply.parent == note.id)
            b.send(.resolve(.init(id: note.id)))
            let resolved: ServerMessage.Annotation = try await a.next { if case let .annotation(n) = $0, n.resolved { n } else { nil } }
            #expect(resolved.id == note.id)
            #expect(resolved.from == 8 && resolved.to == 20, "the anchor moved with the edit")
            b.send(.deleteAnnotation(.init(id: note.id)))
            let forbidden: ErrorMessage = try await b.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(forbidden.code == .forbidden, "only the author or the owner deletes")
            a.send(.deleteAnnotation(.init(id: note.id)))
            let deleted: ServerMessage.Annotation = try await b.next { if case let .annotation(n) = $0, n.deleted { n } else { nil } }
            #expect(deleted.id == note.id || deleted.parent == note.id)

            // Persisted: a reopened document still has no annotations (deleted with replies)
            // but the chat survives in the store.
            #expect(try await server.store.chat.recent(sessionID: UUID(uuidString: session)!, limit: 10).count == 1)
        }
    }

    @Test func reconnectCatchesUpAndResendIsIdempotent() async throws {
        try await withServer(.sqlite) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (a, _) = try await TestSocket.join(server, owner, session: session)
            a.send(.open(.init(path: "x.txt", create: "")))
            _ = try await a.next { if case .snapshot = $0 { true } else { nil } }
            let op = ClientMessage.Op(path: "x.txt", baseRev: 0, ops: TextOperation([.insert("é")]), opId: "a:1")
            a.send(.op(op))
            let ack: ServerMessage.Ack = try await a.next { if case let .ack(x) = $0 { x } else { nil } }
            #expect(ack.rev == 1)
            a.send(.op(op))
            let again: ServerMessage.Ack = try await a.next { if case let .ack(x) = $0 { x } else { nil } }
            #expect(again == ack, "the resend is acknowledged, not applied twice")
            a.send(.op(.init(path: "x.txt", baseRev: 1, ops: TextOperation([.retain(1), .insert("b")]), opId: "a:2")))
            _ = try await a.next { if case .ack = $0 { true } else { nil } }
            a.close()

            let (b, _) = try await TestSocket.join(server, owner, session: session, label: "reconnected")
            b.send(.open(.init(path: "x.txt", knownRev: 1)))
            let catchUp: ServerMessage.CatchUp = try await b.next { if case let .catchUp(c) = $0 { c } else { nil } }
            #expect(catchUp.rev == 2)
            #expect(catchUp.ops.map(\.revision) == [2])
            #expect(catchUp.ops.first?.opId == "a:2")
            b.send(.open(.init(path: "x.txt", knownRev: 99)))
            let snapshot: ServerMessage.Snapshot = try await b.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == "éb" && snapshot.rev == 2, "an unknown revision gets a snapshot")
            // Attack: revisions no history holds, at both ends of Int.
            for hostile in [-1, Int.min, Int.max] {
                b.send(.open(.init(path: "x.txt", knownRev: hostile)))
                let answer: ServerMessage.Snapshot = try await b.next { if case let .snapshot(s) = $0 { s } else { nil } }
                #expect(answer.text == "éb" && answer.rev == 2, "knownRev \(hostile) gets the snapshot")
            }
            b.send(.op(.init(path: "x.txt", baseRev: 5, ops: TextOperation([.retain(2)]), opId: "b:1")))
            let future: ErrorMessage = try await b.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(future.code == .resync && future.ref == "b:1")
            b.send(.op(.init(path: "x.txt", baseRev: 2, ops: TextOperation([.retain(7)]), opId: "b:2")))
            let mismatch: ErrorMessage = try await b.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(mismatch.code == .resync, "an op that does not fit the text is refused")
        }
    }
}
