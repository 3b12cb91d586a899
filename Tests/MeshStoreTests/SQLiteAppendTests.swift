import Foundation
import MeshOT
@testable import MeshStore
import NIOConcurrencyHelpers
import NIOPosix
import SQLiteNIO
import Testing

/// SQLite's direct append path (`SQLiteDirectAppender`): when another writer holds the database
/// it must neither fail nor write around it, but wait on the pool path and then commit.
@Suite struct SQLiteAppendTests {
    @Test func anAppendWaitsForAnotherWriterThenCommits() async throws {
        try await TestBackend.sqlite.withDatabase { backend in
            guard case let .sqlite(path) = backend else { Issue.record("not a file database"); return }
            let store = try await Store.open(backend, logger: TestBackend.logger)
            let session = SessionRecord(name: "s", ownerID: UUID())
            try await store.sessions.create(session)
            let document = DocumentRecord(sessionID: session.id, path: "a.txt")
            try await store.documents.create(document, text: "")
            func op(_ revision: Int) -> OpRecord {
                OpRecord(documentID: document.id, revision: revision,
                         operation: .replacing((revision - 1)..<(revision - 1), with: "x", in: revision - 1),
                         opId: "op-\(revision)", authorID: nil)
            }
            try await store.documents.append([op(1)], documentID: document.id, size: 1)

            // Another process's write transaction, as a second connection.
            let other = try await SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton,
                                                        logger: TestBackend.logger, on: MultiThreadedEventLoopGroup.singleton.any())
            _ = try await other.query("BEGIN IMMEDIATE")
            let done = NIOLockedValueBox(false)
            let append = Task {
                try await store.documents.append([op(2)], documentID: document.id, size: 2)
                done.withLockedValue { $0 = true }
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!done.withLockedValue { $0 }, "the append went around another writer's lock")
            _ = try await other.query("COMMIT")
            try await append.value
            try await other.close()

            #expect(try await store.documents.operations(documentID: document.id, after: 0).map(\.revision) == [1, 2])
            #expect(try await store.documents.find(id: document.id)?.revision == 2)
            // A taken revision is still a conflict on the direct path.
            await #expect(throws: StoreError.self) { try await store.documents.append([op(2)], documentID: document.id, size: 2) }
            try await store.shutdown()
        }
    }
}
