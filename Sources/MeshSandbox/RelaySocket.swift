import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The debug relay's DAP stream over the Unix socket the server listens on and bind-mounts into
/// the container (`mesh-relay` dials it when `MESH_RELAY_SOCKET` is set; ``RelayListener``). It
/// skips Docker's attached stdio, which copies every message through dockerd and containerd-shim.
/// Both directions are bounded: whole messages wait for the server in a queue of
/// ``inputLimit`` bytes (the reader thread, and so the relay, waits while it is full), and a
/// relay that falls ``outputLimit`` bytes behind reading what the server writes is cut off.
/// Blocking socket calls run on two dedicated threads, never on Swift concurrency's pool.
public final class RelaySocket: Sendable {
    /// The most bytes of read messages waiting for the server (but one larger message, alone).
    public static let inputLimit = 1 << 20
    /// The most bytes waiting to be written to the relay.
    public static let outputLimit = 16 << 20

    /// The contents of the relay's DAP messages, in order (each at most
    /// ``DAPFrameReader/maxContentBytes``); finishes when the connection ends, and ``failure``
    /// then says why if the relay broke the protocol or stopped reading.
    public let messages: ByteBoundedQueue<Data>
    private let outgoing: ByteBoundedQueue<Data>
    private let fd: Int32
    private let state = NIOLockedValueBox(State())
    /// Called on every read and write: traffic keeps the container's idle limit away.
    private let onActivity: @Sendable () -> Void

    private struct State {
        /// Shut down (by either side, or by a failure): nothing more is written.
        var shut = false
        var failure: String?
        /// The threads still using `fd`; the last one closes it.
        var threads = 2
    }

    /// Takes over `fd`, the relay's accepted connection (``RelayListener``).
    init(fd: Int32, onActivity: @escaping @Sendable () -> Void) {
        self.fd = fd
        self.onActivity = onActivity
        messages = ByteBoundedQueue(limit: Self.inputLimit)
        outgoing = ByteBoundedQueue(limit: Self.outputLimit)
        let reader = Thread { [self] in readLoop() }
        reader.name = "mesh-relay-socket-read"
        reader.start()
        let writer = Thread { [self] in writeLoop() }
        writer.name = "mesh-relay-socket-write"
        writer.start()
    }

    /// Why the connection ended, when not because either side closed it.
    public var failure: String? { state.withLockedValue { $0.failure } }

    /// Queues `data` for the relay; false once the connection is shut, or when the relay has
    /// fallen ``outputLimit`` bytes behind (the connection is then shut, and ``failure`` says so).
    @discardableResult
    public func write(_ data: Data) -> Bool {
        onActivity()
        if outgoing.offer(data, bytes: data.count) { return true }
        fail("the debug relay stopped reading: over \(Self.outputLimit >> 20) MiB of DAP messages for it were waiting")
        return false
    }

    /// Closes the connection: the relay reads end of file, and `messages` finishes at once
    /// (what was read and not taken yet is dropped; the reader thread never waits for a taker).
    public func close() {
        shut()
        messages.cancel()
    }

    /// Records the first failure (unless the connection was shut already) and shuts it.
    private func fail(_ reason: String) {
        let first = state.withLockedValue { state -> Bool in
            guard !state.shut, state.failure == nil else { return false }
            state.failure = reason
            return true
        }
        if first { shut() }
    }

    /// Ends both directions: the reader thread reads end of file, the writer stops.
    private func shut() {
        state.withLockedValue { state in
            state.shut = true
            // `fd` is still open while a thread uses it (the last one closes it under this lock).
            if state.threads > 0 { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
        outgoing.cancel()
    }

    private func readLoop() {
        var frames = DAPFrameReader()
        var buffer = [UInt8](repeating: 0, count: 65536)
        reading: while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            onActivity()
            // Blocks while the server has `inputLimit` bytes to read already: the relay then
            // waits on the socket, and Delve and the program on the relay.
            for message in frames.feed(buffer[0..<n]) {
                guard messages.put(message, bytes: message.count) else { break reading }
            }
            if let refusal = frames.refusal {
                fail("the debug relay sent something that is not a DAP message within the limits (\(refusal))")
                break
            }
        }
        messages.finish()
        shut()
        threadEnded()
    }

    private func writeLoop() {
        while let data = outgoing.take() {
            guard UnixSocket.writeAll(fd, Array(data)) else { break }
        }
        shut()
        threadEnded()
    }

    private func threadEnded() {
        state.withLockedValue { state in
            state.threads -= 1
            if state.threads == 0 { Glibc.close(fd) }
        }
    }
}
