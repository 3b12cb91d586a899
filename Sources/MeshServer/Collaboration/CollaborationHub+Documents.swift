import Foundation
import MeshProtocol
import MeshStore

/// Creating and deleting documents through the session totals (``SessionUsage``), for the
/// WebSocket and the REST API alike.
extension CollaborationHub {
    /// Counts `session` from the store, unless it is counted already.
    static func seed(_ session: UUID, usage: SessionUsage, store: Store) async throws {
        guard !usage.isKnown(session) else { return }
        let bytes = try await store.documents.totalSize(sessionID: session)
        let documents = try await store.documents.count(sessionID: session)
        usage.seed(session, SessionUsage.Totals(bytes: bytes, documents: documents))
    }

    /// Creates a document when its size, and its session's bytes and documents with it, are
    /// within the limits. The session's share is reserved before the insert, so parallel
    /// creations (or ops) cannot pass a limit together.
    /// - Throws: ``ErrorMessage`` `too_large`, or the store's error (``StoreError/conflict(_:)``
    ///   for a taken path); nothing is reserved then.
    nonisolated func createDocument(_ record: DocumentRecord, text: String) async throws {
        guard record.size <= limits.maxDocumentBytes else {
            throw ErrorMessage(.tooLarge, "a document may have at most \(limits.maxDocumentBytes) bytes")
        }
        reserving: while true {
            try await Self.seed(record.sessionID, usage: usage, store: store)
            switch usage.reserveDocument(bytes: record.size, in: record.sessionID) {
            case .reserved: break reserving
            case let .refused(reason): throw ErrorMessage(.tooLarge, reason)
            case .unknown: continue   // forgotten between the seed and the reservation: count again
            }
        }
        do {
            try await store.documents.create(record, text: text)
        } catch {
            usage.finishCreating(bytes: record.size, in: record.sessionID, created: false)
            throw error
        }
        usage.finishCreating(bytes: record.size, in: record.sessionID, created: true)
        await announce(.init(path: record.path, change: .created), in: record.sessionID)
    }

    /// Tells everyone connected to `session` that one of its documents came or went.
    func announce(_ event: ServerMessage.DocumentEvent, in session: UUID) {
        cluster?.publish(.documentAnnounced(session: session.uuidString, path: event.path, change: event.change))
        announceHere(event, in: session)
    }

    func announceHere(_ event: ServerMessage.DocumentEvent, in session: UUID) {
        let message = WireCodec.encode(.document(event))
        for member in (rooms[session] ?? [:]).values { member.send(message) }
    }

    /// Deletes a document: its subscribers are told, and its bytes and place go back to its session.
    nonisolated func deleteDocument(_ record: DocumentRecord) async throws {
        await documentChanged(record.id, newPath: nil)
        let pinned = usage.pin(record.sessionID)
        defer { if pinned { usage.unpin(record.sessionID) } }
        // The size the row had when it went: every op committed before is in it.
        if let size = try await store.documents.delete(id: record.id), pinned {
            usage.adjust(record.sessionID, bytes: -size, documents: -1)
        }
        await announce(.init(path: record.path, change: .deleted), in: record.sessionID)
    }
}
