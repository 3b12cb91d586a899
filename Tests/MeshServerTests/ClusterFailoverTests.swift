import Foundation
import MeshLoopbackBalancer
import MeshOT
import MeshProtocol
import MeshTestSupport
import NIOConcurrencyHelpers
import Testing

/// Issue 14: `mesh serve` nodes die and restart while editors type. Three real `mesh serve`
/// processes on one PostgreSQL database, behind a loopback balancer (round-robin, no sticky
/// sessions); editors reconnect through it, catch up and resend, as `mesh lsp` does.
@Suite(.timeLimit(.minutes(5)), .serialized) struct ClusterFailoverTests {
    /// The seed of a test's random typing, named in its failures (`MESH_CLUSTER_SEED` replays one).
    static func seed() -> UInt64 { SeededRandom.seed(from: "MESH_CLUSTER_SEED") }

    /// A session with `count` typists, each its own user, connected through the balancer (so
    /// spread over the nodes) to one document; the owner and `others` are members too.
    static func typists(_ count: Int, in cluster: ProcessCluster, others: [String] = [])
        async throws -> (owner: TestUser, session: String, editors: [ReconnectingEditor], others: [TestUser]) {
        let entry = await cluster.node(0)
        let owner = try await entry.signup("Owner")
        let session = try await entry.createSession(owner)
        var members: [TestUser] = []
        for name in others {
            let user = try await entry.signup(name)
            try await entry.addMember(user, to: session, role: "editor", owner: owner)
            members.append(user)
        }
        var editors: [ReconnectingEditor] = []
        for i in 0..<count {
            let user = try await entry.signup("Typist\(i)")
            try await entry.addMember(user, to: session, role: "editor", owner: owner)
            editors.append(try await ReconnectingEditor.open(cluster.balancer, user, session: session, path: "notes.txt",
                                                             create: i == 0 ? "" : nil, clientID: "t\(i)"))
        }
        return (owner, session, editors, members)
    }

    static func sameUser(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }

    /// Waits until every editor is caught up, synchronized and at one revision; returns the texts.
    static func converged(_ editors: [ReconnectingEditor], timeout: Duration = .seconds(60)) async throws -> [String] {
        try await eventually("every editor caught up, synchronized and at one revision", timeout: timeout) {
            for editor in editors where !(await editor.isSynchronized) { return false }
            return Set(await editors.asyncMap { await $0.revision }).count == 1
        }
        return await editors.asyncMap { await $0.text.description }
    }

    /// The tokens of `tokens` that `text` holds other than exactly once.
    static func notOnce(_ tokens: some Sequence<String>, in text: String) -> [String] {
        tokens.filter { ClusterTests.tokens(in: text, $0) != 1 }
    }

    /// `kill -9` of the node (at least) one editor is on, mid-typing: the editors reconnect
    /// through the balancer and keep typing; every token arrives exactly once, everything
    /// acknowledged before the kill is kept, a newcomer on each surviving node reads the same
    /// text, and the dead node's participant leaves the survivors within 10 s.
    @Test func killNineOfANodeMidTypingLosesNoAcknowledgedOp() async throws {
        let seed = Self.seed()
        try await withProcessCluster(3) { cluster in
            let (owner, session, editors, others) = try await Self.typists(4, in: cluster, others: ["Ghost"])
            let ghost = others[0]
            // The node most editors are on (round-robin over 4 connections: one has two).
            let open = cluster.balancer.openConnections
            let busiest = try #require(open.max { $0.value < $1.value }, "the editors' connections: \(open)")
            let victim = try #require(await cluster.index(ofBackend: busiest.key))
            let survivors = (0..<3).filter { $0 != victim }
            let survivor = await cluster.node(survivors[0])

            // A participant on the doomed node with a cursor, watched from a surviving node.
            let (observer, _) = try await TestSocket.join(survivor, owner, session: session, label: "observer")
            observer.send(.open(.init(path: "notes.txt")))
            _ = try await observer.next { if case .snapshot = $0 { true } else { nil } }
            let (ghostSocket, _) = try await TestSocket.join(await cluster.node(victim), ghost, session: session, label: "ghost")
            ghostSocket.send(.open(.init(path: "notes.txt")))
            let ghostView: ServerMessage.Snapshot = try await ghostSocket.next { if case let .snapshot(s) = $0 { s } else { nil } }
            ghostSocket.send(.presence(.init(path: "notes.txt", rev: ghostView.rev, selections: [.init(anchor: 0, head: 0)])))
            _ = try await observer.next(timeout: .seconds(15)) {
                if case let .presence(p) = $0, Self.sameUser(p.user, ghost.id), !p.selections.isEmpty { true } else { nil }
            }

            let tokensEach = 60
            let typing = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, editor) in editors.enumerated() {
                        group.addTask {
                            var rng = SeededRandom(seed: seed &+ UInt64(i) &* 7919)
                            for n in 0..<tokensEach {
                                try await editor.type("<\(i).\(n)>", atEnd: Bool.random(using: &rng))
                                try await Task.sleep(for: .milliseconds(Int.random(in: 10...40, using: &rng)))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await eventually("every editor typed a third of its tokens", timeout: .seconds(30)) {
                for editor in editors where await editor.typed.count < tokensEach / 3 { return false }
                return true
            }
            let acknowledgedBeforeKill = await editors.asyncMap { await $0.acknowledged }
            await cluster.kill9(victim)
            let killedAt = ContinuousClock.now

            // The ghost's cursor leaves the surviving node's view (heartbeats stop; a node
            // silent for 6 s is taken for dead, checked every 2 s).
            var cursorCleared = true
            do {
                _ = try await observer.next(timeout: .seconds(12)) {
                    if case let .presence(p) = $0, Self.sameUser(p.user, ghost.id), p.selections.isEmpty { true } else { nil }
                }
            } catch {
                cursorCleared = false
            }
            let clearedAfter = ContinuousClock.now - killedAt
            #expect(cursorCleared, "the dead node's participant's cursor cleared on a surviving node within 12 s (waited \(clearedAfter))")
            // …and it is no longer listed online there.
            let offline = await eventually(timeout: .seconds(10)) {
                guard let probe = try? await TestSocket.join(survivor, owner, session: session, label: "probe") else { return false }
                probe.0.close()
                if probe.1.online.contains(where: { Self.sameUser($0.user, ghost.id) }) {
                    try? await Task.sleep(for: .milliseconds(200))
                    return false
                }
                return true
            }
            #expect(offline, "the dead node's participant is not listed online on a surviving node 10 s after the kill")

            try await typing.value
            let texts = try await Self.converged(editors)
            #expect(Set(texts).count == 1, "seed \(seed): every editor holds the same text")
            let merged = texts[0]
            var lost: [String] = []
            var wrong: [String] = []
            for (i, editor) in editors.enumerated() {
                wrong += Self.notOnce(await editor.typed, in: merged)
                lost += Self.notOnce(acknowledgedBeforeKill[i], in: merged)
                let errors = await editor.errors
                #expect(errors.isEmpty, "editor \(i): \(errors.prefix(3))")
            }
            #expect(wrong.isEmpty, "seed \(seed): typed tokens not exactly once: \(wrong.prefix(40))")
            #expect(lost.isEmpty, "seed \(seed): acknowledged before the kill, not exactly once after: \(lost.prefix(40))")
            #expect(acknowledgedBeforeKill.map(\.count).reduce(0, +) > 0, "something was acknowledged before the kill")
            let reconnects = await editors.asyncMap { await $0.reconnects }.reduce(0, +)
            #expect(reconnects >= busiest.value, "the \(busiest.value) editors on the killed node reconnected (\(reconnects) reconnects)")

            // A newcomer on each surviving node reads the same text.
            for index in survivors {
                let (late, _) = try await TestSocket.join(await cluster.node(index), owner, session: session, label: "late \(index)")
                late.send(.open(.init(path: "notes.txt")))
                let snapshot: ServerMessage.Snapshot = try await late.next { if case let .snapshot(s) = $0 { s } else { nil } }
                #expect(snapshot.text == merged, "node \(index + 1) serves the merged text")
                late.close()
            }
            for editor in editors { await editor.stop() }
            observer.close()
            ghostSocket.close()
        }
    }

    /// A rolling restart with editors typing: node 1 stops gracefully (SIGTERM) and starts
    /// again, then node 2, then node 3. Their clients reconnect and lose nothing.
    @Test func rollingRestartUnderTypingLosesNothing() async throws {
        let seed = Self.seed()
        try await withProcessCluster(3) { cluster in
            let (owner, session, editors, _) = try await Self.typists(4, in: cluster)
            let stopTyping = NIOLockedValueBox(false)
            let typing = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, editor) in editors.enumerated() {
                        group.addTask {
                            var rng = SeededRandom(seed: seed &+ UInt64(i) &* 7919)
                            var n = 0
                            while !stopTyping.withLockedValue({ $0 }) {
                                try await editor.type("<\(i).\(n)>", atEnd: Bool.random(using: &rng))
                                n += 1
                                try await Task.sleep(for: .milliseconds(Int.random(in: 10...40, using: &rng)))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            var onStoppedNodes = 0
            var acknowledgedBeforeStops: [Set<String>] = editors.map { _ in [] }
            for index in 0..<3 {
                let backend = try #require(await cluster.backend(index))
                onStoppedNodes += cluster.balancer.openConnections[backend] ?? 0
                let acknowledged = await editors.asyncMap { await $0.acknowledged }
                for i in editors.indices { acknowledgedBeforeStops[i].formUnion(acknowledged[i]) }
                let status = await cluster.stop(index)
                #expect(status == 0, "node \(index + 1) stops gracefully")
                try await cluster.restart(index)
                try await cluster.waitUntilFormed()
                try await Task.sleep(for: .milliseconds(500))
            }
            stopTyping.withLockedValue { $0 = true }
            try await typing.value

            let texts = try await Self.converged(editors)
            #expect(Set(texts).count == 1, "seed \(seed): every editor holds the same text")
            let merged = texts[0]
            var wrong: [String] = []
            var lost: [String] = []
            for (i, editor) in editors.enumerated() {
                wrong += Self.notOnce(await editor.typed, in: merged)
                lost += Self.notOnce(acknowledgedBeforeStops[i], in: merged)
                let errors = await editor.errors
                #expect(errors.isEmpty, "editor \(i): \(errors.prefix(3))")
            }
            #expect(wrong.isEmpty, "seed \(seed): typed tokens not exactly once: \(wrong.prefix(40))")
            #expect(lost.isEmpty, "seed \(seed): acknowledged before a stop, not exactly once after: \(lost.prefix(40))")
            let reconnects = await editors.asyncMap { await $0.reconnects }.reduce(0, +)
            #expect(onStoppedNodes > 0, "some editor was on a node when it stopped")
            #expect(reconnects >= onStoppedNodes, "each of the \(onStoppedNodes) connections on a stopping node reconnected (\(reconnects) reconnects)")

            let (late, _) = try await TestSocket.join(await cluster.node(1), owner, session: session, label: "late")
            late.send(.open(.init(path: "notes.txt")))
            let snapshot: ServerMessage.Snapshot = try await late.next { if case let .snapshot(s) = $0 { s } else { nil } }
            #expect(snapshot.text == merged, "a restarted node serves the merged text")
            late.close()
            for editor in editors { await editor.stop() }
        }
    }
}
