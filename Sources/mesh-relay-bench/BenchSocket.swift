import Foundation
import HummingbirdWSClient
import Logging
import MeshProtocol
import NIOConcurrencyHelpers

/// A text frame as it reached the client, stamped when the client's read loop got it (before
/// any decoding). `text == nil` marks a local event pushed by the benchmark (a tick, a stop).
struct Received: Sendable {
    var text: String?
    var at: ContinuousClock.Instant
    var tag: Int = 0
}

/// The frames of one socket, for exactly one consumer: taken a batch at a time, waiting when
/// empty, or polled without waiting.
final class Inbox: Sendable {
    private struct State {
        var items: [Received] = []
        var waiter: CheckedContinuation<[Received]?, Never>?
        var finished = false
    }
    private let state = NIOLockedValueBox(State())

    func push(_ item: Received) {
        let waiter: CheckedContinuation<[Received]?, Never>? = state.withLockedValue { s in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.items.append(item)
            return nil
        }
        waiter?.resume(returning: [item])
    }

    /// Puts items back at the front, before anything queued since.
    func pushFront(_ items: [Received]) {
        guard !items.isEmpty else { return }
        state.withLockedValue { s in s.items.insert(contentsOf: items, at: 0) }
    }

    /// No more frames will come (the connection ended).
    func finish() {
        let waiter: CheckedContinuation<[Received]?, Never>? = state.withLockedValue { s in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Everything queued, waiting for at least one item; nil once finished and drained.
    func next() async -> [Received]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Received]?, Never>) in
            let ready: [Received]?? = state.withLockedValue { s in
                if !s.items.isEmpty {
                    defer { s.items.removeAll(keepingCapacity: true) }
                    return .some(s.items)
                }
                if s.finished { return .some(nil) }
                s.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Everything queued now, without waiting.
    func poll() -> [Received] {
        state.withLockedValue { s in
            defer { s.items.removeAll(keepingCapacity: true) }
            return s.items
        }
    }
}

/// One collaboration WebSocket (`/v1/ws`) over loopback, thin on purpose: messages are sent as
/// pre-encoded text, frames are stamped on arrival and queued raw in ``inbox``.
final class BenchSocket: Sendable {
    let inbox: Inbox
    /// When set, the connection's end is pushed into ``inbox`` as a local event with this tag
    /// instead of finishing it: the cluster benchmark's clients keep one inbox across reconnects.
    private let closeTag: Int?
    private let writer: NIOLockedValueBox<WebSocketOutboundWriter?> = .init(nil)
    private let connection: NIOLockedValueBox<Task<Void, Never>?> = .init(nil)
    private let failure: NIOLockedValueBox<String?> = .init(nil)

    private init(inbox: Inbox, closeTag: Int?) {
        self.inbox = inbox
        self.closeTag = closeTag
    }

    /// Connects with the bearer token; returns once the upgrade is done. Frames go to `inbox`
    /// (a new one by default); see ``closeTag`` for `closeTag`.
    static func connect(port: Int, token: String, inbox: Inbox = Inbox(), closeTag: Int? = nil) async throws -> BenchSocket {
        let socket = BenchSocket(inbox: inbox, closeTag: closeTag)
        let configuration = {
            var configuration = WebSocketClientConfiguration(maxFrameSize: 64 << 20)
            configuration.additionalHeaders[.authorization] = "Bearer \(token)"
            return configuration
        }()
        let logger = {
            var logger = Logger(label: "mesh.relay-bench.ws")
            logger.logLevel = .critical
            return logger
        }()
        let url = "ws://127.0.0.1:\(port)/v1/ws"
        try await withCheckedThrowingContinuation { (opened: CheckedContinuation<Void, any Error>) in
            let once = NIOLockedValueBox<CheckedContinuation<Void, any Error>?>(opened)
            @Sendable func takeOnce() -> CheckedContinuation<Void, any Error>? {
                once.withLockedValue { value in
                    defer { value = nil }
                    return value
                }
            }
            let task = Task {
                do {
                    try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                        socket.writer.withLockedValue { $0 = outbound }
                        takeOnce()?.resume()
                        for try await message in inbound.messages(maxSize: 64 << 20) {
                            guard case let .text(text) = message else { continue }
                            inbox.push(Received(text: text, at: .now))
                        }
                    }
                } catch {
                    socket.failure.withLockedValue { $0 = "\(error)" }
                }
                socket.writer.withLockedValue { $0 = nil }
                if let closeTag { inbox.push(Received(text: nil, at: .now, tag: closeTag)) } else { inbox.finish() }
                takeOnce()?.resume(throwing: BenchError(
                    "WebSocket to \(url) failed: \(socket.failure.withLockedValue { $0 } ?? "closed")"))
            }
            socket.connection.withLockedValue { $0 = task }
        }
        return socket
    }

    /// Writes one text frame.
    func send(_ text: String) async throws {
        guard let writer = writer.withLockedValue({ $0 }) else {
            throw BenchError("socket closed" + (failure.withLockedValue { $0 }.map { ": \($0)" } ?? ""))
        }
        try await writer.write(.text(text))
    }

    /// Closes normally and waits for the connection to end.
    func close() async {
        if let writer = writer.withLockedValue({ $0 }) { try? await writer.close(.normalClosure, reason: nil) }
        await connection.withLockedValue { $0 }?.value
    }

    /// Sends `hello`, waits for `welcome`, opens `path` and returns its snapshot.
    func join(session: String, path: String) async throws -> ServerMessage.Snapshot {
        try await send(Wire.encode(.hello(.init(session: session, client: "mesh-relay-bench"))))
        _ = try await expect("welcome") { if case let .welcome(w) = $0 { w } else { nil } }
        try await send(Wire.encode(.open(.init(path: path))))
        return try await expect("snapshot") { if case let .snapshot(s) = $0 { s } else { nil } }
    }

    /// Skips frames until one decodes to what `match` accepts (an `error` fails at once).
    private func expect<T>(_ what: String, _ match: (ServerMessage) -> T?) async throws -> T {
        while let batch = await inbox.next() {
            var found: T?
            var rest: [Received] = []
            for item in batch {
                guard found == nil else { rest.append(item); continue }
                guard let text = item.text else { continue }
                let message = try Wire.decode(text)
                if case let .error(error) = message { throw BenchError("expected \(what), got error \(error)") }
                found = match(message)
            }
            if let found {
                inbox.pushFront(rest)  // keep what followed, in order
                return found
            }
        }
        throw BenchError("connection closed while waiting for \(what)" + (failure.withLockedValue { $0 }.map { ": \($0)" } ?? ""))
    }
}

/// JSON on the wire: one encoder and decoder per thread would be overkill; these are cheap to make.
enum Wire {
    static func encode(_ message: ClientMessage) throws -> String {
        try WireCodec.encode(message)
    }

    static func decode(_ text: String) throws -> ServerMessage {
        try WireCodec.decodeServerMessage(text)
    }
}
