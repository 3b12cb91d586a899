import Foundation

/// An account as the API shows it (`User` in openapi.yaml).
public struct UserProfile: Sendable, Hashable, Codable {
    public var id: UUID
    public var email: String
    public var displayName: String
    public var emailVerified: Bool
}

/// What signup, login and refresh answer.
public struct TokenPair: Sendable, Hashable, Codable {
    public var user: UserProfile
    public var accessToken: String
    public var refreshToken: String
    /// Seconds until the access token expires.
    public var expiresIn: Int
}

struct SignupBody: Encodable { var email: String; var displayName: String; var password: String }
struct LoginBody: Encodable { var email: String; var password: String }
struct RefreshBody: Encodable { var refreshToken: String }
struct TokenBody: Encodable { var token: String }
struct ProfileBody: Encodable { var displayName: String?; var email: String? }
struct PasswordBody: Encodable { var currentPassword: String; var newPassword: String; var refreshToken: String? }
