import Foundation
import MeshOT
import MeshProtocol
import MeshStore
import Testing
@testable import MeshServer

/// Issue "storage bounded": what one user can make the server store is bounded — a session's
/// bytes on every op, the sessions a user owns, the documents of a session, chat and
/// annotations — and the op log is compacted behind snapshots without breaking catch-up or a
/// restart.
@Suite(.timeLimit(.minutes(5))) struct StorageLimitTests {
    @Test func aUserCannotGrowASessionPastItsTotalOneOpAtATime() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxDocumentBytes = 100; $0.limits.maxSessionBytes = 150 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.open(.init(path: "a.txt", create: String(repeating: "a", count: 100))))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }
            socket.send(.open(.init(path: "b.txt", create: "")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }

            // 40 bytes fit (140 of 150); 20 more would not, though b.txt stays far below its own limit.
            socket.send(.op(.init(path: "b.txt", baseRev: 0, ops: .replacing(0..<0, with: String(repeating: "b", count: 40), in: 0), opId: "b:1")))
            let first: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
            #expect(first.rev == 1 && first.path == "b.txt")
            let grow = ClientMessage.Op(path: "b.txt", baseRev: 1, ops: .replacing(40..<40, with: String(repeating: "c", count: 20), in: 40), opId: "b:2")
            socket.send(.op(grow))
            let refused: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(refused.code == .tooLarge && refused.ref == "b:2" && refused.path == "b.txt", "\(refused)")
            let full = try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": "c.txt", "text": String(repeating: "c", count: 11)],
                                            token: owner.accessToken)
            #expect(full.status == 413 && full["code"] as? String == "too_large", "REST creation counts the same total")

            // A delete always passes, and makes room: the refused op, sent again, now fits.
            socket.send(.op(.init(path: "a.txt", baseRev: 0, ops: .replacing(0..<50, with: "", in: 100), opId: "a:1")))
            let shrunk: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
            #expect(shrunk.rev == 1 && shrunk.path == "a.txt")
            socket.send(.op(grow))
            let grown: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
            #expect(grown.rev == 2 && grown.opId == "b:2")

            socket.send(.open(.init(path: "b.txt")))
            let b: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(b.text == String(repeating: "b", count: 40) + String(repeating: "c", count: 20), "the refused op was not applied")
            let stored = try await server.store.documents.totalSize(sessionID: try #require(UUID(uuidString: session)))
            #expect(stored == 110)
        }
    }

    @Test func aUserCannotOwnMoreSessionsThanTheCap() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxSessionsPerUser = 2 }) { server in
            let owner = try await server.signup("Owner")
            let guest = try await server.signup("Guest")
            let first = try await server.createSession(owner)
            _ = try await server.createSession(owner, name: "second")
            let third = try await server.request(.POST, "/v1/sessions", json: ["name": "third"], token: owner.accessToken)
            #expect(third.status == 413 && third["code"] as? String == "too_large", "\(third.text)")

            // Membership is not ownership: the guest still creates their own.
            try await server.addMember(guest, to: first, role: "editor", owner: owner)
            _ = try await server.createSession(guest)
            _ = try await server.createSession(guest, name: "second")

            // Parallel requests cannot pass the cap either.
            let racer = try await server.signup("Racer")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<6 {
                    group.addTask { try await server.request(.POST, "/v1/sessions", json: ["name": "r\(i)"], token: racer.accessToken).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [201, 201, 413, 413, 413, 413])

            #expect(try await server.request(.DELETE, "/v1/sessions/\(first)", token: owner.accessToken).status == 204)
            _ = try await server.createSession(owner, name: "after a deletion")
        }
    }

    @Test func aSessionCannotCollectUnboundedDocuments() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxDocumentsPerSession = 2 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            func create(_ path: String) async throws -> JSONResponse {
                try await server.request(.POST, "/v1/sessions/\(session)/documents", json: ["path": path, "text": ""], token: owner.accessToken)
            }
            let a = try await create("a.txt")
            #expect(a.status == 201)
            #expect(try await create("b.txt").status == 201)
            let third = try await create("c.txt")
            #expect(third.status == 413 && third["code"] as? String == "too_large", "\(third.text)")
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.open(.init(path: "d.txt", create: "")))
            let refused: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(refused.code == .tooLarge && refused.path == "d.txt", "\(refused)")

            // A deletion frees a place.
            let id = try #require(a["id"] as? String)
            #expect(try await server.request(.DELETE, "/v1/sessions/\(session)/documents/\(id)", token: owner.accessToken).status == 204)
            socket.send(.open(.init(path: "d.txt", create: "")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }

            // Parallel creations cannot pass the cap.
            let other = try await server.createSession(owner, name: "other")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        try await server.request(.POST, "/v1/sessions/\(other)/documents", json: ["path": "f\(i)", "text": ""],
                                                 token: owner.accessToken).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [201, 201, 413, 413, 413, 413])
        }
    }

    @Test func aChatFloodKeepsOnlyTheNewestMessages() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxChatMessagesPerSession = 3 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            for i in 1...5 {
                socket.send(.chat(.init(text: "m\(i)")))
                let echo: ServerMessage.Chat = try await socket.next { if case let .chat(c) = $0 { c } else { nil } }
                #expect(echo.text == "m\(i)")
            }
            // Messages are handled in order: the pong comes after the last trim.
            socket.send(.ping(.init(id: "after")))
            _ = try await socket.next { if case .pong = $0 { true } else { nil } }
            let stored = try await server.store.chat.recent(sessionID: try #require(UUID(uuidString: session)), limit: 100)
            #expect(stored.map(\.text) == ["m3", "m4", "m5"])
            let (_, welcome) = try await TestSocket.join(server, owner, session: session, label: "later")
            #expect(welcome.chat.map(\.text) == ["m3", "m4", "m5"])
        }
    }

    @Test func aDocumentCannotCollectUnboundedAnnotations() async throws {
        try await withServer(.sqlite, configure: { $0.limits.maxAnnotationsPerDocument = 2 }) { server in
            let owner = try await server.signup("Owner")
            let session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.open(.init(path: "a.txt", create: "hello world")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }
            socket.send(.annotate(.init(path: "a.txt", rev: 0, from: 0, to: 5, body: "one")))
            let one: ServerMessage.Annotation = try await socket.next { if case let .annotation(a) = $0 { a } else { nil } }
            socket.send(.annotate(.init(path: "a.txt", rev: 0, from: 6, to: 11, body: "reply", parent: one.id)))
            _ = try await socket.next { if case .annotation = $0 { true } else { nil } }

            for (body, parent) in [("three", nil), ("another reply", one.id)] as [(String, String?)] {
                socket.send(.annotate(.init(path: "a.txt", rev: 0, from: 0, to: 1, body: body, parent: parent)))
                let refused: ErrorMessage = try await socket.next { if case let .error(e) = $0 { e } else { nil } }
                #expect(refused.code == .tooLarge && refused.path == "a.txt", "\(body): \(refused)")
            }
            let sessionUUID = try #require(UUID(uuidString: session))
            let document = try #require(try await server.store.documents.find(sessionID: sessionUUID, path: "a.txt"))
            #expect(try await server.store.annotations.list(documentID: document.id).count == 2)

            // Deleting one (its reply goes with it) frees places.
            socket.send(.deleteAnnotation(.init(id: one.id)))
            _ = try await socket.next { if case let .annotation(a) = $0, a.deleted, a.id == one.id { true } else { nil } }
            socket.send(.annotate(.init(path: "a.txt", rev: 0, from: 0, to: 1, body: "fits again")))
            let again: ServerMessage.Annotation = try await socket.next { if case let .annotation(a) = $0, !a.deleted { a } else { nil } }
            #expect(again.body == "fits again")
        }
    }

    /// Compaction deletes old ops and snapshots; a client far behind gets a snapshot, a recent
    /// one its catch-up (from the history, or from the op log when it is behind the history),
    /// and a restarted server loads the document from what is left.
    @Test func endlessEditingIsCompactedWithoutBreakingCatchUpOrARestart() async throws {
        let backend = try await TestDatabase.sqlite.makeBackend()
        let configure: (inout ServerConfiguration) -> Void = {
            $0.limits.historyLimit = 4
            $0.limits.snapshotInterval = 5
            $0.limits.opRetention = 1   // clamped to historyLimit: 4
        }
        let letters = Array("abcdefghijklmnopqrstuvwxyz").map(String.init)
        let expected = letters[0..<22].joined()
        var server = try await TestServer.start(backend: backend, configure: configure)
        let owner: TestUser, session: String, documentID: UUID
        do {
            owner = try await server.signup("Owner")
            session = try await server.createSession(owner)
            let (socket, _) = try await TestSocket.join(server, owner, session: session)
            socket.send(.open(.init(path: "log.txt", create: "")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }
            for i in 0..<22 {
                socket.send(.op(.init(path: "log.txt", baseRev: i, ops: .replacing(i..<i, with: letters[i], in: i), opId: "w:\(i)")))
                let ack: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
                #expect(ack.rev == i + 1)
            }
            // Opening waits for the commit in flight, snapshot and compaction included.
            socket.send(.open(.init(path: "log.txt")))
            _ = try await socket.next { if case .snapshot = $0 { true } else { nil } }
            let sessionUUID = try #require(UUID(uuidString: session))
            documentID = try #require(try await server.store.documents.find(sessionID: sessionUUID, path: "log.txt")).id

            // Snapshots at 5, 10, 15, 20; the last compaction (head 20) cut at 15, the newest
            // snapshot at least 4 ops behind.
            let ops = try await server.store.documents.operations(documentID: documentID, after: 0)
            #expect(ops.map(\.revision) == Array(16...22))
            #expect(try await server.store.documents.latestSnapshot(documentID: documentID, atOrBefore: 14) == nil)
            #expect(try await server.store.documents.latestSnapshot(documentID: documentID, atOrBefore: nil)?.revision == 20)

            let (late, _) = try await TestSocket.join(server, owner, session: session, label: "late")
            late.send(.open(.init(path: "log.txt", knownRev: 2)))
            let snapshot: ServerMessage.Snapshot = try await late.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.rev == 22 && snapshot.text == expected, "a client behind the retained ops gets a snapshot")
            late.send(.open(.init(path: "log.txt", knownRev: 19)))
            let catchUp: ServerMessage.CatchUp = try await late.next { if case let .catchUp(c) = $0 { c } else { nil } }
            #expect(catchUp.rev == 22 && catchUp.ops.map(\.revision) == [20, 21, 22] && catchUp.ops.first?.opId == "w:19")
            // Behind the history (it holds 19…22) but not the op log (17…22): caught up from the
            // log, so that what the client typed meanwhile is rebased, not dropped with a snapshot.
            late.send(.open(.init(path: "log.txt", knownRev: 16)))
            let fromLog: ServerMessage.CatchUp = try await late.next { if case let .catchUp(c) = $0 { c } else { nil } }
            #expect(fromLog.rev == 22 && fromLog.ops.map(\.revision) == Array(17...22) && fromLog.ops.first?.opId == "w:16")
            // Attack: opening again and again with that old revision, to make the server read the
            // op log on every message. The connection's log catch-ups run out; then snapshots.
            let (spammer, _) = try await TestSocket.join(server, owner, session: session, label: "spammer")
            for _ in 0..<ClientConnection.maxLogCatchUps {
                spammer.send(.open(.init(path: "log.txt", knownRev: 16)))
                _ = try await spammer.next { if case let .catchUp(c) = $0, c.ops.first?.revision == 17 { true } else { nil } }
            }
            spammer.send(.open(.init(path: "log.txt", knownRev: 16)))
            let spent: ServerMessage.Snapshot = try await spammer.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(spent.rev == 22 && spent.text == expected, "the log was read for more than \(ClientConnection.maxLogCatchUps) opens")
            spammer.close()
            socket.close()
            late.close()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()

        server = try await TestServer.start(backend: backend, configure: configure)
        do {
            let (socket, _) = try await TestSocket.join(server, owner, session: session, label: "after restart")
            socket.send(.open(.init(path: "log.txt", knownRev: 19)))
            let catchUp: ServerMessage.CatchUp = try await socket.next { if case let .catchUp(c) = $0 { c } else { nil } }
            #expect(catchUp.rev == 22 && catchUp.ops.map(\.revision) == [20, 21, 22], "the reload kept its history")
            socket.send(.open(.init(path: "log.txt")))
            let snapshot: ServerMessage.Snapshot = try await socket.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.rev == 22 && snapshot.text == expected, "the reload rebuilt the text from what compaction left")
            socket.send(.op(.init(path: "log.txt", baseRev: 22, ops: .replacing(22..<22, with: "!", in: 22), opId: "w:22")))
            let ack: ServerMessage.Ack = try await socket.next { if case let .ack(a) = $0 { a } else { nil } }
            #expect(ack.rev == 23)
            let content = try await server.request(.GET, "/v1/sessions/\(session)/documents/\(documentID.uuidString)", token: owner.accessToken)
            #expect(content["text"] as? String == expected + "!")
            socket.close()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
