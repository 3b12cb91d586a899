import Foundation

// Accounts and tokens: `/v1/auth/*` and `/v1/me*` (`User`, `TokenPair` and the request
// schemas in openapi.yaml). Property order is the order the server writes the keys.

/// An account as the API shows it (`User`).
public struct UserProfile: Sendable, Hashable, Codable {
    public var id: UUID
    public var email: String
    public var displayName: String
    public var emailVerified: Bool

    public init(id: UUID, email: String, displayName: String, emailVerified: Bool) {
        self.id = id; self.email = email; self.displayName = displayName; self.emailVerified = emailVerified
    }
}

/// What signup, login and refresh answer.
public struct TokenPair: Sendable, Hashable, Codable {
    public var user: UserProfile
    /// A JWT (HS256), valid for about 15 minutes.
    public var accessToken: String
    /// Opaque, single use.
    public var refreshToken: String
    /// Seconds until the access token expires.
    public var expiresIn: Int

    public init(user: UserProfile, accessToken: String, refreshToken: String, expiresIn: Int) {
        self.user = user; self.accessToken = accessToken; self.refreshToken = refreshToken; self.expiresIn = expiresIn
    }
}

/// `POST /v1/auth/signup`.
public struct SignupRequest: Sendable, Hashable, Codable {
    public var email: String
    public var displayName: String
    public var password: String

    public init(email: String, displayName: String, password: String) {
        self.email = email; self.displayName = displayName; self.password = password
    }
}

/// `POST /v1/auth/login`.
public struct LoginRequest: Sendable, Hashable, Codable {
    public var email: String
    public var password: String

    public init(email: String, password: String) { self.email = email; self.password = password }
}

/// `POST /v1/auth/refresh` and `POST /v1/auth/logout`.
public struct RefreshRequest: Sendable, Hashable, Codable {
    public var refreshToken: String

    public init(refreshToken: String) { self.refreshToken = refreshToken }
}

/// `POST /v1/auth/verify-email`: the token that was mailed.
public struct VerifyEmailRequest: Sendable, Hashable, Codable {
    public var token: String

    public init(token: String) { self.token = token }
}

/// `PATCH /v1/me`: what to change (nil: unchanged).
public struct ProfileUpdate: Sendable, Hashable, Codable {
    public var displayName: String?
    /// A new email must be verified again.
    public var email: String?

    public init(displayName: String? = nil, email: String? = nil) { self.displayName = displayName; self.email = email }
}

/// `POST /v1/me/password`.
public struct PasswordChange: Sendable, Hashable, Codable {
    public var currentPassword: String
    public var newPassword: String
    /// The caller's own refresh token, kept valid (every other family is revoked).
    public var refreshToken: String?

    public init(currentPassword: String, newPassword: String, refreshToken: String? = nil) {
        self.currentPassword = currentPassword; self.newPassword = newPassword; self.refreshToken = refreshToken
    }
}
