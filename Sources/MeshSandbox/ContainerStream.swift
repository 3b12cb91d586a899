import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// A container's stdio through the Engine API's hijacked attach connection (`Upgrade: tcp`):
/// write to its stdin, read its demultiplexed stdout and stderr. Blocking socket calls run on
/// a dedicated thread, never on Swift concurrency's pool. Reading is bounded: at most
/// ``outputLimit`` bytes wait for the server (the reader thread, and so dockerd and the
/// container's writes, wait while they do), in chunks of at most ``StreamDemuxer/maxChunk``.
public final class ContainerStream: Sendable {
    /// The most bytes of output waiting for the server.
    public static let outputLimit = 1 << 20
    /// stdout and stderr chunks in order; finishes when the container closes its output (or the
    /// consumer cancels it: reading then stops).
    public let output: ByteBoundedQueue<StreamDemuxer.Chunk>
    private let fd: Int32
    private let writeLock = NIOLock()
    private let closed = NIOLockedValueBox(false)

    private init(fd: Int32, leftover: [UInt8]) {
        self.fd = fd
        output = ByteBoundedQueue(limit: Self.outputLimit)
        let thread = Thread { [self] in readLoop(leftover) }
        thread.name = "mesh-container-attach"
        thread.start()
    }

    /// Attaches to a created (not yet started) container's stdin, stdout and stderr.
    static func attach(socketPath: String, container: String) async throws -> ContainerStream {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try handshake(socketPath: socketPath, container: container) })
            }
            thread.start()
        }
    }

    private static func handshake(socketPath: String, container: String) throws -> ContainerStream {
        let fd: Int32
        do {
            fd = try UnixSocket.connect(socketPath)
        } catch {
            throw DockerError.unavailable(socket: socketPath, reason: error.reason)
        }
        let request = "POST /\(DockerClient.apiVersion)/containers/\(container)/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
            + "Host: docker\r\nUpgrade: tcp\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n"
        guard UnixSocket.writeAll(fd, Array(request.utf8)) else { Glibc.close(fd); throw DockerError.attach("could not send the attach request") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { Glibc.close(fd); throw DockerError.attach("the daemon closed the connection during the upgrade") }
            response += buffer[0..<n]
            if let range = findHeaderEnd(response) { headerEnd = range }
            if response.count > 65536 { Glibc.close(fd); throw DockerError.attach("no upgrade response") }
        }
        let header = String(decoding: response[0..<headerEnd!], as: UTF8.self)
        guard header.hasPrefix("HTTP/1.1 101") || header.hasPrefix("HTTP/1.0 101") else {
            Glibc.close(fd)
            throw DockerError.attach(header.split(separator: "\r\n").first.map(String.init) ?? header)
        }
        return ContainerStream(fd: fd, leftover: Array(response[(headerEnd! + 4)...]))
    }

    private static func findHeaderEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
        return nil
    }

    /// Writes to the container's stdin.
    @discardableResult
    public func write(_ data: Data) -> Bool {
        writeLock.withLock { closed.withLockedValue { $0 } ? false : UnixSocket.writeAll(fd, Array(data)) }
    }

    /// Ends the container's stdin (it reads end of file).
    public func closeInput() {
        writeLock.withLock { if !closed.withLockedValue({ $0 }) { _ = shutdown(fd, Int32(SHUT_WR)) } }
    }

    /// Closes the connection (the output stream finishes).
    public func close() {
        writeLock.withLock { if !closed.withLockedValue({ $0 }) { _ = shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    private func readLoop(_ leftover: [UInt8]) {
        var demuxer = StreamDemuxer()
        /// Passes on what `bytes` completes; false once the consumer has cancelled.
        func pass(_ bytes: ArraySlice<UInt8>) -> Bool {
            // Blocks while `outputLimit` bytes wait for the server.
            demuxer.feed(bytes).allSatisfy { output.put($0, bytes: $0.count) }
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var reading = pass(leftover[...])
        while reading {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            reading = pass(buffer[0..<n])
        }
        output.finish()
        writeLock.withLock {
            closed.withLockedValue { $0 = true }
            Glibc.close(fd)
        }
    }
}

extension DockerClient {
    /// Attaches to a created container's stdio; attach before `start` so nothing is missed.
    public func attach(_ container: String) async throws -> ContainerStream {
        try await ContainerStream.attach(socketPath: socketPath, container: container)
    }
}
