import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import MeshProtocol
import NIOConcurrencyHelpers

/// A raw collaboration WebSocket for tests: send any text, await decoded server messages.
final class TestSocket: Sendable {
    private let outgoing: AsyncStream<String>.Continuation
    private let inbox = Inbox()
    private let task: Task<WebSocketCloseFrame?, any Error>
    /// Unparseable server frames would be a server bug: they are kept to fail the test.
    let label: String

    /// Connects with a bearer token (and optional extra headers); does not send `hello`.
    init(_ server: some ServerEndpoint, token: String?, headers: HTTPFields = [:], maxFrameSize: Int = 1 << 24, label: String = "") {
        self.label = label
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        outgoing = continuation
        var configuration = WebSocketClientConfiguration(maxFrameSize: maxFrameSize)
        configuration.additionalHeaders = headers
        if let token { configuration.additionalHeaders[.authorization] = "Bearer \(token)" }
        let inbox = self.inbox
        var logger = Logger(label: "test.ws")
        logger.logLevel = .critical
        task = Task {
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/v1/ws",
                                              configuration: configuration, logger: logger) { inbound, outbound, _ in
                let writer = Task {
                    for await text in stream { try await outbound.write(.text(text)) }
                }
                defer { writer.cancel() }
                for try await message in inbound.messages(maxSize: 1 << 26) {
                    if case let .text(text) = message { await inbox.push(text) }
                }
            }
        }
        Task { [task, inbox] in
            _ = await task.result
            await inbox.finish()
        }
    }

    /// Connects and completes the hello handshake; returns the welcome.
    static func join(_ server: some ServerEndpoint, _ user: TestUser, session: String, label: String = "") async throws -> (TestSocket, ServerMessage.Welcome) {
        let socket = TestSocket(server, token: user.accessToken, label: label.isEmpty ? user.name : label)
        socket.send(.hello(.init(session: session, client: "test")))
        guard case let .welcome(welcome) = try await socket.next() else { throw TestSetupError("no welcome") }
        return (socket, welcome)
    }

    func send(_ message: ClientMessage) {
        let data = try! JSONEncoder().encode(message)
        outgoing.yield(String(decoding: data, as: UTF8.self))
    }

    func sendRaw(_ text: String) { outgoing.yield(text) }

    /// The next server message, or an error after `timeout` or when the socket closed.
    func next(timeout: Duration = .seconds(10)) async throws -> ServerMessage {
        guard let text = try await inbox.pop(timeout: timeout) else { throw TestSetupError("\(label): socket closed") }
        return try JSONDecoder().decode(ServerMessage.self, from: Data(text.utf8))
    }

    /// Skips messages until one matches.
    func next<T>(timeout: Duration = .seconds(10), _ match: (ServerMessage) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { throw TestSetupError("\(label): no matching message within \(timeout)") }
            if let found = match(try await next(timeout: remaining)) { return found }
        }
    }

    /// True when the server closed the connection within `timeout`.
    func waitClosed(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            do { _ = try await inbox.pop(timeout: deadline - .now) } catch { return false }
            if await inbox.isFinished, await inbox.isEmpty { return true }
        }
        return false
    }

    func close() {
        outgoing.finish()
        task.cancel()
    }

    /// Server frames received, in order, awaitable with a timeout.
    actor Inbox {
        private var items: [String] = []
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private(set) var isFinished = false
        var isEmpty: Bool { items.isEmpty }

        func push(_ text: String) {
            items.append(text)
            wake()
        }

        func finish() {
            isFinished = true
            wake()
        }

        private func wake() {
            let w = waiters
            waiters.removeAll()
            for waiter in w { waiter.resume() }
        }

        /// nil when finished and drained.
        func pop(timeout: Duration) async throws -> String? {
            let deadline = ContinuousClock.now + timeout
            while items.isEmpty {
                if isFinished { return nil }
                guard ContinuousClock.now < deadline else { throw TestSetupError("timed out waiting for a message") }
                let sleeper = Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(50))
                    await self?.wakeAll()
                }
                await withCheckedContinuation { waiters.append($0) }
                sleeper.cancel()
            }
            return items.removeFirst()
        }

        private func wakeAll() { wake() }
    }
}
