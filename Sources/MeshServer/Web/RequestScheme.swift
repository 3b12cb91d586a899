import Foundation
import HTTPTypes
import Hummingbird

/// Whether a request came over https: the one rule for the cookies' `Secure` (``WebCookies``)
/// and the invite page's link (``InvitePageController``). Always when this server speaks TLS
/// itself; otherwise only when a trusted proxy (`--trusted-proxies`) says so in
/// `X-Forwarded-Proto`, a header anyone else can write as well.
struct RequestScheme: Sendable {
    /// The server speaks TLS itself: every request came over https.
    let tls: Bool
    /// The addresses whose `X-Forwarded-Proto` is believed.
    let trustedProxies: Set<String>

    func isHTTPS(_ request: Request, _ context: MeshRequestContext) -> Bool {
        if tls { return true }
        guard trustedProxies.contains(context.remoteAddress) else { return false }
        return request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}
