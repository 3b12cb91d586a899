import Foundation
#if canImport(Glibc)
import Glibc
import MeshTestSupport
#endif

/// A client written on a bare TCP socket: a WebSocket that can stop reading, to play a client
/// that cannot keep up (its receive buffer is tiny so the server's writes back up quickly), or a
/// connection that sends its request slowly or never.
final class StalledSocket: @unchecked Sendable {
    private let fd: Int32

    /// Connects and upgrades. The blocking socket calls run off the cooperative pool: blocked
    /// there, they could starve the in-process server that has to answer them.
    static func connect(port: Int, token: String, origin: String? = nil) async throws -> StalledSocket {
        try await offCooperativePool { Result { try StalledSocket(port: port, token: token, origin: origin) } }.get()
    }

    /// A TCP connection that has sent nothing yet.
    static func open(port: Int) async throws -> StalledSocket {
        try await offCooperativePool { Result { try StalledSocket(port: port) } }.get()
    }

    private init(port: Int) throws {
        fd = try LoopbackSocket.connect(port: port, receiveBuffer: 4096)
    }

    private convenience init(port: Int, token: String, origin: String?) throws {
        try self.init(port: port)
        var upgradeTimeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &upgradeTimeout, socklen_t(MemoryLayout<timeval>.size))
        try write(Self.upgradeHead(port: port, headers: (origin.map { ["Origin: \($0)"] } ?? []) + ["Authorization: Bearer \(token)"]))
        let response = try readHead()
        guard response.hasPrefix("HTTP/1.1 101") else { throw TestSetupError("upgrade refused: \(response)") }
    }

    /// The head of a WebSocket upgrade of `/v1/ws`, with `headers` besides the upgrade's own.
    static func upgradeHead(port: Int, headers: [String]) -> [UInt8] {
        let lines = ["GET /v1/ws HTTP/1.1", "Host: 127.0.0.1:\(port)", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"] + headers
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
    }

    /// Whether the server listening on `port` has accepted this connection: its end of it has a
    /// socket inode in `/proc/net/tcp` (one still in the accept queue shows inode 0). Until then
    /// a stopping server never sees the connection, and a test of what it does with one proves
    /// nothing.
    func isAccepted(byServerOn port: Int) -> Bool {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // Read to the end: a /proc file comes a page per read, and Foundation may stop at one.
        let proc = Glibc.open("/proc/net/tcp", O_RDONLY)
        guard named == 0, proc >= 0 else { return false }
        defer { Glibc.close(proc) }
        var bytes = [UInt8](), chunk = [UInt8](repeating: 0, count: 1 << 16)
        while case let count = read(proc, &chunk, chunk.count), count > 0 { bytes += chunk[0..<count] }
        let table = String(decoding: bytes, as: UTF8.self)
        let serverEnd = String(format: "0100007F:%04X", port), clientEnd = String(format: "0100007F:%04X", Int(UInt16(bigEndian: address.sin_port)))
        return table.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 9 && fields[1] == serverEnd && fields[2] == clientEnd && fields[9] != "0"
        }
    }

    /// Bytes received and not read yet.
    var bytesWaiting: Int {
        var count: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }

    /// Reads a response head, a byte at a time (what follows it stays unread).
    func readHead() throws -> String {
        var response = [UInt8]()
        while !response.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
            var byte: UInt8 = 0
            guard recv(fd, &byte, 1, 0) == 1 else { throw TestSetupError("no response, or it timed out") }
            response.append(byte)
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// Sends `bytes` one at a time, `interval` apart, until the server closes the connection
    /// (true) or `timeout` passes.
    func trickle(_ bytes: [UInt8], interval: TimeInterval, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var index = 0
        while Date() < deadline {
            let byte = bytes[index % bytes.count]
            index += 1
            if !LoopbackSocket.send([byte], to: fd) { return true }
            var probe: UInt8 = 0
            let n = recv(fd, &probe, 1, Int32(MSG_DONTWAIT))
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { return true }
            Thread.sleep(forTimeInterval: interval)
        }
        return false
    }

    /// Sends one masked text frame.
    func sendText(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame.append(0x80 | 126)
            frame += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try write(frame)
    }

    /// Reads until the server closes the TCP connection (or `timeout`); true when it closed.
    func drainUntilClosed(timeout: TimeInterval) -> Bool {
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0, errno != EAGAIN, errno != EWOULDBLOCK { return true }
        }
        return false
    }

    func write(_ bytes: [UInt8]) throws {
        guard LoopbackSocket.send(bytes, to: fd) else { throw TestSetupError("send() failed") }
    }

    deinit { close(fd) }
}

