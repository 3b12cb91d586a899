import Foundation
import MeshOT
@testable import MeshStore
import Synchronization
import Testing

/// The append trigger's notification on a real PostgreSQL: it names the node that wrote and
/// carries the ops when they fit, so that other nodes take them in without a query.
@Suite(.serialized)
struct OpsNoticeTests {
    private func appendAndHear(_ store: Store, _ ops: [OpRecord], document: UUID, size: Int) async throws -> [String] {
        let heard = Mutex<[String]>([])
        let listening = AsyncStream<Void>.makeStream()
        let listener = Task {
            try await store.listen(logger: TestBackend.logger, onListening: { listening.continuation.yield() },
                                   onNotification: { payload in heard.withLock { $0.append(payload) } })
        }
        defer { listener.cancel() }
        for await _ in listening.stream { break }
        try await store.documents.append(ops, documentID: document, size: size)
        // Delivered in commit order: once the marker is heard, the append's notification (if
        // any) was heard before it.
        let marker = "marker \(UUID())"
        try await store.notify(marker)
        let deadline = ContinuousClock.now + .seconds(10)
        while !heard.withLock({ $0.contains(marker) }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(heard.withLock { $0.contains(marker) })
        return heard.withLock { $0 }.filter { $0 != marker }
    }

    @Test func smallOpsTravelInTheNotificationWithTheWritersNode() async throws {
        try await TestBackend.postgres.withStore { store in
            let session = SessionRecord(name: "s", ownerID: UUID())
            try await store.sessions.create(session)
            let document = DocumentRecord(sessionID: session.id, path: "a.go")
            try await store.documents.create(document, text: "")
            try await store.markAlive(node: UUID())   // another node, so that appends notify
            let author = UUID()
            let texts = ["x", "é\"\\\n", "x"]
            let lengths = [0, 1, 5]
            var ops: [OpRecord] = []
            for i in 0..<3 {
                let operation = TextOperation.replacing(i..<i, with: texts[i], in: lengths[i])
                ops.append(OpRecord(documentID: document.id, revision: i + 1, operation: operation,
                                    opId: i == 0 ? nil : "c:\(i)", authorID: i == 0 ? nil : author,
                                    createdAt: Date(timeIntervalSince1970: 1_000 + Double(i))))
            }
            let payloads = try await appendAndHear(store, ops, document: document.id, size: 6)
            let notices = payloads.compactMap(OpsNotice.init(payload:))
            #expect(notices.count == 1)
            let notice = try #require(notices.first)
            #expect(notice.node == store.node)
            #expect(OpsNotice.isWritten(try #require(payloads.first), by: store.node))
            #expect(!OpsNotice.isWritten(try #require(payloads.first), by: UUID()))
            #expect(notice.document == document.id && notice.revision == 3)
            #expect(notice.ops == ops)
        }
    }

    @Test func opsTooLargeForANotificationAreAnnouncedByRevisionOnly() async throws {
        try await TestBackend.postgres.withStore { store in
            let session = SessionRecord(name: "s", ownerID: UUID())
            try await store.sessions.create(session)
            let document = DocumentRecord(sessionID: session.id, path: "big.txt")
            try await store.documents.create(document, text: "")
            try await store.markAlive(node: UUID())
            let big = String(repeating: "y", count: 9_000)
            let op = OpRecord(documentID: document.id, revision: 1, operation: .replacing(0..<0, with: big, in: 0),
                              opId: "c:1", authorID: UUID())
            let payloads = try await appendAndHear(store, [op], document: document.id, size: big.utf8.count)
            let notice = try #require(payloads.compactMap(OpsNotice.init(payload:)).first)
            #expect(OpsNotice.isWritten(try #require(payloads.first), by: store.node))
            #expect(notice.node == store.node && notice.revision == 1 && notice.ops == nil)
        }
    }

    /// A node alone (no other node marked alive in the last 10 s; its own mark does not count)
    /// pays no NOTIFY for its appends.
    @Test func appendsNotifyOnlyWhileAnotherNodeIsAlive() async throws {
        try await TestBackend.postgres.withStore { store in
            let session = SessionRecord(name: "s", ownerID: UUID())
            try await store.sessions.create(session)
            let document = DocumentRecord(sessionID: session.id, path: "a.go")
            try await store.documents.create(document, text: "")
            try await store.markAlive(node: store.node)
            func op(_ revision: Int) -> OpRecord {
                OpRecord(documentID: document.id, revision: revision,
                         operation: .replacing((revision - 1)..<(revision - 1), with: "x", in: revision - 1), opId: "c:\(revision)", authorID: nil)
            }
            #expect(try await appendAndHear(store, [op(1)], document: document.id, size: 1).isEmpty)
            let other = UUID()
            try await store.markAlive(node: other)
            #expect(try await appendAndHear(store, [op(2)], document: document.id, size: 2).count == 1)
            try await store.database.raw("UPDATE cluster_nodes SET seen_at = seen_at - 11 WHERE node = \(bind: other.uuidString)").run()
            #expect(try await appendAndHear(store, [op(3)], document: document.id, size: 3).isEmpty)
        }
    }

    /// What the decoder refuses (it reads what the database sends, but stays total).
    @Test func malformedPayloadsAreRefused() {
        let document = UUID().uuidString, node = UUID().uuidString
        for payload in [
            "", "o", "o \(document)", "o \(document) -1", "o nope 3", "o \(document) 3 \(node) extra",
            "p \(node) \(document)", "p \(node) \(document) []", "p \(node) \(document) {}",
            "p \(node) \(document) [[1, [1], null, null]]", "p \(node) \(document) [[0, [\"a\"], null, null, 1]]",
            "p \(node) \(document) [[1, [\"a\"], null, null, 1], [3, [\"b\"], null, null, 1]]",
            "p \(node) \(document) [[1, [0], null, null, 1]]", "p \(node) nope [[1, [\"a\"], null, null, 1]]",
            "p \(node) \(document) [[1, [\"a\"], null, null, 1]", "e {}", "d \(node)",
        ] {
            #expect(OpsNotice(payload: payload) == nil, "\(payload)")
        }
        #expect(OpsNotice(payload: "o \(document) 7")?.node == nil)
        #expect(OpsNotice(payload: "o \(document) 7 \(node)")?.node == UUID(uuidString: node))
        let carried = OpsNotice(payload: "p \(node) \(document) [[4, [3, \"a\", -1], \"c:1\", null, 1.5]]")
        #expect(carried?.revision == 4 && carried?.ops?.first?.opId == "c:1" && carried?.ops?.first?.authorID == nil)
    }
}
