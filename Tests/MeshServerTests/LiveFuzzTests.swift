import Foundation
import MeshOT
import MeshProtocol
import Testing
@testable import MeshServer
import MeshTestSupport

/// A live server fed hostile frames (issue 11) from an editor, a viewer and the owner at once,
/// reconnecting whenever the server cuts them off, while two honest clients edit and follow
/// one document. The server must stay up and answer, and the honest clients must converge
/// with no token they typed doubled (the fuzzing editors may delete some: they can edit). `MESH_FUZZ_LIVE_FRAMES` sets the count (100,000),
/// `MESH_FUZZ_SEED` the seed.
@Suite(.timeLimit(.minutes(15))) struct LiveFuzzTests {
    @Test func hostileFramesStopNeitherTheServerNorHonestClients() async throws {
        let total = Int(ProcessInfo.processInfo.environment["MESH_FUZZ_LIVE_FRAMES"] ?? "") ?? 100_000
        let seed = UInt64(ProcessInfo.processInfo.environment["MESH_FUZZ_SEED"] ?? "") ?? 11
        try await withServer(.sqlite, configure: {
            $0.limits.messagesPerSecond = 1_000_000   // the rate limit would cut the fuzzers off early
            $0.limits.messageBurst = 1_000_000
        }) { server in
            let owner = try await server.signup("Owner")
            let editor = try await server.signup("FuzzEditor")
            let viewer = try await server.signup("FuzzViewer")
            let ada = try await server.signup("Ada")
            let bob = try await server.signup("Bob")
            let session = try await server.createSession(owner)
            for (user, role) in [(editor, "editor"), (viewer, "viewer"), (ada, "editor"), (bob, "editor")] {
                try await server.addMember(user, to: session, role: role, owner: owner)
            }
            let (setup, _) = try await TestSocket.join(server, owner, session: session)
            for path in ["a.txt", "dir/b.go"] {
                setup.send(.open(.init(path: path, create: "package main\n")))
                _ = try await setup.next { if case .snapshot = $0 { true } else { nil } }
            }
            setup.close()

            // Hostile: three roles, each its share of the frames, in rounds of one connection.
            let fuzzers = [owner, editor, viewer]
            let hostile = Task {
                await withTaskGroup(of: Int.self) { group in
                    for (index, user) in fuzzers.enumerated() {
                        group.addTask {
                            var frames = HostileFrames(seed: seed &+ UInt64(index), paths: ["a.txt", "dir/b.go", "new.txt", "../x"])
                            var sent = 0
                            while sent < total / fuzzers.count {
                                guard let (socket, _) = try? await TestSocket.join(server, user, session: session, label: "fuzz\(index)") else { continue }
                                socket.sendRaw(#"{"type":"open","path":"a.txt"}"#)
                                for _ in 0..<1_000 { socket.sendRaw(frames.next()) }
                                sent += 1_001
                                // Wait for the server to get through the round (or to cut it off).
                                socket.send(.ping(.init(id: "end")))
                                _ = try? await socket.next(timeout: .seconds(60)) { if case let .pong(p) = $0, p.id == "end" { true } else { nil } }
                                socket.close()
                            }
                            return sent
                        }
                    }
                    return await group.reduce(0, +)
                }
            }

            // Honest: Ada types 150 unique tokens through a real OT client; Bob follows.
            let (adas, welcome) = try await TestSocket.join(server, ada, session: session, label: "ada")
            #expect(welcome.documents.contains("a.txt"))
            let (bobs, _) = try await TestSocket.join(server, bob, session: session, label: "bob")
            adas.send(.open(.init(path: "a.txt")))
            bobs.send(.open(.init(path: "a.txt")))
            var honest = try await HonestClient.open(adas, clientID: "ada")
            var follower = try await HonestClient.open(bobs, clientID: "bob")
            var tokens: [String] = []
            for i in 0..<150 {
                let token = "<ada\(i)>"
                tokens.append(token)
                try await honest.insertAtStart(token)
                try await honest.pump(until: { $0.isSynchronized }, timeout: .seconds(60))
            }
            let sent = await hostile.value
            #expect(sent >= total, "sent \(sent) hostile frames")

            // Still up: /health answers and a fresh client gets the document.
            let health = try await server.request(.GET, "/health")
            #expect(health.status == 200, "\(health.text)")
            let final = try await server.request(.GET, "/v1/sessions/\(session)/documents", token: ada.accessToken)
            let id = try #require(final.array?.first { ($0["path"] as? String) == "a.txt" }?["id"] as? String)
            let text = try #require(try await server.request(.GET, "/v1/sessions/\(session)/documents/\(id)", token: ada.accessToken)["text"] as? String)
            try await honest.pump(until: { $0.text.description == text }, timeout: .seconds(30))
            try await follower.pump(until: { $0.text.description == text }, timeout: .seconds(30))
            // The fuzzing owner and editor may delete Ada's text with valid ops (they are allowed
            // to edit); what they can never do is make a token appear twice.
            let doubled = tokens.filter { text.components(separatedBy: $0).count > 2 }
            #expect(doubled.isEmpty, "tokens doubled: \(doubled)")
            let kept = tokens.filter { text.contains($0) }.count
            print("live fuzz: \(sent) hostile frames (seed \(seed)); Ada, Bob and the server agree; none of Ada's 150 tokens doubled, \(kept) not deleted by the fuzzers")
        }
    }
}

/// A real OT client over a test socket: the one honest party a fuzz run checks.
struct HonestClient {
    let socket: TestSocket
    var client: OTClient
    var text: TextBuffer
    var isSynchronized: Bool { client.state == .synchronized }

    static func open(_ socket: TestSocket, clientID: String) async throws -> HonestClient {
        let snapshot: ServerMessage.Snapshot = try await socket.next(timeout: .seconds(30)) { if case let .snapshot(s) = $0, s.path == "a.txt" { s } else { nil } }
        return HonestClient(socket: socket, client: OTClient(revision: snapshot.rev, clientID: clientID), text: TextBuffer(snapshot.text))
    }

    mutating func insertAtStart(_ token: String) async throws {
        let operation = TextOperation.replacing(0..<0, with: token, in: text.count)
        try operation.apply(to: &text)
        if let out = try client.applyLocal(operation) { send(out) }
    }

    /// Handles server messages until `done` holds.
    mutating func pump(until done: (HonestClient) -> Bool, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !done(self) {
            guard ContinuousClock.now < deadline else { throw TestSetupError("honest client timed out") }
            switch try await socket.next(timeout: deadline - .now) {
            case let .ack(ack) where ack.path == "a.txt":
                if let next = try client.receiveAck(opId: ack.opId, revision: ack.rev) { send(next) }
            case let .remoteOp(remote) where remote.path == "a.txt":
                let local = try client.receiveRemote(remote.committed.operation, revision: remote.committed.revision)
                try local.apply(to: &text)
            default: break
            }
        }
    }

    private func send(_ out: OutgoingOperation) {
        socket.send(.op(.init(path: "a.txt", baseRev: out.baseRevision, ops: out.operation, opId: out.opId)))
    }
}
