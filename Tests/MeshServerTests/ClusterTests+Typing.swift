import Foundation
import MeshTestSupport
import Testing
@testable import MeshServer

/// What the several-node typing tests share: a session with one editor per node in turn, seeded
/// concurrent typing of unique tokens, and the check users care about (every token once, the
/// same text everywhere, no error).
extension ClusterTests {
    /// The owner and `count - 1` editors of one new session, editor i connected to node
    /// i mod `nodes.count`, each with `path` open (the owner creates it).
    static func editors(_ count: Int, on nodes: [TestServer], path: String, label: String)
        async throws -> (owner: TestUser, session: String, editors: [TestEditor]) {
        let owner = try await nodes[0].signup("Owner")
        let session = try await nodes[0].createSession(owner)
        var users = [owner]
        for i in 1..<count {
            let user = try await nodes[0].signup("Peer\(i)")
            try await nodes[0].addMember(user, to: session, role: "editor", owner: owner)
            users.append(user)
        }
        var editors: [TestEditor] = []
        for (i, user) in users.enumerated() {
            let (socket, _) = try await TestSocket.join(nodes[i % nodes.count], user, session: session, label: "\(label)\(i)")
            editors.append(try await TestEditor.open(socket, path: path, create: i == 0 ? "start\n" : nil, clientID: "\(label)\(i)"))
        }
        return (owner, session, editors)
    }

    /// Every editor types `<i.round>` for `rounds` rounds at once, each at either end (never
    /// inside another token, which would split it; ties at one position between nodes are the
    /// hard case), pausing a seeded number of microseconds in `pause` between tokens.
    static func typeTokens(_ editors: [TestEditor], rounds: Int, seed: UInt64, pause: ClosedRange<Int>) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, editor) in editors.enumerated() {
                group.addTask {
                    var rng = SeededRandom(seed: seed &+ UInt64(i) &* 7919)
                    for round in 0..<rounds {
                        try await editor.type("<\(i).\(round)>", atEnd: Bool.random(using: &rng))
                        try await Task.sleep(for: .microseconds(Int.random(in: pause, using: &rng)))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Waits until every editor is acknowledged and at one revision, then checks that they hold
    /// one text with every token of ``typeTokens(_:rounds:seed:pause:)`` exactly once and that no
    /// editor got an error. Returns that text.
    @discardableResult
    static func expectEveryTokenOnce(_ editors: [TestEditor], rounds: Int, seed: UInt64) async throws -> String {
        try await eventually("every editor acknowledged and at one revision (seed \(seed))", timeout: .seconds(30)) {
            for editor in editors where !(await editor.isSynchronized) { return false }
            return Set(await editors.asyncMap { await $0.revision }).count == 1
        }
        let texts = await editors.asyncMap { await $0.text.description }
        #expect(Set(texts).count == 1, "every editor holds the same text (seed \(seed))")
        let tokens = (0..<editors.count).flatMap { i in (0..<rounds).map { "<\(i).\($0)>" } }
        let wrong = tokens.filter { Self.tokens(in: texts[0], $0) != 1 }
        let revision = await editors[0].revision
        let sent = await editors.asyncMap { await $0.sent }
        #expect(wrong.isEmpty, "missing or doubled (seed \(seed)): \(wrong.prefix(80)); revision \(revision); sent \(sent)")
        for editor in editors {
            let errors = await editor.errors
            #expect(errors.isEmpty, "no resync (seed \(seed)): \(errors.prefix(3))")
        }
        return texts[0]
    }
}
