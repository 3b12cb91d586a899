import Foundation
import HTTPTypes
import Hummingbird
import MeshProtocol

/// The browser client's cookies (docs/web.md, "Cookies"): the access token and the refresh
/// token in `HttpOnly; SameSite=Strict` cookies the page cannot read, and the CSRF value it
/// can. `Secure` whenever the request came over https.
struct WebCookies: Sendable {
    static let access = "mesh_access"
    static let refresh = "mesh_refresh"
    static let csrf = "mesh_csrf"
    /// The refresh cookie goes only to the routes that use it.
    static let refreshPath = "/v1/auth/web"

    let settings: ServerConfiguration.AuthSettings
    /// The server speaks TLS itself: every request came over https.
    let tls: Bool

    /// Over https: TLS here, or `X-Forwarded-Proto: https` from a trusted proxy.
    func isSecure(_ request: Request, _ context: MeshRequestContext) -> Bool {
        if tls { return true }
        guard settings.trustedProxies.contains(context.remoteAddress) else { return false }
        return request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    /// `Set-Cookie` values for a login: the access token for every path, the refresh token
    /// for `/v1/auth/web` only.
    func login(_ pair: TokenPair, secure: Bool) -> [String] {
        [
            Self.cookie(Self.access, pair.accessToken, path: "/", maxAge: Int(settings.accessTokenLifetime), httpOnly: true, secure: secure),
            Self.cookie(Self.refresh, pair.refreshToken, path: Self.refreshPath, maxAge: Int(settings.refreshTokenLifetime),
                        httpOnly: true, secure: secure),
        ]
    }

    /// `Set-Cookie` values that delete both login cookies.
    func logout(secure: Bool) -> [String] {
        [
            Self.cookie(Self.access, "", path: "/", maxAge: 0, httpOnly: true, secure: secure),
            Self.cookie(Self.refresh, "", path: Self.refreshPath, maxAge: 0, httpOnly: true, secure: secure),
        ]
    }

    /// A new CSRF cookie (32 random bytes, base64url), readable by the page, for the browser session.
    func newCSRF(secure: Bool) -> String {
        Self.cookie(Self.csrf, TokenService.newOpaqueToken().token, path: "/", maxAge: nil, httpOnly: false, secure: secure)
    }

    static func cookie(_ name: String, _ value: String, path: String, maxAge: Int?, httpOnly: Bool, secure: Bool) -> String {
        var parts = ["\(name)=\(value)", "Path=\(path)"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if httpOnly { parts.append("HttpOnly") }
        parts.append("SameSite=Strict")
        if secure { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    /// A cookie's value in the request, nil when absent or empty.
    static func value(_ name: String, in request: Request) -> String? {
        guard let value = request.cookies[name]?.value, !value.isEmpty else { return nil }
        return value
    }
}
