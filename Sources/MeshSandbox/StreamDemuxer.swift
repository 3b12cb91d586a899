import Foundation

/// Splits Docker's multiplexed attach stream (containers without a TTY): frames of an 8-byte
/// header — stream (1 stdout, 2 stderr), three zero bytes, a big-endian UInt32 length — and
/// that many bytes of payload. Bytes arrive in any chunks. A frame comes out whole unless it is
/// longer than ``maxChunk``: then it comes out in pieces of that size as they arrive, so a frame
/// header announcing up to 4 GiB never makes the server hold more than `maxChunk` bytes.
public struct StreamDemuxer: Sendable {
    public enum Chunk: Sendable, Equatable {
        case stdout(Data)
        case stderr(Data)

        /// The payload's size.
        public var count: Int {
            switch self {
            case let .stdout(data), let .stderr(data): data.count
            }
        }
    }

    /// The most payload held before it is passed on.
    public static let maxChunk = 1 << 20

    public let maxChunk: Int
    /// The next frame's header so far (fewer than 8 bytes), when no frame is being read.
    private var header: [UInt8] = []
    /// The frame being read: its stream, and how much of its payload is still to come.
    private var stream: UInt8 = 1
    private var remaining = 0
    /// Its payload read and not passed on yet (less than `maxChunk`).
    private var payload: [UInt8] = []

    public init(maxChunk: Int = StreamDemuxer.maxChunk) {
        self.maxChunk = maxChunk
    }

    /// Bytes held: a partial header or a partial frame's payload.
    public var bufferedBytes: Int { header.count + payload.count }

    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Chunk] {
        var chunks: [Chunk] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if remaining == 0 {
                header.append(bytes[index])
                index = bytes.index(after: index)
                guard header.count == 8 else { continue }
                stream = header[0]
                remaining = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
                header.removeAll(keepingCapacity: true)
                continue
            }
            let take = min(remaining, maxChunk - payload.count, bytes.distance(from: index, to: bytes.endIndex))
            let end = bytes.index(index, offsetBy: take)
            payload.append(contentsOf: bytes[index..<end])
            index = end
            remaining -= take
            if remaining == 0 || payload.count == maxChunk {
                let data = Data(payload)
                chunks.append(stream == 2 ? .stderr(data) : .stdout(data))
                payload.removeAll(keepingCapacity: payload.capacity <= 1 << 16)
            }
        }
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
