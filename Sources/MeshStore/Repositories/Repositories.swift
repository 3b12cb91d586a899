import Foundation
import MeshOT
import MeshProtocol

/// Accounts.
public protocol UserRepository: Sendable {
    /// - Throws: ``StoreError/conflict(_:)`` when the email is taken (one ``EmailAddress/key(_:)``).
    func create(_ user: UserRecord) async throws
    func find(id: UUID) async throws -> UserRecord?
    /// The account whose email has `email`'s ``EmailAddress/key(_:)`` (case and surrounding
    /// white space do not matter).
    func find(email: String) async throws -> UserRecord?
    /// - Throws: ``StoreError/conflict(_:)`` when a new email is taken.
    func update(_ user: UserRecord) async throws
}

/// Refresh tokens and their rotation families.
public protocol RefreshTokenRepository: Sendable {
    func insert(_ token: RefreshTokenRecord) async throws
    func find(hash: String) async throws -> RefreshTokenRecord?
    /// Marks the token used, atomically: false when it was already used or revoked.
    func markUsed(id: UUID, at: Date) async throws -> Bool
    func revokeFamily(_ familyID: UUID, at: Date) async throws
    /// Revokes every live token of the user except those of `keepFamily`.
    func revokeAll(userID: UUID, exceptFamily keepFamily: UUID?, at: Date) async throws
}

/// Email verification tokens.
public protocol VerificationTokenRepository: Sendable {
    func insert(_ token: VerificationTokenRecord) async throws
    /// Marks a live token used and returns it; nil when unknown, used or expired.
    func consume(hash: String, at: Date) async throws -> VerificationTokenRecord?
}

/// WebSocket tickets, in the database so that a ticket issued by one node opens a socket on any
/// node of the same PostgreSQL database.
public protocol WebSocketTicketRepository: Sendable {
    /// Stores the ticket unless its user holds `maxOutstanding` unexpired tickets at `now`
    /// (false then, nothing stored). Expired tickets of every user are deleted on the way.
    func insert(_ ticket: WebSocketTicketRecord, maxOutstanding: Int, now: Date) async throws -> Bool
    /// Deletes the ticket and returns it when it was unexpired at `now`; nil when unknown,
    /// already used or expired. A ticket is consumed once, whatever the caller decides next.
    func consume(hash: String, at now: Date) async throws -> WebSocketTicketRecord?
    /// Deletes every ticket of the user (their logins were revoked).
    func deleteAll(userID: UUID) async throws
}

/// Sessions and their members.
public protocol SessionRepository: Sendable {
    /// Creates the session with its owner as the first member.
    func create(_ session: SessionRecord) async throws
    /// Creates the session unless its owner already owns `maxOwned` sessions; false then, and
    /// nothing is created. Counted in the creating transaction: parallel requests cannot pass it.
    func create(_ session: SessionRecord, maxOwned: Int) async throws -> Bool
    /// How many sessions `ownerID` owns.
    func ownedCount(ownerID: UUID) async throws -> Int
    func find(id: UUID) async throws -> SessionRecord?
    func list(memberID: UUID) async throws -> [SessionRecord]
    /// - Throws: ``StoreError/notFound(_:)`` when there is no such session.
    func rename(id: UUID, to name: String) async throws
    func delete(id: UUID) async throws
    func members(sessionID: UUID) async throws -> [MemberRecord]
    func member(sessionID: UUID, userID: UUID) async throws -> MemberRecord?
    /// Adds the member or, when present, keeps the higher of the two roles.
    func addMember(_ member: MemberRecord) async throws
    func setRole(sessionID: UUID, userID: UUID, role: Role) async throws
    /// Removes the member; `banned` (the owner removed them) also records when, so that an
    /// invite made before then no longer lets them back in.
    func removeMember(sessionID: UUID, userID: UUID, banned: Bool) async throws
    /// When the owner last removed `userID` from the session, if ever since they were let back in.
    func removedAt(sessionID: UUID, userID: UUID) async throws -> Date?
}

/// Invitations.
public protocol InviteRepository: Sendable {
    func create(_ invite: InviteRecord) async throws
    func find(code: String) async throws -> InviteRecord?
    func list(sessionID: UUID) async throws -> [InviteRecord]
    func revoke(code: String, at: Date) async throws
    /// Atomically counts one use of a live invite and returns it.
    /// - Throws: ``StoreError/notFound(_:)`` or ``StoreError/inviteUnusable(_:)``.
    func redeem(code: String, at: Date) async throws -> InviteRecord
}

/// Documents, their op log and snapshots.
extension DocumentRepository {
    /// All the operations after `revision`, oldest first.
    public func operations(documentID: UUID, after revision: Int) async throws -> [OpRecord] {
        try await operations(documentID: documentID, after: revision, upToBytes: nil)
    }
}

public protocol DocumentRepository: Sendable {
    /// Creates a document with its initial text as the snapshot at revision 0.
    /// - Throws: ``StoreError/conflict(_:)`` when the path is taken in the session.
    func create(_ document: DocumentRecord, text: String) async throws
    func find(id: UUID) async throws -> DocumentRecord?
    func find(sessionID: UUID, path: String) async throws -> DocumentRecord?
    func list(sessionID: UUID) async throws -> [DocumentRecord]
    func rename(id: UUID, to path: String) async throws
    /// Deletes the document with its ops, snapshots and annotations; returns the size it had,
    /// nil when there was no such document.
    @discardableResult
    func delete(id: UUID) async throws -> Int?
    /// Total size in bytes of the session's documents.
    func totalSize(sessionID: UUID) async throws -> Int
    /// How many documents the session has.
    func count(sessionID: UUID) async throws -> Int

    /// Appends committed operations of one document in a single transaction (a group commit)
    /// and records the document's new revision and size.
    /// - Throws: ``StoreError/conflict(_:)`` when a revision already exists (another node won).
    func append(_ ops: [OpRecord], documentID: UUID, size: Int) async throws
    /// Several nodes writing one document: in one transaction under the document's advisory
    /// lock (no other node appending this way meanwhile), reads the ops after `revision`, lets
    /// `prepare` take them in and name what to append (ops and the size after them), and appends
    /// it. A node that lost a commit goes this way, so it cannot lose again to another that does.
    /// PostgreSQL only.
    /// - Throws: ``StoreError/conflict(_:)`` when a node appending without the lock won a revision.
    func appendExclusively(documentID: UUID, after revision: Int,
                           prepare: @escaping @Sendable ([OpRecord]) async throws -> (ops: [OpRecord], size: Int)) async throws
    /// The operations after `revision`, oldest first: all of them, or with `upToBytes` the
    /// longest run from the first whose stored text (its JSON) totals at most that many
    /// characters, counted by the database, so that a reader never holds more.
    func operations(documentID: UUID, after revision: Int, upToBytes: Int?) async throws -> [OpRecord]
    func saveSnapshot(_ snapshot: SnapshotRecord) async throws
    /// The newest snapshot at or before `revision` (or the newest of all).
    func latestSnapshot(documentID: UUID, atOrBefore revision: Int?) async throws -> SnapshotRecord?
    /// Cuts the op log at the newest snapshot at or before `revision`: deletes the ops up to it
    /// and the snapshots before it, so that it and the ops after it still rebuild every later
    /// revision. From then on an append of a revision at or before the cut (a stale writer's)
    /// fails with ``StoreError/conflict(_:)``. Returns the revision the log is cut at now (0 when
    /// never; a cut never moves back).
    @discardableResult
    func compact(documentID: UUID, through revision: Int) async throws -> Int
}

/// Chat history.
public protocol ChatRepository: Sendable {
    func insert(_ message: ChatMessageRecord) async throws
    /// The newest `limit` messages, oldest first.
    func recent(sessionID: UUID, limit: Int) async throws -> [ChatMessageRecord]
    /// Deletes the session's messages but the newest `newest` (in ``recent(sessionID:limit:)``'s order).
    func trim(sessionID: UUID, keeping newest: Int) async throws
}

/// Annotations (comments anchored to ranges) and their replies.
public protocol AnnotationRepository: Sendable {
    func insert(_ annotation: AnnotationRecord) async throws
    func find(id: UUID) async throws -> AnnotationRecord?
    func list(documentID: UUID) async throws -> [AnnotationRecord]
    /// Stores moved anchors (after edits) and the resolved flag.
    func update(_ annotation: AnnotationRecord) async throws
    /// Deletes the annotation and its replies.
    func delete(id: UUID) async throws
}
