import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking WebSocket client on one POSIX socket (RFC 6455, text frames, client-side masking),
/// for the latency benchmark's lean clients: no event loop and no task hand-offs, so that what it
/// measures is the loopback and the server. Used from one thread at a time.
final class RawWebSocket {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var maskSeed = UInt32(truncatingIfNeeded: UInt(bitPattern: ObjectIdentifier(RawWebSocket.self).hashValue))

    private init(fd: Int32) { self.fd = fd }

    deinit { Glibc.close(fd) }

    /// Connects to 127.0.0.1:`port`, upgrades `/v1/ws` with the bearer token.
    static func connect(port: Int, token: String) throws -> RawWebSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        let socket = RawWebSocket(fd: fd)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw BenchError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try socket.write(Array("""
            GET /v1/ws HTTP/1.1\r
            Host: 127.0.0.1:\(port)\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: \(key)\r
            Sec-WebSocket-Version: 13\r
            Authorization: Bearer \(token)\r
            \r

            """.utf8))
        // The response head, up to the blank line; frames may follow in the same read.
        let end = Array("\r\n\r\n".utf8)
        while true {
            if let range = socket.pending.firstRange(of: end) {
                let head = String(decoding: socket.pending[..<range.lowerBound], as: UTF8.self)
                socket.start += range.upperBound
                guard head.hasPrefix("HTTP/1.1 101") else { throw BenchError("upgrade refused: \(head.prefix(200))") }
                return socket
            }
            try socket.fill()
        }
    }

    private var pending: ArraySlice<UInt8> { buffer[start...] }

    /// Reads whatever the socket has (blocking until something does).
    private func fill() throws {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { throw BenchError(count == 0 ? "the server closed the connection" : "read: \(String(cString: strerror(errno)))") }
        buffer.append(contentsOf: chunk[..<count])
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw BenchError("write: \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    /// Sends one masked text frame.
    func send(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        frame.reserveCapacity(payload.count + 14)
        switch payload.count {
        case ..<126: frame.append(0x80 | UInt8(payload.count))
        case ..<65_536: frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default: frame.append(0x80 | 127); frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        maskSeed = maskSeed &* 1_664_525 &+ 1_013_904_223
        let mask = withUnsafeBytes(of: maskSeed) { Array($0) }
        frame += mask
        for (i, byte) in payload.enumerated() { frame.append(byte ^ mask[i & 3]) }
        try write(frame)
    }

    /// The next text frame and when its last byte was read; pings are answered, a close throws.
    func receive() throws -> (text: String, at: ContinuousClock.Instant) {
        while true {
            if let (opcode, payload) = nextFrame() {
                let at = ContinuousClock.now
                switch opcode {
                case 0x1: return (String(decoding: payload, as: UTF8.self), at)
                case 0x8: throw BenchError("the server closed the WebSocket: \(String(decoding: payload.dropFirst(2), as: UTF8.self))")
                case 0x9: try sendControl(0xA, payload)
                default: continue
                }
            } else {
                try fill()
            }
        }
    }

    /// One complete unfragmented frame from the buffer, if it holds one (server frames are not masked).
    private func nextFrame() -> (UInt8, ArraySlice<UInt8>)? {
        let bytes = pending
        guard bytes.count >= 2 else { return nil }
        let base = bytes.startIndex
        let opcode = bytes[base] & 0x0F
        var length = Int(bytes[base + 1] & 0x7F)
        var header = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[base + 2]) << 8 | Int(bytes[base + 3])
            header = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = (0..<8).reduce(0) { $0 << 8 | Int(bytes[base + 2 + $1]) }
            header = 10
        }
        guard bytes.count >= header + length else { return nil }
        start += header + length
        return (opcode, bytes[(base + header)..<(base + header + length)])
    }

    private func sendControl(_ opcode: UInt8, _ payload: ArraySlice<UInt8>) throws {
        try write([0x80 | opcode, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload)
    }

    /// Sends a normal close frame; the socket itself closes when this object goes.
    func close() {
        try? sendControl(0x8, [0x03, 0xE8])
    }
}
