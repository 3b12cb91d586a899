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
    /// Whether a request came over https (the rule the invite page uses too).
    let scheme: RequestScheme

    /// Over https: TLS here, or `X-Forwarded-Proto: https` from a trusted proxy (``RequestScheme``).
    func isSecure(_ request: Request, _ context: MeshRequestContext) -> Bool {
        scheme.isHTTPS(request, context)
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

    /// A cookie's value in the request, nil when absent or empty (``value(_:inCookieHeaders:)``).
    static func value(_ name: String, in request: Request) -> String? {
        value(name, inCookieHeaders: request.headers[values: .cookie])
    }

    /// The value of the first cookie called `name` in these `Cookie` field values, nil when
    /// absent or empty. Read in UTF-8 bytes, as RFC 6265 sends them: pairs end at the byte `;`
    /// only; a name and a value lose the spaces and tabs around them, nothing else; the value is
    /// all after the first `=`, with any further `=` and any quotes (as the browser stores it).
    /// The first cookie of a name counts (a browser sends the one of the longest path first), even
    /// when empty. Linear in the headers' length.
    ///
    /// Not Hummingbird's `request.cookies`, which compares Characters: U+037E GREEK QUESTION MARK
    /// (canonically `;`) ended a pair there, so another cookie's value could carry a `mesh_csrf=`
    /// of its own, while a `;` followed by a combining mark ended none; it also dropped the `=`
    /// a value begins with and took a name after Unicode whitespace (U+3000) for the bare name.
    static func value(_ name: String, inCookieHeaders headers: [String]) -> String? {
        let wanted = Array(name.utf8)
        for header in headers {
            let bytes = Array(header.utf8)
            var start = 0
            while start <= bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
                if let equals = bytes[start..<end].firstIndex(of: UInt8(ascii: "=")),
                   trimmingSpaces(bytes[start..<equals]).elementsEqual(wanted) {
                    let value = trimmingSpaces(bytes[(equals + 1)..<end])
                    // Cut at ASCII bytes of valid UTF-8: the same scalars as in the header.
                    return value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
                }
                start = end + 1
            }
        }
        return nil
    }

    /// Without the spaces and horizontal tabs at either end.
    private static func trimmingSpaces(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return bytes
    }
}
