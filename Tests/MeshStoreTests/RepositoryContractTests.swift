import Foundation
import MeshProtocol
@testable import MeshStore
import Testing

/// The repository contract, run against real SQLite and real PostgreSQL, each test on a fresh database.
/// (Documents, ops, snapshots, chat and annotations are in `RepositoryContractTests+Documents.swift`.)
@Suite(.timeLimit(.minutes(5))) struct RepositoryContractTests {
    // MARK: Store

    @Test(arguments: TestBackend.all)
    func opensPingsAndReopensWithoutRemigrating(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let user = UserRecord(email: "a@example.com", displayName: "A", passwordHash: "h", createdAt: at(0))
            let first = try await Store.open(database, logger: TestBackend.logger)
            #expect(first.backendName == backend.rawValue)
            try await first.ping()
            try await first.users.create(user)
            try await first.shutdown()
            try await first.shutdown()  // idempotent

            let second = try await Store.open(database, logger: TestBackend.logger)
            #expect(try await second.users.find(id: user.id) == user)
            try await second.shutdown()
        }
    }

    // MARK: Users

    @Test(arguments: TestBackend.all)
    func usersAreFoundByEmailCaseInsensitively(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            var ada = UserRecord(email: "Ada@Example.com", displayName: "Ada", passwordHash: "h1", createdAt: at(1))
            try await store.users.create(ada)
            #expect(try await store.users.find(email: "ada@EXAMPLE.com") == ada)
            #expect(try await store.users.find(id: ada.id) == ada)
            #expect(try await store.users.find(email: "bob@example.com") == nil)
            #expect(try await store.users.find(id: UUID()) == nil)

            let twin = UserRecord(email: "ADA@example.COM", displayName: "Twin", passwordHash: "h2", createdAt: at(2))
            await expectStoreError(.conflict) { try await store.users.create(twin) }
            await expectStoreError(.conflict) { try await store.users.create(ada) }

            ada.displayName = "Ada L."
            ada.emailVerified = true
            ada.email = "ada@lovelace.org"
            try await store.users.update(ada)
            #expect(try await store.users.find(email: "ADA@LOVELACE.ORG") == ada)
            #expect(try await store.users.find(email: "ada@example.com") == nil)

            let bob = UserRecord(email: "bob@example.com", displayName: "Bob", passwordHash: "h3", createdAt: at(3))
            try await store.users.create(bob)
            var taken = bob
            taken.email = "Ada@Lovelace.org"
            await expectStoreError(.conflict) { try await store.users.update(taken) }
            await expectStoreError(.notFound) {
                try await store.users.update(UserRecord(email: "x@y.z", displayName: "X", passwordHash: "h"))
            }
        }
    }

    /// An email typed with white space around it is the account's (EmailAddress.key, the one rule
    /// the server's signup, login and throttle use too): the store looked it up lower-cased only.
    @Test(arguments: TestBackend.all)
    func anEmailWithSpacesAroundItFindsItsAccount(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let ada = UserRecord(email: "Ada@Example.com", displayName: "Ada", passwordHash: "h1", createdAt: at(1))
            try await store.users.create(ada)
            #expect(try await store.users.find(email: " ada@example.com") == ada)
            #expect(try await store.users.find(email: "ADA@EXAMPLE.COM\n") == ada)
            #expect(try await store.users.find(email: "\tAda@Example.com ") == ada)
            let twin = UserRecord(email: " ada@example.com ", displayName: "Twin", passwordHash: "h2", createdAt: at(2))
            await expectStoreError(.conflict) { try await store.users.create(twin) }
        }
        #expect(EmailAddress.key(" Ada@Example.COM\n") == "ada@example.com")
        #expect(EmailAddress.spelling(" Ada@Example.COM\n") == "Ada@Example.COM")
    }

    // MARK: Tokens

    @Test(arguments: TestBackend.all)
    func refreshTokensRotateAndRevoke(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let user = UUID(), other = UUID()
            let (familyA, familyB, familyC) = (UUID(), UUID(), UUID())
            func token(_ hash: String, _ family: UUID, user: UUID = user) -> RefreshTokenRecord {
                RefreshTokenRecord(userID: user, familyID: family, tokenHash: hash, expiresAt: at(3600), createdAt: at(0))
            }
            let a1 = token("a1", familyA), a2 = token("a2", familyA), b1 = token("b1", familyB)
            let c1 = token("c1", familyC), o1 = token("o1", UUID(), user: other)
            for t in [a1, a2, b1, c1, o1] { try await store.refreshTokens.insert(t) }
            await expectStoreError(.conflict) { try await store.refreshTokens.insert(token("a1", familyA)) }

            #expect(try await store.refreshTokens.find(hash: "a1") == a1)
            #expect(try await store.refreshTokens.find(hash: "nope") == nil)

            #expect(try await store.refreshTokens.markUsed(id: a1.id, at: at(10)))
            #expect(try await !store.refreshTokens.markUsed(id: a1.id, at: at(11)))
            #expect(try await store.refreshTokens.find(hash: "a1")?.usedAt == at(10))
            #expect(try await !store.refreshTokens.markUsed(id: UUID(), at: at(11)))

            try await store.refreshTokens.revokeFamily(familyA, at: at(20))
            #expect(try await store.refreshTokens.find(hash: "a1")?.revokedAt == at(20))
            #expect(try await store.refreshTokens.find(hash: "a2")?.revokedAt == at(20))
            #expect(try await !store.refreshTokens.markUsed(id: a2.id, at: at(21)))
            #expect(try await store.refreshTokens.find(hash: "b1")?.revokedAt == nil)

            try await store.refreshTokens.revokeAll(userID: user, exceptFamily: familyC, at: at(30))
            #expect(try await store.refreshTokens.find(hash: "a1")?.revokedAt == at(20))  // stays as first revoked
            #expect(try await store.refreshTokens.find(hash: "b1")?.revokedAt == at(30))
            #expect(try await store.refreshTokens.find(hash: "c1")?.revokedAt == nil)
            #expect(try await store.refreshTokens.find(hash: "o1")?.revokedAt == nil)

            try await store.refreshTokens.revokeAll(userID: user, exceptFamily: nil, at: at(40))
            #expect(try await store.refreshTokens.find(hash: "c1")?.revokedAt == at(40))
            #expect(try await store.refreshTokens.find(hash: "o1")?.revokedAt == nil)
        }
    }

    @Test(arguments: TestBackend.all)
    func verificationTokensAreConsumedOnce(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let live = VerificationTokenRecord(tokenHash: "v1", userID: UUID(), email: "a@b.c", expiresAt: at(100))
            let stale = VerificationTokenRecord(tokenHash: "v2", userID: UUID(), email: "d@e.f", expiresAt: at(5))
            try await store.verificationTokens.insert(live)
            try await store.verificationTokens.insert(stale)

            var used = live
            used.usedAt = at(10)
            #expect(try await store.verificationTokens.consume(hash: "v1", at: at(10)) == used)
            #expect(try await store.verificationTokens.consume(hash: "v1", at: at(11)) == nil)
            #expect(try await store.verificationTokens.consume(hash: "v2", at: at(10)) == nil)  // expired
            #expect(try await store.verificationTokens.consume(hash: "nope", at: at(10)) == nil)
        }
    }

    // MARK: Sessions and members

    @Test(arguments: TestBackend.all)
    func sessionsListTheirOwnerAsMember(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let owner = UUID(), guest = UUID()
            let s1 = SessionRecord(name: "one", ownerID: owner, createdAt: at(1))
            let s2 = SessionRecord(name: "two", ownerID: guest, createdAt: at(2))
            try await store.sessions.create(s1)
            try await store.sessions.create(s2)
            await expectStoreError(.conflict) { try await store.sessions.create(s1) }

            #expect(try await store.sessions.find(id: s1.id) == s1)
            #expect(try await store.sessions.find(id: UUID()) == nil)
            #expect(try await store.sessions.members(sessionID: s1.id)
                == [MemberRecord(sessionID: s1.id, userID: owner, role: .owner, joinedAt: at(1))])
            #expect(try await store.sessions.member(sessionID: s1.id, userID: owner)?.role == .owner)
            #expect(try await store.sessions.member(sessionID: s1.id, userID: guest) == nil)

            #expect(try await store.sessions.list(memberID: owner) == [s1])
            try await store.sessions.addMember(MemberRecord(sessionID: s1.id, userID: guest, role: .editor, joinedAt: at(3)))
            #expect(try await store.sessions.list(memberID: guest) == [s1, s2])
            #expect(try await store.sessions.list(memberID: UUID()) == [])
        }
    }

    @Test(arguments: TestBackend.all)
    func membersKeepTheirHigherRoleAndCanBeChangedOrRemoved(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = SessionRecord(name: "s", ownerID: UUID(), createdAt: at(0))
            try await store.sessions.create(session)
            let user = UUID()
            func role() async throws -> Role? { try await store.sessions.member(sessionID: session.id, userID: user)?.role }

            try await store.sessions.addMember(MemberRecord(sessionID: session.id, userID: user, role: .viewer, joinedAt: at(1)))
            #expect(try await role() == .viewer)
            try await store.sessions.addMember(MemberRecord(sessionID: session.id, userID: user, role: .editor, joinedAt: at(2)))
            #expect(try await role() == .editor)
            try await store.sessions.addMember(MemberRecord(sessionID: session.id, userID: user, role: .viewer, joinedAt: at(3)))
            #expect(try await role() == .editor)
            #expect(try await store.sessions.member(sessionID: session.id, userID: user)?.joinedAt == at(1))

            try await store.sessions.setRole(sessionID: session.id, userID: user, role: .viewer)
            #expect(try await role() == .viewer)
            await expectStoreError(.notFound) {
                try await store.sessions.setRole(sessionID: session.id, userID: UUID(), role: .editor)
            }
            await expectStoreError(.notFound) {
                try await store.sessions.addMember(MemberRecord(sessionID: UUID(), userID: user, role: .viewer))
            }

            #expect(try await store.sessions.removedAt(sessionID: session.id, userID: user) == nil)
            try await store.sessions.removeMember(sessionID: session.id, userID: user, banned: true)
            #expect(try await role() == nil)
            #expect(try await store.sessions.members(sessionID: session.id).map(\.userID) == [session.ownerID])
            #expect(try await store.sessions.list(memberID: user) == [])
            let removed = try #require(try await store.sessions.removedAt(sessionID: session.id, userID: user))
            #expect(abs(removed.timeIntervalSinceNow) < 60, "the removal is recorded with its time")
            // Leaving of one's own accord is not a ban.
            try await store.sessions.addMember(MemberRecord(sessionID: session.id, userID: user, role: .viewer))
            let other = UUID()
            try await store.sessions.addMember(MemberRecord(sessionID: session.id, userID: other, role: .viewer))
            try await store.sessions.removeMember(sessionID: session.id, userID: other, banned: false)
            #expect(try await store.sessions.removedAt(sessionID: session.id, userID: other) == nil)
        }
    }

    // MARK: Invites

    @Test(arguments: TestBackend.all)
    func invitesCountUsesUntilUnusable(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = SessionRecord(name: "s", ownerID: UUID(), createdAt: at(0))
            try await store.sessions.create(session)
            func invite(_ code: String, expires: Double = 1000, maxUses: Int = 2, created: Double) -> InviteRecord {
                InviteRecord(code: code, sessionID: session.id, role: .editor, createdBy: session.ownerID,
                             expiresAt: at(expires), maxUses: maxUses, createdAt: at(created))
            }
            let twice = invite("twice", created: 1), expiring = invite("expiring", expires: 50, created: 2)
            let revoked = invite("revoked", created: 3)
            for i in [twice, expiring, revoked] { try await store.invites.create(i) }
            await expectStoreError(.conflict) { try await store.invites.create(twice) }
            await expectStoreError(.notFound) {
                try await store.invites.create(InviteRecord(code: "orphan", sessionID: UUID(), role: .viewer,
                                                            createdBy: UUID(), expiresAt: at(9), maxUses: 1))
            }
            #expect(try await store.invites.list(sessionID: session.id) == [twice, expiring, revoked])
            #expect(try await store.invites.find(code: "twice") == twice)
            #expect(try await store.invites.find(code: "nope") == nil)

            try await store.invites.revoke(code: "revoked", at: at(10))
            #expect(try await store.invites.find(code: "revoked")?.revokedAt == at(10))
            await expectStoreError(.notFound) { try await store.invites.revoke(code: "nope", at: at(10)) }
            await expectStoreError(.inviteUnusable) { _ = try await store.invites.redeem(code: "revoked", at: at(11)) }

            #expect(try await store.invites.redeem(code: "twice", at: at(20)).uses == 1)
            #expect(try await store.invites.redeem(code: "twice", at: at(21)).uses == 2)
            await expectStoreError(.inviteUnusable) { _ = try await store.invites.redeem(code: "twice", at: at(22)) }
            #expect(try await store.invites.find(code: "twice")?.uses == 2)

            await expectStoreError(.inviteUnusable) { _ = try await store.invites.redeem(code: "expiring", at: at(50)) }
            #expect(try await store.invites.find(code: "expiring")?.uses == 0)
            await expectStoreError(.notFound) { _ = try await store.invites.redeem(code: "nope", at: at(1)) }
        }
    }

    @Test(arguments: TestBackend.all)
    func concurrentRedeemsOfASingleUseInviteHaveOneWinner(_ backend: TestBackend) async throws {
        try await backend.withStore { store in
            let session = SessionRecord(name: "s", ownerID: UUID(), createdAt: at(0))
            try await store.sessions.create(session)
            try await store.invites.create(InviteRecord(code: "once", sessionID: session.id, role: .viewer,
                                                        createdBy: session.ownerID, expiresAt: at(100), maxUses: 1))
            let outcomes = await withTaskGroup(of: Result<InviteRecord, any Error>.self) { group in
                for _ in 0..<10 {
                    group.addTask { await Result(asyncCatching: { try await store.invites.redeem(code: "once", at: at(1)) }) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { (try? $0.get()) != nil }.count == 1)
            for case let .failure(error) in outcomes {
                #expect((error as? StoreError)?.kind == .inviteUnusable, "\(error)")
            }
            #expect(try await store.invites.find(code: "once")?.uses == 1)
        }
    }
}

extension Result where Failure == any Error {
    init(asyncCatching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
