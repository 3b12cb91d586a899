import MeshOT

/// A zero-based line and character, as in the LSP `Position`; `character` counts code units of
/// the negotiated `PositionEncoding`: MeshOT's ``TextPosition``, which is what it is on the wire
/// (`{"line","character"}`, its synthesized `Codable`).
public typealias LSPPosition = TextPosition

/// A range of two ``LSPPosition``s, end exclusive, as in the LSP `Range`.
public struct LSPRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var start: LSPPosition
    public var end: LSPPosition

    public init(start: LSPPosition, end: LSPPosition) {
        self.start = start
        self.end = end
    }

    public var description: String { "\(start)-\(end)" }
}

/// An LSP `TextEdit`: replace `range` (in the original text) with `newText`.
public struct LSPTextEdit: Sendable, Hashable, Codable {
    public var range: LSPRange
    public var newText: String
}

/// ``TextBuffer``'s position conversions, in LSP positions (``TextBuffer/offset(at:encoding:)``
/// takes one as it is).
extension TextBuffer {
    /// The LSP position of scalar `offset`: `textPosition(at:encoding:)` (clamped; an offset
    /// inside `\r\n` maps to the end of its line).
    public func position(at offset: Int, encoding: PositionEncoding) -> LSPPosition {
        textPosition(at: offset, encoding: encoding)
    }
}
