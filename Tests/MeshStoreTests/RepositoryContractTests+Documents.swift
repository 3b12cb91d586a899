import Foundation
import MeshOT
import MeshProtocol
@testable import MeshStore
import Testing

/// The contract of documents, their op log and snapshots, and the counts the caps read.
extension RepositoryContractTests {
    /// A session with an owner, for the tests here and in +ChatAndAnnotations.
    func makeSession(_ store: Store, at time: Double = 0) async throws -> SessionRecord {
        let session = SessionRecord(name: "s", ownerID: UUID(), createdAt: at(time))
        try await store.sessions.create(session)
        return session
    }

    /// Ops appending one "x" each to a text of `start` scalars, revisions `start+1 ... start+count`.
    func typing(_ documentID: UUID, from start: Int, count: Int) -> [OpRecord] {
        (0..<count).map { i in
            OpRecord(documentID: documentID, revision: start + i + 1,
                     operation: .replacing((start + i)..<(start + i), with: "x", in: start + i),
                     opId: "op-\(start + i + 1)", authorID: i.isMultiple(of: 2) ? UUID() : nil,
                     createdAt: at(Double(start + i + 1)))
        }
    }

    @Test(arguments: TestBackend.all)
    func documentsHaveUniquePathsPerSession(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let s1 = try await makeSession(store), s2 = try await makeSession(store, at: 1)
            let readme = DocumentRecord(sessionID: s1.id, path: "README.md", size: 5, createdAt: at(1), updatedAt: at(1))
            let main = DocumentRecord(sessionID: s1.id, path: "Sources/main.swift", size: 7, createdAt: at(2), updatedAt: at(2))
            try await store.documents.create(readme, text: "hello")
            try await store.documents.create(main, text: "print()")
            await expectStoreError(.conflict) {
                try await store.documents.create(DocumentRecord(sessionID: s1.id, path: "README.md"), text: "")
            }
            await expectStoreError(.notFound) {
                try await store.documents.create(DocumentRecord(sessionID: UUID(), path: "a"), text: "")
            }
            let other = DocumentRecord(sessionID: s2.id, path: "README.md", size: 100, createdAt: at(3), updatedAt: at(3))
            try await store.documents.create(other, text: String(repeating: "a", count: 100))

            #expect(try await store.documents.find(id: readme.id) == readme)
            #expect(try await store.documents.find(sessionID: s1.id, path: "README.md") == readme)
            #expect(try await store.documents.find(sessionID: s1.id, path: "nope") == nil)
            #expect(try await store.documents.list(sessionID: s1.id) == [readme, main])
            #expect(try await store.documents.totalSize(sessionID: s1.id) == 12)
            #expect(try await store.documents.totalSize(sessionID: UUID()) == 0)
            #expect(try await store.documents.latestSnapshot(documentID: readme.id, atOrBefore: nil)
                == SnapshotRecord(documentID: readme.id, revision: 0, text: "hello"))

            try await store.documents.rename(id: main.id, to: "A.swift")
            #expect(try await store.documents.find(sessionID: s1.id, path: "Sources/main.swift") == nil)
            #expect(try await store.documents.find(sessionID: s1.id, path: "A.swift")?.id == main.id)
            #expect(try await store.documents.list(sessionID: s1.id).map(\.path) == ["A.swift", "README.md"])
            await expectStoreError(.conflict) { try await store.documents.rename(id: main.id, to: "README.md") }
            await expectStoreError(.notFound) { try await store.documents.rename(id: UUID(), to: "B.swift") }

            try await store.documents.delete(id: readme.id)
            #expect(try await store.documents.find(id: readme.id) == nil)
            #expect(try await store.documents.latestSnapshot(documentID: readme.id, atOrBefore: nil) == nil)
            #expect(try await store.documents.totalSize(sessionID: s1.id) == 7)
            #expect(try await store.documents.find(id: other.id) == other)
        }
    }

    @Test(arguments: TestBackend.all)
    func opsAppendInBatchesAndConflictingBatchesRollBack(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store)
            let doc = DocumentRecord(sessionID: session.id, path: "a.txt", createdAt: at(0), updatedAt: at(0))
            try await store.documents.create(doc, text: "")
            let first = typing(doc.id, from: 0, count: 3)
            try await store.documents.append(first, documentID: doc.id, size: 3)
            try await store.documents.append([], documentID: doc.id, size: 3)

            let stored = try #require(try await store.documents.find(id: doc.id))
            #expect(stored.revision == 3 && stored.size == 3 && stored.updatedAt == at(3))
            #expect(try await store.documents.operations(documentID: doc.id, after: 0) == first)
            #expect(try await store.documents.operations(documentID: doc.id, after: 1) == Array(first[1...]))
            #expect(try await store.documents.operations(documentID: doc.id, after: 3) == [])
            // Bounded by the stored text (a catch-up from the op log): the longest run from the
            // first op within the budget, counted by the database.
            let lengths = first.map { WireCodec.jsonText($0.operation).count }
            let bounded = { (budget: Int, after: Int) in try await store.documents.operations(documentID: doc.id, after: after, upToBytes: budget) }
            #expect(try await bounded(lengths[0] + lengths[1], 0) == Array(first[..<2]))
            #expect(try await bounded(lengths[0] + lengths[1] - 1, 0) == [first[0]])
            #expect(try await bounded(0, 0) == [])
            #expect(try await bounded(-1, 0) == [])
            #expect(try await bounded(1 << 20, 1) == Array(first[1...]))

            // A batch whose last op repeats revision 3 fails after 550 inserted rows (two INSERTs): all undone.
            let batch = typing(doc.id, from: 3, count: 550) + [typing(doc.id, from: 2, count: 1)[0]]
            await expectStoreError(.conflict) { try await store.documents.append(batch, documentID: doc.id, size: 553) }
            #expect(try await store.documents.operations(documentID: doc.id, after: 3) == [])
            #expect(try await store.documents.find(id: doc.id)?.revision == 3)

            // Two nodes committing revision 4 at once: exactly one wins.
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            try await store.documents.append(typing(doc.id, from: 3, count: 1), documentID: doc.id, size: 4)
                            return true
                        } catch { return false }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)

            let long = typing(doc.id, from: 4, count: 600)
            try await store.documents.append(long, documentID: doc.id, size: 604)
            #expect(try await store.documents.operations(documentID: doc.id, after: 4) == long)
            #expect(try await store.documents.find(id: doc.id)?.revision == 604)
            await expectStoreError(.notFound) {
                try await store.documents.append(typing(UUID(), from: 0, count: 1), documentID: UUID(), size: 1)
            }

            try await store.documents.delete(id: doc.id)
            #expect(try await store.documents.operations(documentID: doc.id, after: 0) == [])
        }
    }

    /// Many documents appending at once (grouped into shared statements by `OpAppendBatcher`):
    /// every append commits, and a stale or orphaned append among them fails alone with its own
    /// error.
    @Test(arguments: TestBackend.all)
    func concurrentAppendsToManyDocumentsCommitAndBadOnesFailAlone(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store)
            var docs: [DocumentRecord] = []
            for i in 0..<20 {
                let doc = DocumentRecord(sessionID: session.id, path: "f\(i).txt", createdAt: at(0), updatedAt: at(0))
                try await store.documents.create(doc, text: "")
                docs.append(doc)
            }
            let documents = docs
            for round in 0..<5 {
                let outcomes = await withTaskGroup(of: (String, AppendOutcome).self) { group in
                    func attempt(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
                        group.addTask {
                            do { try await body(); return (name, .committed) } catch let error as StoreError {
                                return (name, .refused(error.kind))
                            } catch { return (name, .otherError("\(error)")) }
                        }
                    }
                    for (i, doc) in documents.enumerated() {
                        attempt("doc \(i)") {
                            try await store.documents.append(typing(doc.id, from: round * 3, count: 3),
                                                             documentID: doc.id, size: round * 3 + 3)
                        }
                    }
                    if round > 0 {
                        attempt("stale") {
                            try await store.documents.append(typing(documents[0].id, from: 0, count: 1),
                                                             documentID: documents[0].id, size: 1)
                        }
                    }
                    attempt("orphan") {
                        try await store.documents.append(typing(UUID(), from: 0, count: 1), documentID: UUID(), size: 1)
                    }
                    return await group.reduce(into: [String: AppendOutcome]()) { $0[$1.0] = $1.1 }
                }
                for i in documents.indices { #expect(outcomes["doc \(i)"] == .committed, "round \(round): doc \(i)") }
                if round > 0 { #expect(outcomes["stale"] == .refused(.conflict), "round \(round)") }
                #expect(outcomes["orphan"] == .refused(.notFound), "round \(round)")
            }
            for doc in documents {
                let stored = try #require(try await store.documents.find(id: doc.id))
                #expect(stored.revision == 15 && stored.size == 15 && stored.updatedAt == at(15), "\(stored)")
                let ops = try await store.documents.operations(documentID: doc.id, after: 0)
                #expect(ops.map(\.revision) == Array(1...15))
                #expect(ops.map(\.operation) == typing(doc.id, from: 0, count: 15).map(\.operation))
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func latestSnapshotIsTheNewestAtOrBeforeARevision(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store)
            let doc = DocumentRecord(sessionID: session.id, path: "a.txt", createdAt: at(0), updatedAt: at(0))
            try await store.documents.create(doc, text: "v0")
            try await store.documents.saveSnapshot(SnapshotRecord(documentID: doc.id, revision: 10, text: "v10"))
            try await store.documents.saveSnapshot(SnapshotRecord(documentID: doc.id, revision: 5, text: "v5"))
            func latest(_ revision: Int?) async throws -> String? {
                try await store.documents.latestSnapshot(documentID: doc.id, atOrBefore: revision)?.text
            }
            #expect(try await latest(nil) == "v10")
            #expect(try await latest(100) == "v10")
            #expect(try await latest(10) == "v10")
            #expect(try await latest(7) == "v5")
            #expect(try await latest(5) == "v5")
            #expect(try await latest(4) == "v0")
            #expect(try await store.documents.latestSnapshot(documentID: doc.id, atOrBefore: 7)?.revision == 5)
            try await store.documents.saveSnapshot(SnapshotRecord(documentID: doc.id, revision: 5, text: "v5 again"))
            #expect(try await latest(5) == "v5 again")
            #expect(try await store.documents.latestSnapshot(documentID: UUID(), atOrBefore: nil) == nil)
        }
    }

    /// Compaction cuts the log at a snapshot, never moves back, and a stale writer cannot put a
    /// compacted revision back (it would be applied to a text that no longer has it).
    @Test(arguments: TestBackend.all)
    func compactionCutsTheLogAtASnapshotAndRefusesCompactedRevisions(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store)
            let doc = DocumentRecord(sessionID: session.id, path: "a.txt", createdAt: at(0), updatedAt: at(0))
            let other = DocumentRecord(sessionID: session.id, path: "b.txt", createdAt: at(0), updatedAt: at(0))
            try await store.documents.create(doc, text: "")
            try await store.documents.create(other, text: "")
            #expect(try await store.documents.compact(documentID: doc.id, through: 0) == 0, "nothing before revision 0")
            try await store.documents.append(typing(doc.id, from: 0, count: 20), documentID: doc.id, size: 20)
            for revision in [5, 10, 15] {
                try await store.documents.saveSnapshot(
                    SnapshotRecord(documentID: doc.id, revision: revision, text: String(repeating: "x", count: revision)))
            }
            func revisions() async throws -> [Int] {
                try await store.documents.operations(documentID: doc.id, after: 0).map(\.revision)
            }

            // Cut at the newest snapshot at or before 12: revision 10.
            #expect(try await store.documents.compact(documentID: doc.id, through: 12) == 10)
            #expect(try await revisions() == Array(11...20))
            #expect(try await store.documents.latestSnapshot(documentID: doc.id, atOrBefore: 9) == nil)
            #expect(try await store.documents.latestSnapshot(documentID: doc.id, atOrBefore: 12)?.revision == 10)
            #expect(try await store.documents.latestSnapshot(documentID: doc.id, atOrBefore: nil)?.revision == 15)

            // A stale writer: compacted revisions are refused like taken ones, alone and in a batch.
            await expectStoreError(.conflict) {
                try await store.documents.append(typing(doc.id, from: 2, count: 1), documentID: doc.id, size: 3)
            }
            await expectStoreError(.conflict) {
                try await store.documents.append(typing(doc.id, from: 9, count: 1), documentID: doc.id, size: 10)
            }
            await expectStoreError(.conflict) {
                try await store.documents.append(typing(doc.id, from: 7, count: 600), documentID: doc.id, size: 607)
            }
            #expect(try await revisions() == Array(11...20), "a refused append leaves nothing behind")
            #expect(try await store.documents.find(id: doc.id)?.revision == 20)
            // Appends of two documents at once: the stale one fails alone.
            let outcomes = await withTaskGroup(of: (String, AppendOutcome).self) { group in
                for (name, id, from) in [("stale", doc.id, 4), ("fresh", other.id, 0)] {
                    group.addTask {
                        do {
                            try await store.documents.append(typing(id, from: from, count: 1), documentID: id, size: from + 1)
                            return (name, .committed)
                        } catch let error as StoreError { return (name, .refused(error.kind)) } catch {
                            return (name, .otherError("\(error)"))
                        }
                    }
                }
                return await group.reduce(into: [String: AppendOutcome]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes == ["stale": .refused(.conflict), "fresh": .committed])
            try await store.documents.append(typing(doc.id, from: 20, count: 1), documentID: doc.id, size: 21)

            // A cut never moves back; a later one moves to the newest snapshot it allows.
            #expect(try await store.documents.compact(documentID: doc.id, through: 8) == 10)
            #expect(try await revisions() == Array(11...21))
            #expect(try await store.documents.compact(documentID: doc.id, through: 100) == 15)
            #expect(try await revisions() == Array(16...21))
            #expect(try await store.documents.latestSnapshot(documentID: doc.id, atOrBefore: nil)?.revision == 15)
            #expect(try await store.documents.compact(documentID: UUID(), through: 100) == 0)

            #expect(try await store.documents.delete(id: doc.id) == 21, "delete answers the size the document had")
            #expect(try await store.documents.delete(id: doc.id) == nil)
        }
    }

    /// The counts the server's caps read: sessions a user owns (members do not count), documents
    /// of a session. The owner cap holds against parallel creations.
    @Test(arguments: TestBackend.all)
    func ownedSessionsAndDocumentsAreCountedAndTheOwnerCapHoldsInParallel(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let owner = UUID(), other = UUID()
            for i in 0..<3 {
                #expect(try await store.sessions.create(SessionRecord(name: "s\(i)", ownerID: owner, createdAt: at(Double(i))), maxOwned: 3))
            }
            #expect(try await !store.sessions.create(SessionRecord(name: "s3", ownerID: owner), maxOwned: 3))
            #expect(try await store.sessions.ownedCount(ownerID: owner) == 3)
            let theirs = SessionRecord(name: "theirs", ownerID: other)
            #expect(try await store.sessions.create(theirs, maxOwned: 3), "another owner has a count of their own")
            try await store.sessions.addMember(MemberRecord(sessionID: theirs.id, userID: owner, role: .editor))
            #expect(try await store.sessions.ownedCount(ownerID: owner) == 3, "a membership is not an owned session")
            #expect(try await store.sessions.ownedCount(ownerID: UUID()) == 0)

            let racer = UUID()
            let created = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        (try? await store.sessions.create(SessionRecord(name: "r\(i)", ownerID: racer), maxOwned: 5)) ?? false
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(created == 5, "parallel creations cannot pass the cap")
            #expect(try await store.sessions.ownedCount(ownerID: racer) == 5)

            let session = try await makeSession(store)
            #expect(try await store.documents.count(sessionID: session.id) == 0)
            let a = DocumentRecord(sessionID: session.id, path: "a")
            try await store.documents.create(a, text: "")
            try await store.documents.create(DocumentRecord(sessionID: session.id, path: "b"), text: "")
            #expect(try await store.documents.count(sessionID: session.id) == 2)
            #expect(try await store.documents.count(sessionID: theirs.id) == 0)
            try await store.documents.delete(id: a.id)
            #expect(try await store.documents.count(sessionID: session.id) == 1)
        }
    }
}

/// How one append of a concurrent batch ended.
enum AppendOutcome: Equatable, Sendable {
    case committed
    case refused(StoreErrorKind)
    case otherError(String)
}
