import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// JSON-RPC over a pair of file descriptors (stdin/stdout for `mesh lsp`), with LSP's
/// `Content-Length` framing. Reading happens on a dedicated thread, never on Swift
/// concurrency's cooperative pool; writes are serialized by a lock.
public final class JSONRPCConnection: Sendable {
    /// What the peer sent: a message, or a message that could not be parsed (with the error
    /// to answer).
    public enum Incoming: Sendable {
        case message(JSONRPCMessage)
        case invalid(RequestID?, ResponseError)
    }

    /// Incoming messages in order; finishes when the input ends.
    public let incoming: AsyncStream<Incoming>
    private let continuation: AsyncStream<Incoming>.Continuation
    private let input: Int32
    private let output: Int32
    private let writeLock = NSLock()

    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        self.input = input
        self.output = output
        (incoming, continuation) = AsyncStream.makeStream(of: Incoming.self, bufferingPolicy: .unbounded)
    }

    /// Starts the reader thread.
    public func start() {
        let thread = Thread { [self] in readLoop() }
        thread.name = "mesh-lsp-reader"
        thread.start()
    }

    /// Sends one message.
    public func send(_ message: JSONRPCMessage) {
        let data = MessageFramer.frame(message.serialized())
        writeLock.lock()
        defer { writeLock.unlock() }
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(output, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0, errno == EINTR { continue } else { return }
            }
        }
    }

    private func readLoop() {
        var framer = MessageFramer()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            for frame in framer.feed(buffer[0..<n]) {
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
        }
        continuation.finish()
    }
}
