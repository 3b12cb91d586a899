import Crypto
import Foundation
import JWTKit

/// The authenticated caller of a request or WebSocket.
public struct AuthUser: Sendable, Hashable {
    public var id: UUID
    public var name: String
    /// When the access token that authenticated this user expires (nil: not from a token).
    public var expiresAt: Date? = nil
}

/// Issues and checks access tokens (JWT, HS256 pinned) and makes opaque refresh tokens.
public struct TokenService: Sendable {
    private let keys: JWTKeyCollection
    private let settings: ServerConfiguration.AuthSettings

    /// - Precondition: `secret` has at least 32 bytes (jwt-kit asserts on shorter HMAC keys).
    init(secret: [UInt8], settings: ServerConfiguration.AuthSettings) async {
        precondition(secret.count >= 32, "the JWT secret must have at least 256 bits")
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: "mesh")
        self.settings = settings
    }

    /// A signed access token for the user, valid for `accessTokenLifetime`.
    func accessToken(for user: AuthUser, now: Date = Date()) async throws -> String {
        let claims = AccessClaims(
            sub: .init(value: user.id.uuidString), iss: .init(value: settings.issuer),
            aud: .init(value: [settings.audience]),
            exp: .init(value: now.addingTimeInterval(settings.accessTokenLifetime)),
            iat: .init(value: now), name: user.name)
        return try await keys.sign(claims, kid: "mesh")
    }

    /// The user an access token names, or nil when it is malformed, forged, expired, for
    /// another audience or issuer, or signed with any algorithm but HS256.
    func verify(_ token: String) async -> AuthUser? {
        guard Self.headerAlgorithm(of: token) == "HS256",
              let claims = try? await keys.verify(token, as: AccessClaims.self),
              claims.iss.value == settings.issuer,
              claims.aud.value.contains(settings.audience),
              let id = UUID(uuidString: claims.sub.value)
        else { return nil }
        return AuthUser(id: id, name: claims.name, expiresAt: claims.exp.value)
    }

    /// A new opaque token — refresh token, invite code, verification token — (256 random bits,
    /// base64url) and the hash to store. It never starts with `-`, which a command line would
    /// take for an option (`mesh join -kvP…` failed so, one invite in 64).
    static func newOpaqueToken() -> (token: String, hash: String) {
        var generator = SystemRandomNumberGenerator()
        while true {
            let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let token = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            if !token.hasPrefix("-") { return (token, hash(token)) }
        }
    }

    /// SHA-256 of an opaque token, hex: what the database keeps.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The `alg` of a compact JWS header, read before any verification so that only HS256 passes.
    static func headerAlgorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["alg"] as? String
    }
}
