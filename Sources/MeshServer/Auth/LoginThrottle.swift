import Foundation

/// Counts attempts per key within a window; past a key's limit, further attempts are refused
/// until the oldest ages out. An attempt is *reserved* before the slow work it guards (bcrypt)
/// and in the same step as the check, so a burst of parallel attempts cannot all pass the check
/// before any is counted; a successful login gives its reservation back.
actor LoginThrottle {
    /// A key and how many attempts it allows within the window.
    struct Limit: Sendable {
        var key: String
        var limit: Int
    }

    private let window: TimeInterval
    private var attempts: [String: [Date]] = [:]

    init(window: TimeInterval) {
        self.window = window
    }

    /// Reserves one attempt under every limit at once and returns nil, or, when any limit is
    /// reached, reserves nothing and returns the seconds until it allows one again.
    func reserve(_ limits: [Limit], now: Date = Date()) -> TimeInterval? {
        var wait: TimeInterval?
        for limit in limits {
            let recent = (attempts[limit.key] ?? []).filter { now.timeIntervalSince($0) < window }
            attempts[limit.key] = recent.isEmpty ? nil : recent
            if recent.count >= limit.limit, let oldest = recent.first {
                wait = max(wait ?? 0, window - now.timeIntervalSince(oldest))
            }
        }
        if let wait { return wait }
        for limit in limits { attempts[limit.key, default: []].append(now) }
        return nil
    }

    /// Gives back the attempts reserved at `reservedAt` (a successful login does not count).
    func refund(_ keys: [String], reservedAt: Date) {
        for key in keys {
            guard var recent = attempts[key], let index = recent.lastIndex(of: reservedAt) else { continue }
            recent.remove(at: index)
            attempts[key] = recent.isEmpty ? nil : recent
        }
    }
}
