import Foundation
import MeshOT
@testable import MeshStore
import NIOConcurrencyHelpers
import NIOPosix
import SQLiteNIO
import Testing

/// SQLite's direct append path (`SQLiteDirectAppender`): taken when the database is idle and the
/// batch small; when another writer holds the database the append must neither fail nor write
/// around it, but wait on the pool path and then commit.
@Suite struct SQLiteAppendTests {
    @Test func appendsGoDirectWhenIdleAndWaitForAnotherWriter() async throws {
        try await TestBackend.sqlite.withDatabase { backend in
            guard case let .sqlite(path) = backend else { Issue.record("not a file database"); return }
            let store = try await Store.open(backend, logger: TestBackend.logger)
            let appender = try #require((store.database as? SerializedSQLiteDatabase)?.appender)
            let session = SessionRecord(name: "s", ownerID: UUID())
            try await store.sessions.create(session)
            let document = DocumentRecord(sessionID: session.id, path: "a.txt")
            try await store.documents.create(document, text: "")
            var length = 0
            func op(_ revision: Int, inserting text: String = "x", opId: String? = nil) -> OpRecord {
                defer { length += text.unicodeScalars.count }
                return OpRecord(documentID: document.id, revision: revision,
                                operation: .replacing(length..<length, with: text, in: length),
                                opId: opId ?? "op-\(revision)", authorID: nil)
            }

            // Idle: the direct path.
            let first = op(1, opId: "Ω:1 \"quoted\" 😀")
            try await store.documents.append([first], documentID: document.id, size: 1)
            #expect(appender.inserts == 1)
            let stored = try await store.documents.operations(documentID: document.id, after: 0)
            #expect(stored.map(\.opId) == [first.opId])
            #expect(stored.map(\.operation) == [first.operation])
            #expect(stored.map(\.createdAt.timeIntervalSince1970) == [first.createdAt.timeIntervalSince1970])

            // An empty string binds as one (the store takes what the server refuses).
            let empty = op(2, opId: "")
            try await store.documents.append([empty], documentID: document.id, size: length)
            #expect(appender.inserts == 2)
            #expect(try await store.documents.operations(documentID: document.id, after: 1).map(\.opId) == [""])

            // A paste larger than the direct path takes goes through the pool.
            let paste = op(3, inserting: String(repeating: "p", count: SQLiteDirectAppender.maxBytes + 1))
            try await store.documents.append([paste], documentID: document.id, size: length)
            #expect(appender.inserts == 2)

            // Another process's write transaction, as a second connection on its own thread
            // (the pool path's wait for the lock holds a thread of the shared pool).
            let threads = NIOThreadPool(numberOfThreads: 1)
            threads.start()
            let other = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threads,
                                                        logger: TestBackend.logger, on: MultiThreadedEventLoopGroup.singleton.any())
            _ = try await other.query("BEGIN IMMEDIATE")
            let done = NIOLockedValueBox(false)
            let third = op(4), size = length, documentID = document.id
            let append = Task {
                try await store.documents.append([third], documentID: documentID, size: size)
                done.withLockedValue { $0 = true }
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!done.withLockedValue { $0 }, "the append finished while another writer held the database")
            _ = try await other.query("COMMIT")
            try await append.value
            try await other.close()
            try await threads.shutdownGracefully()
            #expect(appender.inserts == 2, "the direct path wrote while the database was busy")

            #expect(try await store.documents.operations(documentID: document.id, after: 0).map(\.revision) == [1, 2, 3, 4])
            #expect(try await store.documents.find(id: document.id)?.revision == 4)
            // Constraint errors on the direct path map as on the pool path.
            await expectStoreError(.conflict) { try await store.documents.append([op(4)], documentID: document.id, size: 1) }
            await expectStoreError(.notFound) {
                try await store.documents.append([OpRecord(documentID: UUID(), revision: 1, operation: .replacing(0..<0, with: "x", in: 0),
                                                           opId: nil, authorID: nil)], documentID: UUID(), size: 1)
            }
            #expect(appender.inserts == 2)
            try await store.shutdown()
        }
    }
}
