import NIOConcurrencyHelpers

/// The bytes every connection of this server may hold queued for sending, together: past it a
/// connection that would queue more is cut off as too slow, so stalled readers cannot exhaust
/// the server's memory however many there are.
final class SendBudget: Sendable {
    let limit: Int
    private let used = NIOLockedValueBox(0)

    init(limit: Int) { self.limit = limit }

    /// Takes `bytes` from the budget; false (and nothing taken) when that would exceed it.
    func take(_ bytes: Int) -> Bool {
        used.withLockedValue { used in
            guard bytes <= limit - used else { return false }
            used += bytes
            return true
        }
    }

    func give(_ bytes: Int) {
        used.withLockedValue { $0 = max(0, $0 - bytes) }
    }

    /// Bytes queued on every connection now (the `mesh_send_queue_bytes` gauge).
    var inUse: Int { used.withLockedValue { $0 } }
}
