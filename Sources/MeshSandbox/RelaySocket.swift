import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The debug relay's DAP stream over the Unix socket the server listens on and bind-mounts into
/// the container (`mesh-relay` dials it when `MESH_RELAY_SOCKET` is set; ``RelayListener``). It skips Docker's attached stdio,
/// which copies every message through dockerd and containerd-shim. Blocking socket calls run on a
/// dedicated thread, never on Swift concurrency's pool.
public final class RelaySocket: Sendable {
    /// Bytes from the relay, in order; finishes when the relay closes the connection.
    public let input: AsyncStream<Data>
    private let continuation: AsyncStream<Data>.Continuation
    private let fd: Int32
    private let writeLock = NIOLock()
    private let closed = NIOLockedValueBox(false)
    /// Called on every read and write: traffic keeps the container's idle limit away.
    private let onActivity: @Sendable () -> Void

    /// Takes over `fd`, the relay's accepted connection (``RelayListener``).
    init(fd: Int32, onActivity: @escaping @Sendable () -> Void) {
        self.fd = fd
        self.onActivity = onActivity
        (input, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .unbounded)
        let thread = Thread { [self] in readLoop() }
        thread.name = "mesh-relay-socket"
        thread.start()
    }

    /// Writes to the relay; false once the connection is closed.
    @discardableResult
    public func write(_ data: Data) -> Bool {
        onActivity()
        return writeLock.withLock { closed.withLockedValue { $0 } ? false : UnixSocket.writeAll(fd, Array(data)) }
    }

    /// Closes the connection (the relay reads end of file; `input` finishes).
    public func close() {
        writeLock.withLock { if !closed.withLockedValue({ $0 }) { _ = shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            onActivity()
            continuation.yield(Data(buffer[0..<n]))
        }
        continuation.finish()
        writeLock.withLock {
            closed.withLockedValue { $0 = true }
            Glibc.close(fd)
        }
    }
}
