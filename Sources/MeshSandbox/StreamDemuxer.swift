import Foundation

/// Splits Docker's multiplexed attach stream (containers without a TTY): frames of an 8-byte
/// header — stream (1 stdout, 2 stderr), three zero bytes, a big-endian UInt32 length — and
/// that many bytes of payload. Bytes arrive in any chunks.
public struct StreamDemuxer: Sendable {
    public enum Chunk: Sendable, Equatable {
        case stdout(Data)
        case stderr(Data)
    }

    private var buffer: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Chunk] {
        buffer.append(contentsOf: bytes)
        var chunks: [Chunk] = []
        var start = 0
        while buffer.count - start >= 8 {
            let length = Int(buffer[start + 4]) << 24 | Int(buffer[start + 5]) << 16 | Int(buffer[start + 6]) << 8 | Int(buffer[start + 7])
            guard buffer.count - start - 8 >= length else { break }
            let payload = Data(buffer[(start + 8)..<(start + 8 + length)])
            chunks.append(buffer[start] == 2 ? .stderr(payload) : .stdout(payload))
            start += 8 + length
        }
        buffer.removeFirst(start)
        return chunks
    }

    /// One frame, as dockerd writes it (for tests).
    public static func frame(_ chunk: Chunk) -> [UInt8] {
        let (stream, data): (UInt8, Data) = switch chunk {
        case let .stdout(d): (1, d)
        case let .stderr(d): (2, d)
        }
        let n = UInt32(data.count)
        return [stream, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + Array(data)
    }
}
