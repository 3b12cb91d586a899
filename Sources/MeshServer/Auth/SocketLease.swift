import Foundation
import MeshProtocol
import NIOConcurrencyHelpers

/// How long a WebSocket may stay open: until the access token it presented expires (a ticket
/// counts as a fresh token). The client extends it by sending a fresh token (or ticket) of the
/// same user over the socket (`auth`); when the last one expires the socket is closed, so a
/// stolen or revoked login cannot keep a socket forever.
final class SocketLease: Sendable {
    let user: UUID
    private let expiry: NIOLockedValueBox<Date?>

    init(user: AuthUser) {
        self.user = user.id
        expiry = NIOLockedValueBox(user.expiresAt)
    }

    /// When the socket's current token expires (nil: never, for a socket not opened by a token).
    var expiresAt: Date? { expiry.withLockedValue { $0 } }

    /// Checks a fresh access token: it must verify and name the same user. On success the lease
    /// lasts until that token's expiry (never shortened by an older token sent late).
    func renew(with token: String, tokens: TokenService) async -> Result<Date, ErrorMessage> {
        guard let fresh = await tokens.verify(token), let until = fresh.expiresAt else {
            return .failure(ErrorMessage(.unauthorized, "invalid or expired access token"))
        }
        guard fresh.id == user else {
            return .failure(ErrorMessage(.unauthorized, "the token is another user's; a socket keeps the user it opened with"))
        }
        return .success(extend(until: until))
    }

    /// Lets the socket live until `until`, never shortening it; returns the expiry now in force.
    func extend(until: Date) -> Date {
        expiry.withLockedValue { current in
            current = max(current ?? until, until)
            return current!
        }
    }

    /// Waits until the lease has expired (true) or the task is cancelled (false).
    func waitForExpiry() async -> Bool {
        while !Task.isCancelled {
            guard let at = expiresAt else {
                try? await Task.sleep(for: .seconds(3600))
                continue
            }
            let remaining = at.timeIntervalSinceNow
            if remaining <= 0 { return true }
            try? await Task.sleep(for: .milliseconds(Int64(min(remaining, 3600) * 1000) + 1))
        }
        return false
    }

    static let expiredMessage = "access token expired: send {\"type\":\"auth\",\"token\":…} with a fresh token before it expires, or reconnect"
}
