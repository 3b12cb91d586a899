import Foundation
import NIOConcurrencyHelpers

/// The WebSockets (collaboration and debug) each user has open, so that revoking a user's
/// tokens — logout, a password change, a refresh token used twice — closes what they opened
/// instead of leaving it running on an access token nobody may use any more.
final class LiveSockets: Sendable {
    typealias Close = @Sendable (_ reason: CloseReason) async -> Void

    private let sockets = NIOLockedValueBox<[UUID: [UUID: Close]]>([:])
    private let announcer = NIOLockedValueBox<(@Sendable (UUID, CloseReason) -> Void)?>(nil)

    /// Registers an open socket of `user`; returns the key to unregister it with.
    func register(user: UUID, close: @escaping Close) -> UUID {
        let key = UUID()
        sockets.withLockedValue { $0[user, default: [:]][key] = close }
        return key
    }

    func unregister(user: UUID, key: UUID) {
        sockets.withLockedValue { sockets in
            sockets[user]?[key] = nil
            if sockets[user]?.isEmpty == true { sockets[user] = nil }
        }
    }

    /// Closes every socket `user` has open, with `reason`.
    func closeAll(user: UUID, reason: CloseReason) async {
        if let announce = announcer.withLockedValue({ $0 }) { announce(user, reason) }
        await closeHere(user: user, reason: reason)
    }

    /// With several nodes: how a revocation here reaches the sockets the user has on other nodes.
    func announceClosures(_ announce: @escaping @Sendable (UUID, CloseReason) -> Void) {
        announcer.withLockedValue { $0 = announce }
    }

    /// Closes the user's sockets on this node only (another node revoked their tokens).
    func closeHere(user: UUID, reason: CloseReason) async {
        let closers = sockets.withLockedValue { $0.removeValue(forKey: user).map { Array($0.values) } ?? [] }
        for close in closers { await close(reason) }
    }

    /// Sockets open now, for tests and metrics.
    func count(user: UUID) -> Int { sockets.withLockedValue { $0[user]?.count ?? 0 } }
}
