import Foundation
import MeshOT
import MeshStore
import MeshTestSupport
import Testing
@testable import MeshServer

/// The notification that hands clients' ops to a shared document's writer node (``OpForward``)
/// and the choice of that node (``ClusterLink/writer(of:among:)``).
struct OpForwardTests {
    private static func op(_ i: Int, insert: String = "x") -> OpForward.Op {
        .init(operation: TextOperation.replacing(0..<0, with: insert, in: i), baseRevision: i, opId: "c:\(i)",
              author: UUID().uuidString)
    }

    @Test func opsTravelInOrderAndComeBackEqual() throws {
        let forward = OpForward(to: UUID(), from: UUID(), document: UUID(),
                                ops: (0..<5).map { Self.op($0, insert: "é\"\\\n\u{1F600}") })
        let payloads = try #require(forward.payloads)
        #expect(payloads.count == 1)
        #expect(payloads[0].hasPrefix(OpForward.prefix(for: forward.to)))
        #expect(OpForward(payload: payloads[0]) == forward)
    }

    @Test func manyOpsAreSplitOverNotificationsUnderTheLimit() throws {
        let forward = OpForward(to: UUID(), from: UUID(), document: UUID(),
                                ops: (0..<200).map { Self.op($0, insert: String(repeating: "a", count: 100)) })
        let payloads = try #require(forward.payloads)
        #expect(payloads.count > 1)
        for payload in payloads { #expect(payload.utf8.count <= Store.maxNotificationBytes) }
        let back = payloads.compactMap(OpForward.init(payload:))
        #expect(back.count == payloads.count)
        #expect(back.flatMap(\.ops) == forward.ops)
    }

    @Test func anOpTooLargeForANotificationIsNotForwarded() {
        let forward = OpForward(to: UUID(), from: UUID(), document: UUID(),
                                ops: [Self.op(0), Self.op(1, insert: String(repeating: "b", count: 8_000))])
        #expect(forward.payloads == nil)
        var anonymous = Self.op(0)
        anonymous.author = nil
        #expect(OpForward(to: UUID(), from: UUID(), document: UUID(), ops: [anonymous]).payloads == nil)
    }

    /// Malformed forwards are dropped, never trapped on: the sender commits its ops itself.
    @Test func malformedForwardsAreRefused() throws {
        let (to, from, document) = (UUID(), UUID(), UUID())
        let head = "f \(to) \(from) \(document) "
        let author = UUID().uuidString
        for rest in ["", "[]", "{}", "[[1]]", "[[-1,[1],\"a\",\"\(author)\"]]", "[[0,[0],\"a\",\"\(author)\"]]",
                     "[[0,[\"\"],\"a\",\"\(author)\"]]", "[[0,[1],\"\",\"\(author)\"]]", "[[0,[1],\"a\\u0000\",\"\(author)\"]]",
                     "[[0,[1],\"a\",\"nobody\"]]", "[[1e400,[1],\"a\",\"\(author)\"]]", "[[0,[1],\"\(String(repeating: "o", count: 129))\",\"\(author)\"]]",
                     "[[0,[1],\"a\",\"\(author)\"]", "[[0,[9223372036854775807,\"x\"],\"a\",\"\(author)\"]]"] {
            #expect(OpForward(payload: head + rest) == nil, "\(rest)")
        }
        #expect(OpForward(payload: "f \(to) \(from) [[0,[\"x\"],\"a\",\"\(author)\"]]") == nil)
        #expect(OpForward(payload: "f x y z [[0,[\"x\"],\"a\",\"\(author)\"]]") == nil)
        #expect(OpForward(payload: head + "[[0,[\"x\"],\"a\",\"\(author)\"]]") != nil)
    }

    /// Random bytes and random cuts of a valid forward: never a trap, and a cut one is refused
    /// or still reads as ops (a cut inside the ops array cannot parse).
    @Test func randomPayloadsNeverTrap() throws {
        let seed = UInt64.random(in: 0..<1_000_000)
        var rng = SeededRandom(seed: seed)
        let valid = try #require(OpForward(to: UUID(), from: UUID(), document: UUID(), ops: (0..<20).map { Self.op($0) }).payloads?.first)
        let bytes = Array(valid.utf8)
        for _ in 0..<2_000 {
            var mutated = bytes
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: mutated = Array(mutated.prefix(Int.random(in: 0..<mutated.count, using: &rng)))
            case 1:
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    mutated[Int.random(in: 0..<mutated.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            default: mutated = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            if let forward = OpForward(payload: String(decoding: mutated, as: UTF8.self)) {
                #expect(!forward.ops.isEmpty, "seed \(seed)")
            }
        }
    }

    @Test func everyNodeNamesTheSameWriterAndADeathMovesOnlyItsDocuments() throws {
        let nodes = (0..<3).map { _ in UUID() }
        let documents = (0..<3_000).map { _ in UUID() }
        var counts: [UUID: Int] = [:]
        for document in documents {
            let writer = try #require(ClusterLink.writer(of: document, among: nodes))
            #expect(ClusterLink.writer(of: document, among: nodes.reversed()) == writer)
            counts[writer, default: 0] += 1
            // The last node dies: only its documents get another writer.
            let after = ClusterLink.writer(of: document, among: Array(nodes.prefix(2)))
            if writer != nodes[2] { #expect(after == writer) }
        }
        // Spread over the nodes (each expects 1,000; 800 is far outside chance).
        for node in nodes { #expect(counts[node, default: 0] > 800, "\(counts)") }
        #expect(ClusterLink.writer(of: UUID(), among: []) == nil)
    }
}
