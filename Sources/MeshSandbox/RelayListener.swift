import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The server's end of a debug relay's connection: a Unix socket listening in a folder private
/// to the server, whose socket file alone is bind-mounted into the container. The relay dials it
/// (so the container can create nothing on the host); one connection is accepted — the relay's,
/// which dials before it starts anything else —, then ``close()`` stops listening and removes the
/// file (the container's mount of it then refuses every connection).
final class RelayListener: Sendable {
    /// The socket's path on the host.
    let path: String
    private let fd: Int32
    private let open = NIOLockedValueBox(true)

    /// Listens at `path`. The socket file is mode 0666, so that the container's user (65532)
    /// connects through its bind mount; the folder around it (0700) keeps the host's other users
    /// out.
    init(path: String) throws {
        do {
            fd = try UnixSocket.listen(path, mode: 0o666)
        } catch {
            throw DockerError.attach("listening for the debug relay at \(path): \(error.reason)")
        }
        self.path = path
    }

    deinit { close() }

    /// The relay's connection, once it dials: within `timeout`, unless `gaveUp` says the container
    /// is gone first.
    func accept(timeout: Duration, gaveUp: @escaping @Sendable () -> Bool,
                onActivity: @escaping @Sendable () -> Void) async throws -> RelaySocket {
        let deadline = ContinuousClock.now + timeout
        while true {
            // The socket does not block: a relay that has not dialed yet costs a 5 ms nap.
            if let peer = try acceptNow() { return RelaySocket(fd: peer, onActivity: onActivity) }
            if gaveUp() || ContinuousClock.now > deadline {
                throw DockerError.attach("the debug relay did not connect to the server's socket within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Stops listening and removes the socket file (an accepted connection stays).
    func close() {
        open.withLockedValue { open in
            guard open else { return }
            open = false
            Glibc.close(fd)
            unlink(path)
        }
    }

    private func acceptNow() throws -> Int32? {
        let attempt: Result<Int32?, UnixSocket.Failure> = open.withLockedValue { open in
            guard open else { return .failure(UnixSocket.Failure(reason: "the socket is closed")) }
            return Result { () throws(UnixSocket.Failure) in try UnixSocket.accept(fd) }
        }
        switch attempt {
        case let .success(peer): return peer
        case let .failure(failure): throw DockerError.attach("accepting the debug relay's connection: \(failure.reason)")
        }
    }
}
