import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `Content-Length`-framed messages over a pair of file descriptors (stdin/stdout for
/// `mesh lsp` and `mesh dap`). Reading happens on a dedicated thread, never on Swift
/// concurrency's cooperative pool; writes are serialized by a lock.
public final class FramedConnection: Sendable {
    /// Frames in order; finishes when the input ends.
    public let frames: AsyncStream<MessageFramer.Frame>
    private let continuation: AsyncStream<MessageFramer.Frame>.Continuation
    private let input: Int32
    private let output: Int32
    /// Held for the whole of each write, so that messages never interleave.
    private let writeLock = Mutex(Flags())

    /// Called once when a write fails for good (the peer closed its end: the editor is gone).
    private let onOutputClosed: @Sendable () -> Void

    private struct Flags {
        /// A write failed for good: later sends do nothing.
        var outputClosed = false
        var inputEnded = false
    }

    /// Whether the input has ended (the peer closed its end, e.g. the editor quit).
    public var inputEnded: Bool {
        writeLock.withLock { $0.inputEnded }
    }

    public init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, onOutputClosed: @escaping @Sendable () -> Void = {}) {
        self.input = input
        self.output = output
        self.onOutputClosed = onOutputClosed
        (frames, continuation) = AsyncStream.makeStream(of: MessageFramer.Frame.self, bufferingPolicy: .unbounded)
    }

    /// Starts the reader thread.
    public func start() {
        let thread = Thread { [self] in readLoop() }
        thread.name = "mesh-framed-reader"
        thread.start()
    }

    /// Writes one message with its header.
    public func send(_ content: Data) {
        let data = MessageFramer.frame(content)
        writeLock.withLock { flags in
            guard !flags.outputClosed else { return }
            let failed = data.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = write(output, raw.baseAddress! + offset, raw.count - offset)
                    if n > 0 { offset += n } else if n < 0, errno == EINTR || errno == EAGAIN { continue } else { return true }
                }
                return false
            }
            if failed {
                flags.outputClosed = true
                onOutputClosed()
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
            for frame in framer.feed(buffer[0..<n]) { continuation.yield(frame) }
        }
        writeLock.withLock { $0.inputEnded = true }
        continuation.finish()
    }
}
