import Foundation
import MeshTestSupport
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
        (fd, port) = try LoopbackListener.open()
        let (fd, received) = (self.fd, self.received)
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
}

private extension [UInt8] {
    var containsHeaderEnd: Bool {
        count >= 4 && (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}
