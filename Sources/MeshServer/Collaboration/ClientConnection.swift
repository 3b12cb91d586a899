import Foundation
import MeshProtocol
import MeshStore
import NIOConcurrencyHelpers

/// One client's WebSocket as the rest of the server sees it: who it is, its current role, and
/// a bounded outbound queue. A client that falls `sendQueueLimit` messages behind is
/// disconnected (it resyncs on reconnect): a message is never dropped silently.
final class ClientConnection: Sendable, Hashable {
    let id = UUID()
    let user: AuthUser
    let session: UUID
    private let state: NIOLockedValueBox<State>
    private let continuation: AsyncStream<String>.Continuation
    /// The encoded messages to write, in order.
    let outgoing: AsyncStream<String>
    /// Ends when the send queue overflowed: the socket must close now, without draining.
    let overflowed: AsyncStream<Void>
    private let overflowContinuation: AsyncStream<Void>.Continuation

    struct State {
        var role: Role
        var closeReason: CloseReason?
        var tokens: Double
        var lastRefill: Date
        /// Bytes queued and not written yet (all of them taken from `budget`).
        var queuedBytes = 0
        /// The writer has stopped and given the queue's bytes back: nothing more is queued.
        var released = false
        /// Catch-ups read from the op log for this connection (``takeLogCatchUp()``).
        var logCatchUps = 0
    }

    /// The most catch-ups one connection may have read from the op log: a reconnecting client
    /// needs one per document it follows; a client opening a document again and again with an
    /// old revision gets snapshots after that, so it cannot make the server read the log on every
    /// message.
    static let maxLogCatchUps = 64

    /// Whether this connection may have one more catch-up read from the op log (counted).
    func takeLogCatchUp() -> Bool {
        state.withLockedValue { s in
            guard s.logCatchUps < Self.maxLogCatchUps else { return false }
            s.logCatchUps += 1
            return true
        }
    }

    /// Called once when the send queue overflows (for the slow-client metric).
    private let onOverflow: @Sendable () -> Void
    /// The most bytes this connection may have queued, and the server-wide budget they come from.
    private let byteLimit: Int
    private let budget: SendBudget

    init(user: AuthUser, session: UUID, role: Role, queueLimit: Int, byteLimit: Int = .max,
         budget: SendBudget = SendBudget(limit: .max), burst: Double, onOverflow: @escaping @Sendable () -> Void = {}) {
        self.onOverflow = onOverflow
        self.user = user
        self.session = session
        self.byteLimit = byteLimit
        self.budget = budget
        state = NIOLockedValueBox(State(role: role, tokens: burst, lastRefill: Date()))
        (outgoing, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(queueLimit))
        (overflowed, overflowContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    var role: Role { state.withLockedValue { $0.role } }
    func setRole(_ role: Role) { state.withLockedValue { $0.role = role } }
    var closeReason: CloseReason? { state.withLockedValue { $0.closeReason } }

    /// Queues an encoded message; a full queue (in messages, in this connection's bytes, or in
    /// the server's) closes the connection: a slow reader is cut off, never fed partially.
    func send(_ text: String) {
        let bytes = text.utf8.count
        let admitted: Bool? = state.withLockedValue { s in
            guard s.closeReason == nil, !s.released else { return nil }   // closing: dropped
            guard bytes <= byteLimit - s.queuedBytes, budget.take(bytes) else { return false }
            s.queuedBytes += bytes
            return true
        }
        guard let admitted else { return }
        guard admitted else { return overflow() }
        if case .dropped = continuation.yield(text) {
            written(bytes)
            overflow()
        }
    }

    /// The writer wrote a message of `bytes`: they leave the queue and return to the budget.
    func written(_ bytes: Int) {
        state.withLockedValue { $0.queuedBytes -= bytes }
        budget.give(bytes)
    }

    /// The writer stopped: whatever it did not write returns to the budget, and nothing sent
    /// later takes from it (no writer would ever give it back).
    func releaseQueue() {
        let left = state.withLockedValue { s in
            defer { s.queuedBytes = 0; s.released = true }
            return s.queuedBytes
        }
        budget.give(left)
    }

    private func overflow() {
        guard closeReason == nil else { return }
        onOverflow()
        close(reason: .tooSlow)
        overflowContinuation.finish()
    }

    func send(_ message: ServerMessage) { send(WireCodec.encode(message)) }

    /// Ends the outbound stream; the writer then closes the socket with `reason` (the first
    /// reason given wins).
    func close(reason: CloseReason) {
        state.withLockedValue { if $0.closeReason == nil { $0.closeReason = reason } }
        continuation.finish()
    }

    /// Stops waiting for an overflow (the connection ended normally).
    func finishOverflowWatch() {
        overflowContinuation.finish()
    }

    /// Token-bucket rate limit: false when the message is over the limit.
    func admit(rate: Double, burst: Double, now: Date = Date()) -> Bool {
        state.withLockedValue { s in
            s.tokens = min(burst, s.tokens + now.timeIntervalSince(s.lastRefill) * rate)
            s.lastRefill = now
            guard s.tokens >= 1 else { return false }
            s.tokens -= 1
            return true
        }
    }

    static func == (lhs: ClientConnection, rhs: ClientConnection) -> Bool { lhs.id == rhs.id }
    func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
