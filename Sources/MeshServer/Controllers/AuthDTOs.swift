import Foundation
import Hummingbird
import MeshStore

/// The public view of an account.
struct UserDTO: ResponseCodable {
    var id: UUID
    var email: String
    var displayName: String
    var emailVerified: Bool

    init(_ user: UserRecord) {
        id = user.id; email = user.email; displayName = user.displayName; emailVerified = user.emailVerified
    }
}

struct SignupRequest: Decodable { var email: String; var displayName: String; var password: String }
struct LoginRequest: Decodable { var email: String; var password: String }
struct RefreshRequest: Decodable { var refreshToken: String }
struct ProfileUpdate: Decodable { var displayName: String?; var email: String? }
struct PasswordChange: Decodable { var currentPassword: String; var newPassword: String; var refreshToken: String? }
struct VerifyEmailRequest: Decodable { var token: String }

/// What login, signup and refresh answer.
struct TokenPair: ResponseCodable {
    var user: UserDTO
    var accessToken: String
    var refreshToken: String
    /// Seconds until the access token expires.
    var expiresIn: Int
}

enum AccountRules {
    static func email(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains(".") else {
            throw ApiError.badRequest("invalid email address")
        }
        return email
    }

    static func displayName(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw ApiError.badRequest("display name must have 1 to 100 characters") }
        return name
    }

    static func password(_ password: String) throws {
        guard password.count >= 8 else { throw ApiError.badRequest("password must have at least 8 characters") }
        // bcrypt reads at most 72 bytes: refuse longer rather than silently truncate.
        guard password.utf8.count <= 72 else { throw ApiError.badRequest("password must have at most 72 bytes") }
    }
}
