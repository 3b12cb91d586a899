import Foundation
import MeshOT
import MeshProtocol
import MeshTestSupport
import Testing
@testable import MeshServer

extension ClusterTests {
    /// One writer per shared document: three editors, one per node, type at once. Once they
    /// have lost a commit to another node, the two nodes that are not the document's writer hand their
    /// clients' ops to it instead of racing it for revisions; every token is still there once,
    /// every editor is acknowledged, and the writer took in what the others handed it.
    @Test func aSharedDocumentIsCommittedThroughItsWriterNode() async throws {
        let seed = SeededRandom.seed(from: "MESH_CLUSTER_SEED")
        try await Self.withNodes(3) { nodes in
            let (_, _, editors) = try await Self.editors(3, on: nodes, path: "shared.txt", label: "w")
            try await Self.typeTokens(editors, rounds: 40, seed: seed, pause: 0...500)
            try await Self.expectEveryTokenOnce(editors, rounds: 40, seed: seed)
            var forwarded = 0.0, taken = 0.0
            for node in nodes {
                forwarded += try await node.metric("mesh_ops_forwarded_total")
                taken += try await node.metric("mesh_ops_forwarded_in_total")
            }
            // The ops sent through the two nodes that are not the writer are at least all but the
            // largest node's share; only those sent before their node lost a commit to another
            // node (its first op or two: typing is composed while an op is in flight, so each
            // editor sends only a few) are committed where they were typed.
            let sent = await editors.asyncMap { await $0.sent }
            let throughOthers = Double(sent.reduce(0, +) - sent.max()!)
            let committedWhereTyped = 2.0 * Double(nodes.count - 1)
            #expect(forwarded >= max(1, throughOthers - committedWhereTyped),
                    "ops handed to the writer: \(forwarded) of sent \(sent) (seed \(seed))")
            #expect(taken == forwarded, "the writer took in every forward (seed \(seed))")
            for editor in editors { await editor.stop() }
        }
    }
}
