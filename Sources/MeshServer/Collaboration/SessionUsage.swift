import Foundation
import NIOConcurrencyHelpers

/// What each session's documents take, in bytes and in documents, as this server counts them:
/// every op that grows a document and every new document is reserved here first, atomically,
/// so neither racing requests nor one op at a time take a session past `maxSessionBytes` or
/// `maxDocumentsPerSession`. A session's entry is seeded from the store when it is first
/// needed and forgotten when none of its documents is live (the next use reads the store
/// again, which also catches up with what other servers on the same database did).
final class SessionUsage: Sendable {
    struct Totals: Sendable, Hashable {
        var bytes = 0
        var documents = 0
    }

    /// The answer to ``reserveDocument(bytes:in:)``.
    enum Reservation: Sendable, Hashable {
        case reserved
        /// Over a limit; nothing was reserved.
        case refused(String)
        /// The session is not seeded (or was just forgotten): seed it and ask again.
        case unknown
    }

    private struct Entry: Sendable {
        var totals: Totals
        /// Store changes in flight outside a live document (creations, deletions): the entry is
        /// not forgotten meanwhile, or a seed read before they commit would miss them.
        var pins = 0
    }

    let maxBytes: Int
    let maxDocuments: Int
    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])

    init(maxBytes: Int, maxDocuments: Int) {
        self.maxBytes = maxBytes
        self.maxDocuments = maxDocuments
    }

    func isKnown(_ session: UUID) -> Bool {
        entries.withLockedValue { $0[session] != nil }
    }

    func totals(_ session: UUID) -> Totals? {
        entries.withLockedValue { $0[session]?.totals }
    }

    /// Records totals read from the store, unless the session is known already (what is here
    /// then counts changes the read may have missed).
    func seed(_ session: UUID, _ totals: Totals) {
        entries.withLockedValue { entries in
            if entries[session] == nil { entries[session] = Entry(totals: totals) }
        }
    }

    /// Reserves `bytes` more for an op; false (nothing reserved) when the session would pass
    /// `maxBytes`. An op that adds nothing always passes (deletes shrink a session over its
    /// limit), and so does one in a session not counted here (only a deleted one: a live
    /// document's session is always counted).
    func reserve(bytes: Int, in session: UUID) -> Bool {
        guard bytes > 0 else { return true }
        return entries.withLockedValue { entries in
            guard let used = entries[session]?.totals.bytes else { return true }
            guard bytes <= maxBytes - used else { return false }
            entries[session]!.totals.bytes = used + bytes
            return true
        }
    }

    /// Corrects a session's totals by what actually changed (negative: it shrank).
    func adjust(_ session: UUID, bytes: Int, documents: Int = 0) {
        entries.withLockedValue { entries in
            guard var entry = entries[session] else { return }
            entry.totals.bytes = max(0, entry.totals.bytes + bytes)
            entry.totals.documents = max(0, entry.totals.documents + documents)
            entries[session] = entry
        }
    }

    /// Reserves a new document of `bytes` and pins the entry until ``finishCreating(bytes:in:created:)``.
    func reserveDocument(bytes: Int, in session: UUID) -> Reservation {
        entries.withLockedValue { entries in
            guard var entry = entries[session] else { return .unknown }
            guard entry.totals.documents < maxDocuments else {
                return .refused("a session may have at most \(maxDocuments) documents")
            }
            guard bytes <= maxBytes - entry.totals.bytes else {
                return .refused("the session's documents may total at most \(maxBytes) bytes")
            }
            entry.totals.bytes += bytes
            entry.totals.documents += 1
            entry.pins += 1
            entries[session] = entry
            return .reserved
        }
    }

    /// Ends a creation ``reserveDocument(bytes:in:)`` reserved: keeps the reservation when the
    /// document was created, gives it back when not.
    func finishCreating(bytes: Int, in session: UUID, created: Bool) {
        if !created { adjust(session, bytes: -bytes, documents: -1) }
        unpin(session)
    }

    /// Pins a known session's entry (a deletion is in flight); false when it is not known.
    func pin(_ session: UUID) -> Bool {
        entries.withLockedValue { entries in
            guard entries[session] != nil else { return false }
            entries[session]!.pins += 1
            return true
        }
    }

    func unpin(_ session: UUID) {
        entries.withLockedValue { entries in
            guard let pins = entries[session]?.pins else { return }
            entries[session]!.pins = max(0, pins - 1)
        }
    }

    /// The session was deleted.
    func forget(_ session: UUID) {
        _ = entries.withLockedValue { $0.removeValue(forKey: session) }
    }

    /// Forgets every session but those in use (a live or loading document) and pinned ones.
    func forget(except inUse: Set<UUID>) {
        entries.withLockedValue { entries in
            entries = entries.filter { inUse.contains($0.key) || $0.value.pins > 0 }
        }
    }
}
