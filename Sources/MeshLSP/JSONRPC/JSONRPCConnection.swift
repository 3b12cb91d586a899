import Foundation
import MeshProtocol
#if canImport(Glibc)
import Glibc
import MeshFraming
#endif

/// JSON-RPC over a ``FramedConnection`` (stdin/stdout for `mesh lsp`).
public final class JSONRPCConnection: Sendable {
    /// What the peer sent: a message, or a message that could not be parsed (with the error
    /// to answer).
    public enum Incoming: Sendable {
        case message(JSONRPCMessage)
        case invalid(RequestID?, ResponseError)
    }

    /// Incoming messages in order; finishes when the input ends.
    public let incoming: AsyncStream<Incoming>
    private let framed: FramedConnection

    /// - Parameter onOutputClosed: called when the editor can no longer be written to.
    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, onOutputClosed: @escaping @Sendable () -> Void = {}) {
        let framed = FramedConnection(input: input, output: output, onOutputClosed: onOutputClosed)
        self.framed = framed
        incoming = AsyncStream { continuation in
            let task = Task {
                for await frame in framed.frames {
                    switch frame {
                    case let .message(data):
                        switch JSONRPCMessage.parse(data) {
                        case let .success(message): continuation.yield(.message(message))
                        case let .failure(failure): continuation.yield(.invalid(failure.id, failure.error))
                        }
                    case let .badHeader(reason):
                        continuation.yield(.invalid(nil, .parseError("bad message header: \(reason)")))
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Starts reading.
    public func start() { framed.start() }

    /// Sends one message.
    public func send(_ message: JSONRPCMessage) { framed.send(message.serialized()) }
}
