import Foundation
import MeshProtocol
import NIOConcurrencyHelpers
@testable import MeshLSP

/// `mesh lsp`'s server run in this process, its editor scripted: what the test sends goes in as
/// the editor's messages, and everything the server sends the editor is kept.
final class InProcessLanguageServer: Sendable {
    private let sent = NIOLockedValueBox<[JSONRPCMessage]>([])
    private let input: AsyncStream<JSONRPCConnection.Incoming>.Continuation
    /// The server's run: its exit code once the input ended.
    let serving: Task<Int32, Never>

    init(environment: [String: String]) {
        let sent = self.sent
        let lsp = LanguageServer(environment: environment) { message in sent.withLockedValue { $0.append(message) } }
        let (stream, input) = AsyncStream.makeStream(of: JSONRPCConnection.Incoming.self)
        self.input = input
        serving = Task { await lsp.run(stream) }
    }

    /// Sends the server a message from the editor.
    func editor(_ message: JSONRPCMessage) { input.yield(.message(message)) }

    /// `initialize` (id 1) for the folder `root`, then `initialized`.
    func initialize(root: URL, options: JSONValue? = nil) {
        var params: [String: JSONValue] = ["processId": .null, "rootUri": .string(root.absoluteString), "capabilities": [:]]
        if let options { params["initializationOptions"] = options }
        editor(.request(id: .number(1), method: "initialize", params: .object(params)))
        editor(.notification(method: "initialized", params: [:]))
    }

    /// The editor goes away (its input ends).
    func finish() { input.finish() }

    /// Everything the server sent so far.
    var messages: [JSONRPCMessage] { sent.withLockedValue { $0 } }

    /// The answer to request `id`, if it came.
    func answer(_ id: Int) -> Result<JSONValue, ResponseError>? {
        for case let .response(.number(answered)?, result) in messages where answered == id { return result }
        return nil
    }

    /// The ids of the requests answered, in order.
    var answeredIDs: [RequestID] { messages.compactMap { if case let .response(id?, _) = $0 { id } else { nil } } }

    /// The `window/logMessage` texts so far.
    var logged: [String] {
        messages.compactMap { if case let .notification("window/logMessage", params) = $0 { params?["message"]?.string } else { nil } }
    }

    /// Waits (30 s at most) until `condition` holds; returns whether it did.
    @discardableResult
    func wait(until condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }

    /// The exit code once the input ended, nil when the server is still running after `limit`.
    func exitCode(within limit: Duration) async -> Int32? {
        let serving = self.serving
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await serving.value }
            group.addTask { try? await Task.sleep(for: limit); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
