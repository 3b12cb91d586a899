import Foundation
import MeshProtocol

/// Reads one socket's frames in order, decoding them one at a time (after their arrival stamp).
struct Reader {
    let inbox: Inbox
    private var batch: [Received] = []
    private var index = 0

    init(_ socket: BenchSocket) { inbox = socket.inbox }

    /// Reads an inbox that outlives its sockets (the cluster benchmark's clients reconnect).
    init(inbox: Inbox) { self.inbox = inbox }

    /// The next frame or local event; nil when the connection ended.
    mutating func next() async -> Received? {
        while index >= batch.count {
            guard let more = await inbox.next() else { return nil }
            batch = more
            index = 0
        }
        defer { index += 1 }
        return batch[index]
    }

    /// The next frames that arrived already, without waiting.
    mutating func poll() -> Received? {
        if index >= batch.count {
            batch = inbox.poll()
            index = 0
            if batch.isEmpty { return nil }
        }
        defer { index += 1 }
        return batch[index]
    }

    /// Skips frames until `match` accepts one; `error` messages and a closed socket throw.
    mutating func expect<T>(_ what: String, _ match: (ServerMessage) -> T?) async throws -> (T, ContinuousClock.Instant) {
        while let item = await next() {
            guard let text = item.text else { continue }
            let message = try Wire.decode(text)
            if case let .error(error) = message { throw BenchError("waiting for \(what): server error \(error)") }
            if let found = match(message) { return (found, item.at) }
        }
        throw BenchError("the connection closed while waiting for \(what)")
    }
}
