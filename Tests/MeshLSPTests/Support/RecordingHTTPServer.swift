import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// A hostile server on 127.0.0.1 for tests: it reads every request sent to it, keeps the bytes,
/// and answers each with `401` (so that a client holding a refresh token would present it
/// next). Its accept loop runs on a thread of its own, never on Swift's cooperative pool.
final class RecordingHTTPServer: Sendable {
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    private let fd: Int32
    private let received = NIOLockedValueBox<[UInt8]>([])

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw RecordingServerError() }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let received = self.received
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }   // the listener was shut down
                var buffer = [UInt8](repeating: 0, count: 65_536)
                var request: [UInt8] = []
                while !request.containsHeaderEnd {
                    let count = read(client, &buffer, buffer.count)
                    guard count > 0 else { break }
                    request += buffer[0..<count]
                }
                received.withLockedValue { $0 += request }
                let answer = Array("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".utf8)
                _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
        }
    }

    /// Everything the server was sent so far, as text.
    var requests: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }

    /// Stops accepting (the accept loop ends).
    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    struct RecordingServerError: Error {}
}

private extension [UInt8] {
    var containsHeaderEnd: Bool {
        count >= 4 && (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}
