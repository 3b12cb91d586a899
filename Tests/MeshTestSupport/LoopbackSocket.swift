import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Blocking TCP to 127.0.0.1, for test clients that play a peer byte by byte.
public enum LoopbackSocket {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// A connected socket's descriptor; the caller closes it. `receiveBuffer` (bytes) is set
    /// before the connect, so that the window the peer sees is small from the start.
    public static func connect(port: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port)")
        }
        return fd
    }

    /// Sends all of `bytes`; false when the socket failed first. With `MSG_NOSIGNAL`: a write to
    /// a socket the peer closed (or this side shut down) fails instead of raising SIGPIPE in the
    /// whole test process.
    @discardableResult
    public static func send<Bytes: DataProtocol & ContiguousBytes>(_ bytes: Bytes, to fd: Int32) -> Bool
    where Bytes.SubSequence: ContiguousBytes {
        var sent = 0
        while sent < bytes.count {
            let rest = bytes[bytes.index(bytes.startIndex, offsetBy: sent)...]
            let n = rest.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}
