import Foundation
import MeshOT
import MeshProtocol
import MeshTestSupport
import Testing
@testable import MeshServer

extension ClusterTests {
    /// One writer per shared document: three editors, one per node, type at once. Once the
    /// nodes see each other's ops, the two nodes that are not the document's writer hand their
    /// clients' ops to it instead of racing it for revisions; every token is still there once,
    /// every editor is acknowledged, and the writer took in what the others handed it.
    @Test func aSharedDocumentIsCommittedThroughItsWriterNode() async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["MESH_CLUSTER_SEED"] ?? "") ?? UInt64.random(in: 0..<1_000_000)
        try await Self.withNodes(3) { nodes in
            let owner = try await nodes[0].signup("Owner")
            let session = try await nodes[0].createSession(owner)
            var users = [owner]
            for i in 1..<3 {
                let user = try await nodes[0].signup("Peer\(i)")
                try await nodes[0].addMember(user, to: session, role: "editor", owner: owner)
                users.append(user)
            }
            var editors: [TestEditor] = []
            for (i, user) in users.enumerated() {
                let (socket, _) = try await TestSocket.join(nodes[i], user, session: session, label: "w\(i)")
                editors.append(try await TestEditor.open(socket, path: "shared.txt", create: i == 0 ? "start\n" : nil, clientID: "w\(i)"))
            }
            let rounds = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, editor) in editors.enumerated() {
                    group.addTask {
                        var rng = SeededRandom(seed: seed &+ UInt64(i) &* 104_729)
                        for round in 0..<rounds {
                            try await editor.type("<\(i).\(round)>", atEnd: Bool.random(using: &rng))
                            try await Task.sleep(for: .microseconds(Int.random(in: 0...500, using: &rng)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await eventually("every editor acknowledged and at one revision", timeout: .seconds(30)) {
                for editor in editors where !(await editor.isSynchronized) { return false }
                return Set(await editors.asyncMap { await $0.revision }).count == 1
            }
            let texts = await editors.asyncMap { await $0.text.description }
            #expect(Set(texts).count == 1, "seed \(seed)")
            for i in 0..<editors.count {
                for round in 0..<rounds {
                    #expect(Self.tokens(in: texts[0], "<\(i).\(round)>") == 1, "<\(i).\(round)> exactly once (seed \(seed))")
                }
            }
            for editor in editors { #expect(await editor.errors.isEmpty, "seed \(seed)") }
            var forwarded = 0.0, taken = 0.0
            for node in nodes {
                forwarded += try await node.metric("mesh_ops_forwarded_total")
                taken += try await node.metric("mesh_ops_forwarded_in_total")
            }
            // The ops sent through the two nodes that are not the writer are at least all but the
            // largest node's share; only those sent before their node saw another node's op are
            // committed where they were typed.
            let sent = await editors.asyncMap { await $0.sent }
            let throughOthers = Double(sent.reduce(0, +) - sent.max()!)
            #expect(forwarded >= throughOthers / 2, "ops handed to the writer: \(forwarded) of sent \(sent) (seed \(seed))")
            #expect(taken == forwarded, "the writer took in every forward (seed \(seed))")
            for editor in editors { await editor.stop() }
        }
    }
}
