import Foundation
import MeshOT
import MeshProtocol
import MeshTestSupport
import Testing
@testable import MeshServer

/// Issue 14: several `mesh serve` nodes on one PostgreSQL database. Before, each node's document
/// actor took itself for the only authority: 40 ops typed through node 1 reached 0 clients of
/// node 2. Every test here runs real servers on one real PostgreSQL database.
@Suite(.timeLimit(.minutes(5)), .serialized) struct ClusterTests {
    /// Starts `count` nodes on one fresh PostgreSQL database and runs `body`, always stopping them.
    static func withNodes(_ count: Int, _ body: ([TestServer]) async throws -> Void) async throws {
        let backend = try await TestDatabase.postgres.makeBackend()
        var nodes: [TestServer] = []
        do {
            for _ in 0..<count { nodes.append(try await TestServer.start(backend: backend)) }
            // Each node hears the others (their heartbeats) before the test starts.
            try await eventually("cluster condition", timeout: .seconds(20)) {
                for node in nodes where node.mesh.hub.cluster?.liveNodes.count != count - 1 { return false }
                return true
            }
            try await body(nodes)
        } catch {
            for node in nodes { await node.stop() }
            throw error
        }
        for node in nodes { await node.stop() }
    }

    static func tokens(in text: String, _ token: String) -> Int { text.components(separatedBy: token).count - 1 }

    @Test func opsTypedThroughOneNodeReachClientsOfTheOther() async throws {
        try await Self.withNodes(2) { nodes in
            let ada = try await nodes[0].signup("Ada")
            let bob = try await nodes[0].signup("Bob")
            let session = try await nodes[0].createSession(ada)
            try await nodes[0].addMember(bob, to: session, role: "editor", owner: ada)
            let (adaSocket, _) = try await TestSocket.join(nodes[0], ada, session: session, label: "ada")
            let adaEditor = try await TestEditor.open(adaSocket, path: "main.go", create: "package main\n", clientID: "ada")
            let (bobSocket, _) = try await TestSocket.join(nodes[1], bob, session: session, label: "bob")
            let bobEditor = try await TestEditor.open(bobSocket, path: "main.go", clientID: "bob")
            for i in 0..<40 {
                try await adaEditor.type("<a\(i)>", atEnd: true)
                try await eventually("cluster condition", timeout: .seconds(10)) { await adaEditor.isSynchronized }
            }
            try await eventually("cluster condition", timeout: .seconds(15)) { await bobEditor.revision == 40 }
            let text = await bobEditor.text.description
            for i in 0..<40 { #expect(Self.tokens(in: text, "<a\(i)>") == 1, "<a\(i)> once on node 2") }
            #expect(text == (await adaEditor.text.description))
            #expect(await bobEditor.errors.isEmpty)
            await adaEditor.stop()
            await bobEditor.stop()
        }
    }

    /// Editors spread over three nodes type at once into one document: every node's commits
    /// race for the same revisions. Every token arrives exactly once, everywhere.
    @Test func concurrentEditorsOnThreeNodesConvergeWithEveryTokenOnce() async throws {
        let seed = SeededRandom.seed(from: "MESH_CLUSTER_SEED")
        try await Self.withNodes(3) { nodes in
            let (owner, session, editors) = try await Self.editors(6, on: nodes, path: "notes.txt", label: "e")
            try await Self.typeTokens(editors, rounds: 30, seed: seed, pause: 0...2000)
            let text = try await Self.expectEveryTokenOnce(editors, rounds: 30, seed: seed)
            // A newcomer on any node reads the same text from the log.
            let (late, _) = try await TestSocket.join(nodes[2], owner, session: session, label: "late")
            late.send(.open(.init(path: "notes.txt")))
            let snapshot: ServerMessage.Snapshot = try await late.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == text, "seed \(seed)")
            for editor in editors { await editor.stop() }
            late.close()
        }
    }

    /// Presence, chat, who is here and role changes cross nodes too.
    @Test func presenceChatMembersAndRolesReachOtherNodes() async throws {
        try await Self.withNodes(2) { nodes in
            let ada = try await nodes[0].signup("Ada")
            let bob = try await nodes[0].signup("Bob")
            let session = try await nodes[0].createSession(ada)
            try await nodes[0].addMember(bob, to: session, role: "editor", owner: ada)
            let (adaSocket, _) = try await TestSocket.join(nodes[0], ada, session: session, label: "ada")
            adaSocket.send(.open(.init(path: "a.txt", create: "hello world\n")))
            _ = try await adaSocket.next { if case .snapshot = $0 { true } else { nil } }
            try await eventually("cluster condition", timeout: .seconds(10)) {
                await nodes[1].mesh.hub.participants(UUID(uuidString: session)!).contains { $0.user == ada.id }
            }
            let (bobSocket, welcome) = try await TestSocket.join(nodes[1], bob, session: session, label: "bob")
            #expect(welcome.online.contains { $0.user == ada.id }, "Ada (node 1) is listed online on node 2")
            bobSocket.send(.open(.init(path: "a.txt")))
            _ = try await bobSocket.next { if case .snapshot = $0 { true } else { nil } }

            adaSocket.send(.presence(.init(path: "a.txt", rev: 0, selections: [.init(anchor: 6, head: 11)])))
            let seen: ServerMessage.Presence = try await bobSocket.next {
                if case let .presence(p) = $0, p.user == ada.id, !p.selections.isEmpty { p } else { nil }
            }
            #expect(seen.selections == [.init(anchor: 6, head: 11)])

            adaSocket.send(.chat(.init(text: "hi from node 1")))
            let chat: ServerMessage.Chat = try await bobSocket.next { if case let .chat(c) = $0 { c } else { nil } }
            #expect(chat.text == "hi from node 1" && chat.user == ada.id)

            // Ada leaves the document: her cursor goes on node 2.
            adaSocket.send(.close(.init(path: "a.txt")))
            _ = try await bobSocket.next { if case let .presence(p) = $0, p.user == ada.id, p.selections.isEmpty { true } else { nil } }

            // The owner, through node 1, makes Bob a viewer: Bob's socket on node 2 hears it at once.
            let change = try await nodes[0].request(.PATCH, "/v1/sessions/\(session)/members/\(bob.id)", json: ["role": "viewer"],
                                                    token: ada.accessToken)
            #expect(change.status == 200, "\(change.text)")
            let role: ServerMessage.RoleChange = try await bobSocket.next { if case let .role(r) = $0 { r } else { nil } }
            #expect(role.role == .viewer)
            bobSocket.send(.op(.init(path: "a.txt", baseRev: 0, ops: TextOperation([.insert("x"), .retain(12)]), opId: "bob:1")))
            let refused: ErrorMessage = try await bobSocket.next { if case let .error(e) = $0 { e } else { nil } }
            #expect(refused.code == .forbidden)

            // Bob signs out through node 1: his socket on node 2 closes too.
            let logout = try await nodes[0].request(.POST, "/v1/auth/logout", json: ["refreshToken": bob.refreshToken])
            #expect(logout.status == 204, "\(logout.text)")
            #expect(await bobSocket.waitClosed(timeout: .seconds(10)), "a sign-out on node 1 closes the socket on node 2")
            adaSocket.close()
            bobSocket.close()
        }
    }
}

extension ClusterTests {
    /// Events are best effort; membership is caught up from the table. A role change written to
    /// the database with no event (as if the event were lost) reaches the socket on the other
    /// node within a few seconds, and a viewer's edit is then refused.
    @Test func aRoleChangeWhoseEventIsLostIsCaughtUpFromTheTable() async throws {
        try await Self.withNodes(2) { nodes in
            let ada = try await nodes[0].signup("Ada")
            let bob = try await nodes[0].signup("Bob")
            let session = try await nodes[0].createSession(ada)
            try await nodes[0].addMember(bob, to: session, role: "editor", owner: ada)
            let (bobSocket, _) = try await TestSocket.join(nodes[1], bob, session: session, label: "bob")
            try await nodes[0].store.sessions.setRole(sessionID: UUID(uuidString: session)!, userID: UUID(uuidString: bob.id)!,
                                                      role: .viewer)
            let role: ServerMessage.RoleChange = try await bobSocket.next(timeout: .seconds(10)) {
                if case let .role(r) = $0 { r } else { nil }
            }
            #expect(role.role == .viewer)
            bobSocket.close()
        }
    }
}

extension Array where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var result: [T] = []
        for element in self { result.append(await transform(element)) }
        return result
    }
}
