import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Blocking Unix-domain stream socket calls shared by ``ContainerStream`` (dockerd's socket),
/// ``RelayListener`` and ``RelaySocket`` (the debug relay's). Call the blocking ones off Swift
/// concurrency's pool.
enum UnixSocket {
    /// Why a call failed: strerror's text, or a path that does not fit `sun_path`.
    struct Failure: Error {
        let reason: String
    }

    /// A connected socket's file descriptor.
    static func connect(_ path: String) throws(Failure) -> Int32 {
        try open(at: path, failure: "") { Glibc.connect($0, $1, $2) }
    }

    /// A socket listening at `path` (which must not exist yet), its file given `mode`, with a
    /// backlog of one. It does not block: ``accept(_:)`` returns nil while no peer waits.
    static func listen(_ path: String, mode: mode_t) throws(Failure) -> Int32 {
        let fd = try open(at: path, failure: "bind(): ") { Glibc.bind($0, $1, $2) }
        guard chmod(path, mode) == 0, Glibc.listen(fd, 1) == 0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            unlink(path)
            throw Failure(reason: reason)
        }
        return fd
    }

    /// The connection waiting on the listening socket `fd`, as a blocking socket, or nil when none
    /// waits (it never blocks).
    static func accept(_ fd: Int32) throws(Failure) -> Int32? {
        while true {
            let peer = Glibc.accept(fd, nil, nil)
            if peer >= 0 {
                // Linux does not pass O_NONBLOCK on to the accepted socket; made sure of anyway.
                _ = fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) & ~O_NONBLOCK)
                return peer
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED { return nil }
            throw Failure(reason: "accept(): \(String(cString: strerror(errno)))")
        }
    }

    /// A new socket that `attach` (connect or bind) gave the address `path`; when it fails, the
    /// socket is closed and the failure is strerror's text after `prefix`.
    private static func open(at path: String, failure prefix: String,
                             _ attach: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32) throws(Failure) -> Int32 {
        let fd = try open()
        var address: sockaddr_un
        do { address = try Self.address(path) } catch { Glibc.close(fd); throw error }
        let attached = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { attach(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard attached == 0 else {
            let reason = prefix + String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(reason: reason)
        }
        return fd
    }

    private static func open() throws(Failure) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(reason: "socket(): \(String(cString: strerror(errno)))") }
        return fd
    }

    private static func address(_ path: String) throws(Failure) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(reason: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in pathBytes.enumerated() { raw[i] = byte }
        }
        return address
    }

    /// Writes all of `bytes` (retrying short writes and EINTR); false if the peer is gone.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }
}
