import Foundation
import MeshOT
@testable import MeshStore
import Testing

/// The contract of chat and annotations, and of a session's deletion reaching all it holds.
extension RepositoryContractTests {
    @Test(arguments: TestBackend.all)
    func chatIsTrimmedToTheNewestMessages(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store), other = try await makeSession(store, at: 1)
            let author = UUID()
            let messages = (1...6).map { ChatMessageRecord(sessionID: session.id, authorID: author, text: "m\($0)", createdAt: at(Double($0 / 2))) }
            for message in messages { try await store.chat.insert(message) }
            try await store.chat.insert(ChatMessageRecord(sessionID: other.id, authorID: author, text: "stay", createdAt: at(0)))

            try await store.chat.trim(sessionID: session.id, keeping: 10)
            #expect(try await store.chat.recent(sessionID: session.id, limit: 10) == messages)
            // m2 and m3 share a timestamp: insertion order decides, as in `recent`.
            try await store.chat.trim(sessionID: session.id, keeping: 4)
            #expect(try await store.chat.recent(sessionID: session.id, limit: 10) == Array(messages[2...]))
            try await store.chat.trim(sessionID: session.id, keeping: 4)
            #expect(try await store.chat.recent(sessionID: session.id, limit: 10) == Array(messages[2...]), "trimming again keeps them")
            try await store.chat.trim(sessionID: session.id, keeping: 0)
            #expect(try await store.chat.recent(sessionID: session.id, limit: 10) == [])
            #expect(try await store.chat.recent(sessionID: other.id, limit: 10).map(\.text) == ["stay"])
        }
    }

    @Test(arguments: TestBackend.all)
    func chatReturnsTheNewestMessagesOldestFirst(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store), other = try await makeSession(store, at: 1)
            let author = UUID()
            let messages = (1...5).map { ChatMessageRecord(sessionID: session.id, authorID: author, text: "m\($0)", createdAt: at(Double($0))) }
            for message in messages.reversed() { try await store.chat.insert(message) }
            // Equal timestamps keep insertion order.
            let tie1 = ChatMessageRecord(sessionID: other.id, authorID: author, text: "t1", createdAt: at(9))
            let tie2 = ChatMessageRecord(sessionID: other.id, authorID: author, text: "t2", createdAt: at(9))
            try await store.chat.insert(tie1)
            try await store.chat.insert(tie2)
            await expectStoreError(.notFound) {
                try await store.chat.insert(ChatMessageRecord(sessionID: UUID(), authorID: author, text: "x"))
            }

            #expect(try await store.chat.recent(sessionID: session.id, limit: 3) == Array(messages[2...]))
            #expect(try await store.chat.recent(sessionID: session.id, limit: 10) == messages)
            #expect(try await store.chat.recent(sessionID: session.id, limit: 0) == [])
            #expect(try await store.chat.recent(sessionID: other.id, limit: 10) == [tie1, tie2])
        }
    }

    @Test(arguments: TestBackend.all)
    func annotationsAndTheirRepliesAreStoredUpdatedAndDeleted(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store)
            let doc = DocumentRecord(sessionID: session.id, path: "a.txt", createdAt: at(0), updatedAt: at(0))
            try await store.documents.create(doc, text: "hello world")
            let author = UUID()
            var root = AnnotationRecord(documentID: doc.id, authorID: author, from: 0, to: 5, revision: 0,
                                        body: "greeting?", createdAt: at(1))
            let reply = AnnotationRecord(documentID: doc.id, parentID: root.id, authorID: UUID(), from: 0, to: 5,
                                         revision: 0, body: "yes", createdAt: at(2))
            let second = AnnotationRecord(documentID: doc.id, authorID: author, from: 6, to: 11, revision: 0,
                                          body: "world", resolved: true, createdAt: at(3))
            for a in [root, reply, second] { try await store.annotations.insert(a) }
            await expectStoreError(.conflict) { try await store.annotations.insert(root) }
            await expectStoreError(.notFound) {
                try await store.annotations.insert(AnnotationRecord(documentID: UUID(), authorID: author, from: 0, to: 0,
                                                                    revision: 0, body: "orphan"))
            }

            #expect(try await store.annotations.list(documentID: doc.id) == [root, reply, second])
            #expect(try await store.annotations.find(id: reply.id) == reply)

            root.from = 2; root.to = 7; root.revision = 4; root.resolved = true
            try await store.annotations.update(root)
            #expect(try await store.annotations.find(id: root.id) == root)
            await expectStoreError(.notFound) {
                try await store.annotations.update(AnnotationRecord(documentID: doc.id, authorID: author, from: 0, to: 0,
                                                                    revision: 0, body: "ghost"))
            }

            try await store.annotations.delete(id: root.id)
            #expect(try await store.annotations.find(id: reply.id) == nil)
            #expect(try await store.annotations.list(documentID: doc.id) == [second])

            try await store.documents.delete(id: doc.id)
            #expect(try await store.annotations.find(id: second.id) == nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func deletingASessionCascadesToEverythingInIt(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = try await makeSession(store), keep = try await makeSession(store, at: 1)
            let guest = UUID()
            try await store.sessions.addMember(MemberRecord(sessionID: session.id, userID: guest, role: .editor))
            try await store.invites.create(InviteRecord(code: "c", sessionID: session.id, role: .viewer,
                                                        createdBy: session.ownerID, expiresAt: at(100), maxUses: 1))
            let doc = DocumentRecord(sessionID: session.id, path: "a.txt")
            try await store.documents.create(doc, text: "")
            try await store.documents.append(typing(doc.id, from: 0, count: 2), documentID: doc.id, size: 2)
            let note = AnnotationRecord(documentID: doc.id, authorID: guest, from: 0, to: 1, revision: 2, body: "n")
            try await store.annotations.insert(note)
            try await store.chat.insert(ChatMessageRecord(sessionID: session.id, authorID: guest, text: "hi"))
            try await store.chat.insert(ChatMessageRecord(sessionID: keep.id, authorID: guest, text: "stay"))

            try await store.sessions.delete(id: session.id)
            try await store.sessions.delete(id: session.id)  // deleting twice is harmless
            #expect(try await store.sessions.find(id: session.id) == nil)
            #expect(try await store.sessions.members(sessionID: session.id) == [])
            #expect(try await store.sessions.list(memberID: guest) == [])
            #expect(try await store.invites.find(code: "c") == nil)
            #expect(try await store.documents.find(id: doc.id) == nil)
            #expect(try await store.documents.operations(documentID: doc.id, after: 0) == [])
            #expect(try await store.documents.latestSnapshot(documentID: doc.id, atOrBefore: nil) == nil)
            #expect(try await store.annotations.find(id: note.id) == nil)
            #expect(try await store.chat.recent(sessionID: session.id, limit: 10) == [])
            #expect(try await store.chat.recent(sessionID: keep.id, limit: 10).map(\.text) == ["stay"])
        }
    }
}
