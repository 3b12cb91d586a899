import Foundation
import Hummingbird
import Logging
import MeshStore

/// Accounts and tokens: `/v1/auth/*` and `/v1/me*`.
struct AuthController {
    let store: Store
    let tokens: TokenService
    let hasher: PasswordHasher
    let accountThrottle: LoginThrottle
    let addressThrottle: LoginThrottle
    let mailer: any Mailer
    let settings: ServerConfiguration.AuthSettings

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.post("auth/signup", use: signup)
        group.post("auth/login", use: login)
        group.post("auth/refresh", use: refresh)
        group.post("auth/logout", use: logout)
        group.post("auth/verify-email", use: confirmEmail)
        group.get("me", use: me)
        group.patch("me", use: updateProfile)
        group.post("me/password", use: changePassword)
        group.post("me/verify-email", use: requestEmailVerification)
    }

    @Sendable func signup(_ request: Request, context: MeshRequestContext) async throws -> EditedResponse<TokenPair> {
        let body = try await request.decode(as: SignupRequest.self, context: context)
        let email = try AccountRules.email(body.email)
        try AccountRules.password(body.password)
        let user = UserRecord(email: email, displayName: try AccountRules.displayName(body.displayName),
                              passwordHash: try await hasher.hash(body.password))
        try await store.users.create(user)
        try await sendVerification(to: user)
        return .init(status: .created, response: try await issueTokens(for: user, family: UUID()))
    }

    @Sendable func login(_ request: Request, context: MeshRequestContext) async throws -> TokenPair {
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let accountKey = "account:" + body.email.lowercased()
        let addressKey = "address:" + context.remoteAddress
        let accountWait = await accountThrottle.retryAfter([accountKey])
        let addressWait = await addressThrottle.retryAfter([addressKey])
        if let wait = accountWait ?? addressWait {
            throw ApiError(.tooManyRequests, .rateLimited, "too many failed logins; retry in \(Int(wait.rounded(.up))) s")
        }
        guard let user = try await store.users.find(email: body.email),
              try await hasher.verify(body.password, hash: user.passwordHash)
        else {
            await accountThrottle.recordFailure([accountKey])
            await addressThrottle.recordFailure([addressKey])
            throw ApiError.unauthorized("wrong email or password")
        }
        await accountThrottle.recordSuccess([accountKey])
        return try await issueTokens(for: user, family: UUID())
    }

    /// Rotates a refresh token. Presenting one that was already used revokes its whole family:
    /// somebody holds a stolen copy.
    @Sendable func refresh(_ request: Request, context: MeshRequestContext) async throws -> TokenPair {
        let body = try await request.decode(as: RefreshRequest.self, context: context)
        let now = Date()
        guard let record = try await store.refreshTokens.find(hash: TokenService.hash(body.refreshToken)),
              record.revokedAt == nil, record.expiresAt > now
        else { throw ApiError.unauthorized("invalid or expired refresh token") }
        guard try await store.refreshTokens.markUsed(id: record.id, at: now) else {
            try await store.refreshTokens.revokeFamily(record.familyID, at: now)
            context.logger.warning("refresh token reuse; family revoked", metadata: ["user": "\(record.userID)"])
            throw ApiError.unauthorized("refresh token already used; every session from it is revoked")
        }
        guard let user = try await store.users.find(id: record.userID) else { throw ApiError.unauthorized() }
        return try await issueTokens(for: user, family: record.familyID)
    }

    @Sendable func logout(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let body = try await request.decode(as: RefreshRequest.self, context: context)
        if let record = try await store.refreshTokens.find(hash: TokenService.hash(body.refreshToken)) {
            try await store.refreshTokens.revokeFamily(record.familyID, at: Date())
        }
        return .noContent
    }

    @Sendable func me(_ request: Request, context: MeshRequestContext) async throws -> UserDTO {
        UserDTO(try await currentUser(context))
    }

    @Sendable func updateProfile(_ request: Request, context: MeshRequestContext) async throws -> UserDTO {
        var user = try await currentUser(context)
        let body = try await request.decode(as: ProfileUpdate.self, context: context)
        if let name = body.displayName { user.displayName = try AccountRules.displayName(name) }
        if let email = body.email {
            let email = try AccountRules.email(email)
            if email.lowercased() != user.email.lowercased() {
                user.email = email
                user.emailVerified = false
            }
        }
        try await store.users.update(user)
        if !user.emailVerified, body.email != nil { try await sendVerification(to: user) }
        return UserDTO(user)
    }

    /// Changes the password and revokes every other refresh-token family of the account.
    @Sendable func changePassword(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        var user = try await currentUser(context)
        let body = try await request.decode(as: PasswordChange.self, context: context)
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
        return .noContent
    }

    @Sendable func requestEmailVerification(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let user = try await currentUser(context)
        guard !user.emailVerified else { return .noContent }
        try await sendVerification(to: user)
        return .accepted
    }

    @Sendable func confirmEmail(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let body = try await request.decode(as: VerifyEmailRequest.self, context: context)
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
        return TokenPair(user: UserDTO(user), accessToken: access, refreshToken: refresh,
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
