/// The measures the rope caches for every node: how long its text is in each unit Mesh or an
/// LSP client counts, and how many line breaks it holds.
///
/// Line breaks are counted as in LSP 3.17: `\n`, `\r\n` (once) and a lone `\r`. A summary of a
/// byte run is computed *in isolation*: a run starting with `\n` counts it as a break even if the
/// text before it ends with `\r`. The rope keeps the invariant that no leaf boundary falls between
/// `\r` and `\n`, which makes summaries of adjacent leaves simply add up.
@usableFromInline
struct RopeSummary: Sendable, Equatable {
    /// UTF-8 code units (bytes).
    @usableFromInline var utf8: Int
    /// Unicode scalars (= UTF-32 code units); the offsets Mesh uses everywhere.
    @usableFromInline var scalars: Int
    /// UTF-16 code units.
    @usableFromInline var utf16: Int
    /// Line breaks.
    @usableFromInline var lines: Int

    @inlinable
    init(utf8: Int, scalars: Int, utf16: Int, lines: Int) {
        self.utf8 = utf8
        self.scalars = scalars
        self.utf16 = utf16
        self.lines = lines
    }

    @usableFromInline static let zero = RopeSummary(utf8: 0, scalars: 0, utf16: 0, lines: 0)

    /// Code units of `encoding`.
    @inlinable
    func units(_ encoding: PositionEncoding) -> Int {
        switch encoding {
        case .utf8: return utf8
        case .utf16: return utf16
        case .utf32: return scalars
        }
    }

    /// This summary with `lines` line breaks (an insertion that joins or splits a `\r\n` at
    /// its edges adds another number of breaks than it holds).
    @inlinable
    func withLines(_ lines: Int) -> RopeSummary {
        RopeSummary(utf8: utf8, scalars: scalars, utf16: utf16, lines: lines)
    }

    @inlinable
    static func + (a: RopeSummary, b: RopeSummary) -> RopeSummary {
        RopeSummary(utf8: a.utf8 + b.utf8, scalars: a.scalars + b.scalars,
                    utf16: a.utf16 + b.utf16, lines: a.lines + b.lines)
    }

    @inlinable
    static func - (a: RopeSummary, b: RopeSummary) -> RopeSummary {
        RopeSummary(utf8: a.utf8 - b.utf8, scalars: a.scalars - b.scalars,
                    utf16: a.utf16 - b.utf16, lines: a.lines - b.lines)
    }

    @inlinable
    static func += (a: inout RopeSummary, b: RopeSummary) {
        a.utf8 += b.utf8
        a.scalars += b.scalars
        a.utf16 += b.utf16
        a.lines += b.lines
    }

    @inlinable
    static func -= (a: inout RopeSummary, b: RopeSummary) {
        a.utf8 -= b.utf8
        a.scalars -= b.scalars
        a.utf16 -= b.utf16
        a.lines -= b.lines
    }

    /// A run of `n` ASCII bytes that holds no line break (or, with `lines`, that many).
    @inlinable
    static func ascii(_ n: Int, lines: Int = 0) -> RopeSummary {
        RopeSummary(utf8: n, scalars: n, utf16: n, lines: lines)
    }
}

/// Byte-level UTF-8 helpers for the rope (the rope stores valid UTF-8 only, split at scalar
/// boundaries, so no validation happens here).
@usableFromInline
enum UTF8Bytes {
    @usableFromInline static let cr: UInt8 = 0x0D
    @usableFromInline static let lf: UInt8 = 0x0A

    @inlinable
    static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// Length of the sequence a lead byte starts.
    @inlinable
    static func sequenceLength(lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// Code units of `encoding` taken by a scalar whose UTF-8 form is `length` bytes long.
    @inlinable
    static func width(ofSequence length: Int, _ encoding: PositionEncoding) -> Int {
        switch encoding {
        case .utf8: return length
        case .utf16: return length == 4 ? 2 : 1
        case .utf32: return 1
        }
    }

    /// The summary of `buffer` taken in isolation.
    @inlinable
    static func summarize(_ buffer: UnsafeBufferPointer<UInt8>) -> RopeSummary {
        var scalars = 0
        var astral = 0
        var lines = 0
        var previous: UInt8 = 0
        for byte in buffer {
            if byte < 0x80 {
                scalars &+= 1
                if byte <= cr {
                    if byte == cr {
                        lines &+= 1
                    } else if byte == lf, previous != cr {
                        lines &+= 1
                    }
                }
            } else if byte >= 0xC0 {
                scalars &+= 1
                if byte >= 0xF0 { astral &+= 1 }
            }
            previous = byte
        }
        return RopeSummary(utf8: buffer.count, scalars: scalars, utf16: scalars + astral, lines: lines)
    }

    /// The summary of `bytes[range]` taken in isolation.
    @inlinable
    static func summarize(_ bytes: [UInt8], _ range: Range<Int>) -> RopeSummary {
        bytes.withUnsafeBufferPointer { summarize(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// Decodes the scalar starting at `index`.
    @inlinable
    static func decode(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> Unicode.Scalar {
        let b0 = UInt32(buffer[index])
        let value: UInt32
        if b0 < 0x80 {
            value = b0
        } else if b0 < 0xE0 {
            value = (b0 & 0x1F) << 6 | UInt32(buffer[index + 1] & 0x3F)
        } else if b0 < 0xF0 {
            value = (b0 & 0x0F) << 12 | UInt32(buffer[index + 1] & 0x3F) << 6 | UInt32(buffer[index + 2] & 0x3F)
        } else {
            value = (b0 & 0x07) << 18 | UInt32(buffer[index + 1] & 0x3F) << 12
                | UInt32(buffer[index + 2] & 0x3F) << 6 | UInt32(buffer[index + 3] & 0x3F)
        }
        return Unicode.Scalar(value)!
    }

    /// True when a run may be cut before `index`: on a scalar boundary and not inside `\r\n`.
    @inlinable
    static func canSplit(_ buffer: UnsafeBufferPointer<UInt8>, before index: Int) -> Bool {
        let byte = buffer[index]
        return !isContinuation(byte) && !(byte == lf && buffer[index - 1] == cr)
    }

    /// Cut points (including `0` and `count`) splitting `buffer` into about `pieces` runs of
    /// similar size, each cut on a scalar boundary and outside `\r\n`.
    @usableFromInline
    static func cutPoints(_ buffer: UnsafeBufferPointer<UInt8>, pieces: Int) -> [Int] {
        let n = buffer.count
        var points = [0]
        points.reserveCapacity(pieces + 1)
        if pieces > 1 {
            for piece in 1..<pieces {
                var p = max(piece * n / pieces, points[points.count - 1] + 1)
                while p < n, !canSplit(buffer, before: p) { p += 1 }
                if p >= n { break }
                points.append(p)
            }
        }
        points.append(n)
        return points
    }
}
