import Foundation
import MeshOT
@testable import MeshStore
import Synchronization
import Testing

/// The append trigger's notification on a real PostgreSQL: it names the node that wrote and
/// carries the ops when they fit, so that other nodes take them in without a query.
@Suite(.serialized)
struct OpsNoticeTests {
    private func appendAndHear(_ store: Store, _ ops: [OpRecord], document: UUID, size: Int) async throws -> [OpsNotice] {
        let heard = Mutex<[String]>([])
        let listening = AsyncStream<Void>.makeStream()
        let listener = Task {
            try await store.listen(logger: TestBackend.logger, onListening: { listening.continuation.yield() },
                                   onNotification: { payload in heard.withLock { $0.append(payload) } })
        }
        defer { listener.cancel() }
        for await _ in listening.stream { break }
        try await store.documents.append(ops, documentID: document, size: size)
        let deadline = ContinuousClock.now + .seconds(10)
        while heard.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        return heard.withLock { $0 }.compactMap(OpsNotice.init(payload:))
    }

    @Test func smallOpsTravelInTheNotificationWithTheWritersNode() async throws {
        try await TestBackend.postgres.withStore { store in
            let session = SessionRecord(name: "s", ownerID: UUID())
            try await store.sessions.create(session)
            let document = DocumentRecord(sessionID: session.id, path: "a.go")
            try await store.documents.create(document, text: "")
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
            let notices = try await appendAndHear(store, ops, document: document.id, size: 6)
            #expect(notices.count == 1)
            let notice = try #require(notices.first)
            #expect(notice.node == store.node)
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
            let big = String(repeating: "y", count: 9_000)
            let op = OpRecord(documentID: document.id, revision: 1, operation: .replacing(0..<0, with: big, in: 0),
                              opId: "c:1", authorID: UUID())
            let notices = try await appendAndHear(store, [op], document: document.id, size: big.utf8.count)
            let notice = try #require(notices.first)
            #expect(notice.node == store.node && notice.revision == 1 && notice.ops == nil)
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
