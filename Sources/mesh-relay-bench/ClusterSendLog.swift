import Foundation
import NIOConcurrencyHelpers

/// When each op was first sent, and from which node (by `opId`, shared by every client); an
/// op resent after a reconnect is marked, so its latency (the outage included) is kept apart.
final class ClusterSendLog: Sendable {
    struct Entry: Sendable {
        var at: ContinuousClock.Instant
        var node: Int
        var resent = false
    }
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    func sent(_ opId: String, at: ContinuousClock.Instant, node: Int) {
        entries.withLockedValue { entries in
            if entries[opId] == nil { entries[opId] = Entry(at: at, node: node) }
        }
    }

    func resent(_ opId: String) { entries.withLockedValue { $0[opId]?.resent = true } }
    func entry(_ opId: String) -> Entry? { entries.withLockedValue { $0[opId] } }
}
