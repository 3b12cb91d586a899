import Foundation
import HTTPTypes
import Hummingbird

/// The guard on every unsafe request a cookie authenticates, and on the `/v1/auth/web/*`
/// routes: `X-Mesh-CSRF` must equal the `mesh_csrf` cookie (double submit: a page of another
/// site can neither read the cookie nor send the header without a preflight), and an `Origin`,
/// when sent, must be one the WebSocket accepts (``OriginPolicy``).
struct CSRFPolicy: Sendable {
    static let header = HTTPField.Name("X-Mesh-CSRF")!
    /// Shorter values are no secret (ours have 43 characters).
    static let minimumLength = 16

    let allowedOrigins: Set<String>

    /// Throws 403 `forbidden` unless the request passes.
    func check(_ request: Request) throws {
        guard let cookie = WebCookies.value(WebCookies.csrf, in: request), cookie.utf8.count >= Self.minimumLength,
              let header = request.headers[Self.header],
              Self.constantTimeEquals(Array(cookie.utf8), Array(header.utf8))
        else { throw ApiError.forbidden("missing or wrong CSRF token") }
        if let origin = request.headers[.origin],
           !OriginPolicy.allows(origin, host: request.head.authority, allowed: allowedOrigins) {
            throw ApiError.forbidden("origin \(origin) is not allowed")
        }
    }

    /// Whether a method changes nothing (no CSRF check).
    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }

    /// Equal bytes, in a time that depends only on the lengths.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
