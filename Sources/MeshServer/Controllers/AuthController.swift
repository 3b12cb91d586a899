import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MeshProtocol
import MeshStore

/// Accounts and tokens: `/v1/auth/*` and `/v1/me*`.
struct AuthController {
    let store: Store
    let tokens: TokenService
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    /// A bcrypt hash of nothing anyone knows, checked when the email is unknown: a login then
    /// takes as long as one with a wrong password, so timing does not tell who has an account.
    let decoyHash: String
    /// Revoking a user's tokens closes the sockets they opened.
    let live: LiveSockets
    let mailer: any Mailer
    let settings: ServerConfiguration.AuthSettings

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.group("auth")
            .post("signup", use: signup)
            .post("login", use: login)
            .post("refresh", use: refresh)
            .post("logout", use: logout)
            .post("verify-email", use: confirmEmail)
        group.group("me")
            .get(use: me)
            .patch(use: updateProfile)
            .post("password", use: changePassword)
            .post("verify-email", use: requestEmailVerification)
    }

    @Sendable func signup(_ request: Request, context: MeshRequestContext) async throws -> EditedResponse<TokenPair> {
        let body = try await request.decodeSmall(as: SignupRequest.self, context: context)
        return .init(status: .created, response: try await createAccount(body, request, context))
    }

    @Sendable func login(_ request: Request, context: MeshRequestContext) async throws -> TokenPair {
        try await logIn(try await request.decodeSmall(as: LoginRequest.self, context: context), request, context)
    }

    @Sendable func refresh(_ request: Request, context: MeshRequestContext) async throws -> TokenPair {
        try await rotate(try await request.decodeSmall(as: RefreshRequest.self, context: context).refreshToken, context: context)
    }

    @Sendable func logout(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        try await revoke(try await request.decodeSmall(as: RefreshRequest.self, context: context).refreshToken)
        return .noContent
    }

    // MARK: Shared with the cookie routes (WebAuthController)

    /// Creates the account (its rules, the per-address limit) and logs it in.
    func createAccount(_ body: SignupRequest, _ request: Request, _ context: MeshRequestContext) async throws -> TokenPair {
        let email = try AccountRules.email(body.email)
        try AccountRules.password(body.password)
        let displayName = try AccountRules.displayName(body.displayName)
        let address = clientAddress(request, context)
        try await reserve([.init(key: "signup:" + address, limit: settings.maxSignupsPerAddress)], what: "sign-ups from your address")
        let user = UserRecord(email: email, displayName: displayName, passwordHash: try await hasher.hash(body.password))
        try await store.users.create(user)
        try await sendVerification(to: user)
        return try await issueTokens(for: user, family: UUID())
    }

    /// Attempts are reserved before bcrypt runs, per account and address together (the tight
    /// limit), per account (a slower one, against guessing from many addresses) and per address
    /// (against one address trying many accounts); a success gives its reservation back.
    func logIn(_ body: LoginRequest, _ request: Request, _ context: MeshRequestContext) async throws -> TokenPair {
        // One key per account (EmailAddress.key), for the throttle as for the store's lookup.
        let account = EmailAddress.key(body.email)
        let address = clientAddress(request, context)
        let limits: [LoginThrottle.Limit] = [
            .init(key: "pair:\(account)|\(address)", limit: settings.maxFailedLogins),
            .init(key: "account:" + account, limit: settings.maxFailedLogins * 10),
            .init(key: "address:" + address, limit: settings.maxFailedLogins * 20),
        ]
        let reservedAt = Date()
        if let wait = await throttle.reserve(limits, now: reservedAt) {
            throw ApiError(.tooManyRequests, .rateLimited, "too many failed logins; retry in \(Int(wait.rounded(.up))) s")
        }
        let user = try await store.users.find(email: account)
        // Unknown email or not, bcrypt runs once: the answer takes as long either way.
        let matches = try await hasher.verify(body.password, hash: user?.passwordHash ?? decoyHash)
        guard let user, matches else { throw ApiError.unauthorized("wrong email or password") }
        await throttle.refund(limits.map(\.key), reservedAt: reservedAt)
        return try await issueTokens(for: user, family: UUID())
    }

    /// The caller's address: the connection's peer, or, when that peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not one (so clients behind one TLS proxy
    /// are not throttled as one).
    func clientAddress(_ request: Request, _ context: MeshRequestContext) -> String {
        let peer = context.remoteAddress
        guard settings.trustedProxies.contains(peer) else { return peer }
        let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return forwarded.reversed().first { !settings.trustedProxies.contains($0) } ?? peer
    }

    private func reserve(_ limits: [LoginThrottle.Limit], what: String) async throws {
        if let wait = await throttle.reserve(limits) {
            throw ApiError(.tooManyRequests, .rateLimited, "too many \(what); retry in \(Int(wait.rounded(.up))) s")
        }
    }

    /// Rotates a refresh token. Presenting one that was already used revokes its whole family:
    /// somebody holds a stolen copy.
    func rotate(_ refreshToken: String, context: MeshRequestContext) async throws -> TokenPair {
        let now = Date()
        guard let record = try await store.refreshTokens.find(hash: TokenService.hash(refreshToken)),
              record.revokedAt == nil, record.expiresAt > now
        else { throw ApiError.unauthorized("invalid or expired refresh token") }
        guard try await store.refreshTokens.markUsed(id: record.id, at: now) else {
            try await store.refreshTokens.revokeFamily(record.familyID, at: now)
            await closeSockets(of: record.userID, reason: "a refresh token was used twice: sign in again")
            context.logger.warning("refresh token reuse; family revoked", metadata: ["user": "\(record.userID)"])
            throw ApiError.unauthorized("refresh token already used; every session from it is revoked")
        }
        guard let user = try await store.users.find(id: record.userID) else { throw ApiError.unauthorized() }
        return try await issueTokens(for: user, family: record.familyID)
    }

    /// Signs out: revokes the refresh token's family and closes the user's sockets.
    func revoke(_ refreshToken: String) async throws {
        if let record = try await store.refreshTokens.find(hash: TokenService.hash(refreshToken)) {
            try await store.refreshTokens.revokeFamily(record.familyID, at: Date())
            await closeSockets(of: record.userID, reason: "signed out")
        }
    }

    /// A revocation reaches what the user has open or may still open: their sockets close (on
    /// every node) and their unused WebSocket tickets go.
    private func closeSockets(of user: UUID, reason: String) async {
        try? await store.webSocketTickets.deleteAll(userID: user)
        await live.closeAll(user: user, reason: .revoked(reason))
    }

    @Sendable func me(_ request: Request, context: MeshRequestContext) async throws -> UserProfile {
        UserProfile(try await currentUser(context))
    }

    @Sendable func updateProfile(_ request: Request, context: MeshRequestContext) async throws -> UserProfile {
        var user = try await currentUser(context)
        let body = try await request.decodeSmall(as: ProfileUpdate.self, context: context)
        if let name = body.displayName { user.displayName = try AccountRules.displayName(name) }
        if let email = body.email {
            let email = try AccountRules.email(email)
            if EmailAddress.key(email) != EmailAddress.key(user.email) {
                user.email = email
                user.emailVerified = false
            }
        }
        try await store.users.update(user)
        if !user.emailVerified, body.email != nil { try await sendVerification(to: user) }
        return UserProfile(user)
    }

    /// Changes the password and revokes every other refresh-token family of the account.
    @Sendable func changePassword(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        var user = try await currentUser(context)
        let body = try await request.decodeSmall(as: PasswordChange.self, context: context)
        try await reserve([.init(key: "password:\(user.id)", limit: settings.maxFailedLogins)], what: "password changes")
        guard try await hasher.verify(body.currentPassword, hash: user.passwordHash) else {
            throw ApiError.forbidden("current password is wrong")
        }
        try AccountRules.password(body.newPassword)
        user.passwordHash = try await hasher.hash(body.newPassword)
        try await store.users.update(user)
        var keep: UUID?
        if let token = body.refreshToken, let record = try await store.refreshTokens.find(hash: TokenService.hash(token)),
           record.userID == user.id {
            keep = record.familyID
        }
        try await store.refreshTokens.revokeAll(userID: user.id, exceptFamily: keep, at: Date())
        await closeSockets(of: user.id, reason: "the password changed: sign in again")
        return .noContent
    }

    @Sendable func requestEmailVerification(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let user = try await currentUser(context)
        guard !user.emailVerified else { return .noContent }
        try await sendVerification(to: user)
        return .accepted
    }

    @Sendable func confirmEmail(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let body = try await request.decodeSmall(as: VerifyEmailRequest.self, context: context)
        guard let token = try await store.verificationTokens.consume(hash: TokenService.hash(body.token), at: Date()),
              var user = try await store.users.find(id: token.userID), user.email == token.email
        else { throw ApiError.badRequest("invalid or expired verification token") }
        user.emailVerified = true
        try await store.users.update(user)
        return .noContent
    }

    private func currentUser(_ context: MeshRequestContext) async throws -> UserRecord {
        let auth = try context.requireUser()
        guard let user = try await store.users.find(id: auth.id) else { throw ApiError.unauthorized("account no longer exists") }
        return user
    }

    private func issueTokens(for user: UserRecord, family: UUID) async throws -> TokenPair {
        let (refresh, hash) = TokenService.newOpaqueToken()
        try await store.refreshTokens.insert(RefreshTokenRecord(
            userID: user.id, familyID: family, tokenHash: hash,
            expiresAt: Date().addingTimeInterval(settings.refreshTokenLifetime)))
        let access = try await tokens.accessToken(for: AuthUser(id: user.id, name: user.displayName))
        return TokenPair(user: UserProfile(user), accessToken: access, refreshToken: refresh,
                         expiresIn: Int(settings.accessTokenLifetime))
    }

    private func sendVerification(to user: UserRecord) async throws {
        let (token, hash) = TokenService.newOpaqueToken()
        try await store.verificationTokens.insert(VerificationTokenRecord(
            tokenHash: hash, userID: user.id, email: user.email, expiresAt: Date().addingTimeInterval(48 * 3600)))
        try await mailer.send(to: user.email, subject: "Verify your Mesh account",
                              body: "Run `mesh verify-email \(token)` or POST it to /v1/auth/verify-email.")
    }
}
