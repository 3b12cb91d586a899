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

    private init(fd: Int32) {
        self.fd = fd
        (input, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .unbounded)
        let thread = Thread { [self] in readLoop() }
        thread.name = "mesh-relay-socket"
        thread.start()
    }

    /// Connects to the socket at `path` once the relay has created it, waiting up to `timeout`
    /// or until `gaveUp` says the container is gone.
    static func connect(path: String, timeout: Duration, gaveUp: @escaping @Sendable () -> Bool) async throws -> RelaySocket {
        let deadline = ContinuousClock.now + timeout
        while true {
            if FileManager.default.fileExists(atPath: path) {
                let result: Result<RelaySocket, any Error> = await withCheckedContinuation { continuation in
                    Thread { continuation.resume(returning: Result { try open(path) }) }.start()
                }
                if case .success = result { return try result.get() }
            }
            if gaveUp() || ContinuousClock.now > deadline {
                throw DockerError.attach("the debug relay did not listen on its socket within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private static func open(_ path: String) throws -> RelaySocket {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DockerError.attach("socket(): errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw DockerError.attach("relay socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in pathBytes.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw DockerError.attach("connecting to the debug relay: \(reason)")
        }
        return RelaySocket(fd: fd)
    }

    /// Writes to the relay; false once the connection is closed.
    @discardableResult
    public func write(_ data: Data) -> Bool {
        writeLock.withLock {
            if closed.withLockedValue({ $0 }) { return false }
            var offset = 0
            let bytes = Array(data)
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
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
            continuation.yield(Data(buffer[0..<n]))
        }
        continuation.finish()
        writeLock.withLock {
            closed.withLockedValue { $0 = true }
            Glibc.close(fd)
        }
    }
}
