import Foundation

/// Splits a byte stream into LSP base-protocol messages: `Content-Length: N\r\n` headers (and
/// any others, ignored), a blank line, then exactly N bytes of content. Bytes arrive in any
/// chunks: split, merged or partial messages all come out whole.
public struct MessageFramer: Sendable {
    /// The largest message accepted; a bigger `Content-Length` is a framing error.
    public static let defaultLimit = 64 << 20

    /// One framed message, or a header that could not be understood (the stream then resumes
    /// at the next header block, so one bad message does not end the connection).
    public enum Frame: Sendable, Equatable {
        case message(Data)
        case badHeader(String)
    }

    private var buffer: [UInt8] = []
    private var start = 0
    private var contentLength: Int?
    private let limit: Int

    public init(limit: Int = MessageFramer.defaultLimit) { self.limit = limit }

    /// Adds bytes and returns every frame now complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Frame] {
        buffer.append(contentsOf: bytes)
        var frames: [Frame] = []
        while let frame = next() { frames.append(frame) }
        if start > 65536, start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return frames
    }

    /// Encodes one message with its header.
    public static func frame(_ content: Data) -> Data {
        var data = Data("Content-Length: \(content.count)\r\n\r\n".utf8)
        data.append(content)
        return data
    }

    private mutating func next() -> Frame? {
        if skipRemaining > 0 {
            let n = min(skipRemaining, buffer.count - start)
            start += n
            skipRemaining -= n
            if skipRemaining > 0 { return nil }
        }
        if let length = contentLength {
            guard buffer.count - start >= length else { return nil }
            let content = Data(buffer[start..<(start + length)])
            start += length
            contentLength = nil
            return .message(content)
        }
        // Find the end of the header block.
        guard let end = headerEnd() else {
            if buffer.count - start > 8192 {
                // No header ends within 8 KiB: this is not LSP framing. Drop it and go on.
                start = buffer.count
                return .badHeader("no header block end within 8 KiB")
            }
            return nil
        }
        let header = String(decoding: buffer[start..<end], as: UTF8.self)
        start = end + 4
        var length: Int?
        for line in header.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return .badHeader("malformed header line \(String(reflecting: String(line)))") }
            if parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-length" {
                guard let value = Int(parts[1].trimmingCharacters(in: .whitespaces)), value >= 0 else {
                    return .badHeader("bad Content-Length \(String(reflecting: parts[1].trimmingCharacters(in: .whitespaces)))")
                }
                length = value
            }
        }
        guard let length else { return .badHeader("missing Content-Length") }
        guard length <= limit else {
            // Skip the oversized content without holding it.
            contentLength = nil
            skipRemaining = length
            return .badHeader("Content-Length \(length) exceeds the limit of \(limit) bytes")
        }
        contentLength = length
        return next()
    }

    private var skipRemaining = 0

    private func headerEnd() -> Int? {
        guard buffer.count - start >= 4 else { return nil }
        var i = start
        while i + 3 < buffer.count {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }
}
