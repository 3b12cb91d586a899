import Foundation

/// Counts failed logins per account and per address; past the limit within the window, further
/// attempts are refused until the oldest failure ages out.
actor LoginThrottle {
    private let limit: Int
    private let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Seconds until `keys` may try again, or nil when allowed now.
    func retryAfter(_ keys: [String], now: Date = Date()) -> TimeInterval? {
        var wait: TimeInterval?
        for key in keys {
            let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
            failures[key] = recent.isEmpty ? nil : recent
            if recent.count >= limit, let oldest = recent.first {
                wait = max(wait ?? 0, window - now.timeIntervalSince(oldest))
            }
        }
        return wait
    }

    func recordFailure(_ keys: [String], now: Date = Date()) {
        for key in keys { failures[key, default: []].append(now) }
    }

    func recordSuccess(_ keys: [String]) {
        for key in keys { failures[key] = nil }
    }
}
