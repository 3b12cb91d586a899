import Foundation

/// Splits the debug relay's byte stream into DAP messages — `Content-Length: N` (other header
/// fields are ignored), a blank line, N bytes of JSON — holding at most one message's worth.
/// The relay runs in the sandbox, so what it sends is untrusted: the first frame that is not a
/// DAP message within the bounds (a length over ``maxContentBytes``, a header that does not end
/// within ``maxHeaderBytes``, a header without a length) is refused for good: ``refusal`` says
/// why, and every later byte is dropped. A refused length is never allocated, and content is
/// held only as it arrives.
public struct DAPFrameReader: Sendable {
    /// The largest message content accepted.
    public static let maxContentBytes = 16 << 20
    /// The longest header block accepted, its blank line included.
    public static let maxHeaderBytes = 8 << 10

    /// Why the stream was refused.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public let maxContentBytes: Int
    public let maxHeaderBytes: Int
    /// Set by the first bad frame; the reader then drops everything.
    public private(set) var refusal: Refusal?
    /// The header read so far, or the content read so far (with `contentLength` set).
    private var buffer: [UInt8] = []
    private var contentLength: Int?

    public init(maxContentBytes: Int = DAPFrameReader.maxContentBytes, maxHeaderBytes: Int = DAPFrameReader.maxHeaderBytes) {
        self.maxContentBytes = maxContentBytes
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// Bytes held: a partial header or a partial message's content.
    public var bufferedBytes: Int { buffer.count }

    /// Adds bytes and returns the contents of the messages now complete, in order (those before
    /// a refusal included).
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Data] {
        var messages: [Data] = []
        var index = bytes.startIndex
        while index != bytes.endIndex, refusal == nil {
            if let length = contentLength {
                let take = min(length - buffer.count, bytes.distance(from: index, to: bytes.endIndex))
                let end = bytes.index(index, offsetBy: take)
                buffer.append(contentsOf: bytes[index..<end])
                index = end
                if buffer.count == length {
                    messages.append(Data(buffer))
                    buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
                    contentLength = nil
                }
            } else {
                // The header, a byte at a time up to its blank line (it is short).
                buffer.append(bytes[index])
                index = bytes.index(after: index)
                if buffer.count >= 4, buffer[buffer.count - 4] == 13, buffer[buffer.count - 3] == 10,
                   buffer[buffer.count - 2] == 13, buffer[buffer.count - 1] == 10 {
                    let header = buffer
                    buffer.removeAll(keepingCapacity: true)
                    if let length = parse(header) {
                        if length == 0 { messages.append(Data()) } else { contentLength = length }
                    }
                } else if buffer.count >= maxHeaderBytes {
                    refuse("no end of a DAP header within \(maxHeaderBytes) bytes")
                }
            }
        }
        return messages
    }

    /// The Content-Length of a header block, or nil (refused).
    private mutating func parse(_ header: [UInt8]) -> Int? {
        var length: Int?
        for line in header.split(separator: 10) {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let colon = text.firstIndex(of: ":") else {
                refuse("a DAP header line without a colon: \(String(reflecting: String(text.prefix(80))))")
                return nil
            }
            guard text[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-length" else { continue }
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            // Digits only, and few enough of them to be a number before it is compared.
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                refuse("a DAP Content-Length that is not a number: \(String(reflecting: String(value.prefix(40))))")
                return nil
            }
            guard value.utf8.count <= 18, let n = Int(value), n <= maxContentBytes else {
                refuse("a DAP message of \(value.prefix(40)) bytes, over the limit of \(maxContentBytes) bytes")
                return nil
            }
            length = n
        }
        guard let length else {
            refuse("a DAP header without Content-Length")
            return nil
        }
        return length
    }

    private mutating func refuse(_ reason: String) {
        refusal = Refusal(description: reason)
        buffer = []
        contentLength = nil
    }
}
