import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The debug relay's DAP stream over a Unix socket in a folder bind-mounted into the container
/// (`mesh-relay` listens on it when `MESH_RELAY_SOCKET` is set). It skips Docker's attached stdio,
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

    private init(fd: Int32, onActivity: @escaping @Sendable () -> Void) {
        self.fd = fd
        self.onActivity = onActivity
        (input, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .unbounded)
        let thread = Thread { [self] in readLoop() }
        thread.name = "mesh-relay-socket"
        thread.start()
    }

    /// Connects to the socket at `path` once the relay has created it, waiting up to `timeout`
    /// or until `gaveUp` says the container is gone.
    static func connect(path: String, timeout: Duration, gaveUp: @escaping @Sendable () -> Bool,
                        onActivity: @escaping @Sendable () -> Void) async throws -> RelaySocket {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Connecting to a listening Unix socket does not block (an absent or not yet listening
            // one fails at once), so it is done right here.
            if FileManager.default.fileExists(atPath: path), let socket = try? open(path, onActivity: onActivity) {
                return socket
            }
            if gaveUp() || ContinuousClock.now > deadline {
                throw DockerError.attach("the debug relay did not listen on its socket within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private static func open(_ path: String, onActivity: @escaping @Sendable () -> Void) throws -> RelaySocket {
        do {
            return RelaySocket(fd: try UnixSocket.connect(path), onActivity: onActivity)
        } catch {
            throw DockerError.attach("connecting to the debug relay: \(error.reason)")
        }
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
