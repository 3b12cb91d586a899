import MeshOT

/// A zero-based line and character, as in the LSP `Position`; `character` counts code units of
/// the negotiated `PositionEncoding` (MeshOT's ``TextPosition`` on the wire).
public struct LSPPosition: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var line: Int
    public var character: Int

    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    public static func < (lhs: LSPPosition, rhs: LSPPosition) -> Bool {
        (lhs.line, lhs.character) < (rhs.line, rhs.character)
    }

    public var description: String { "\(line):\(character)" }
}

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

    public init(range: LSPRange, newText: String) {
        self.range = range
        self.newText = newText
    }
}

extension LSPPosition {
    /// The same line and character as a buffer position.
    public init(_ position: TextPosition) {
        self.init(line: position.line, character: position.character)
    }

    /// The same line and character as a buffer position.
    public var textPosition: TextPosition { TextPosition(line: line, character: character) }
}

/// ``TextBuffer``'s position conversions, in LSP positions.
extension TextBuffer {
    /// The LSP position of scalar `offset`: `textPosition(at:encoding:)` (clamped; an offset
    /// inside `\r\n` maps to the end of its line).
    public func position(at offset: Int, encoding: PositionEncoding) -> LSPPosition {
        LSPPosition(textPosition(at: offset, encoding: encoding))
    }

    /// The scalar offset of an LSP position (clamped to the text, as for a ``TextPosition``).
    public func offset(at position: LSPPosition, encoding: PositionEncoding) -> Int {
        offset(at: position.textPosition, encoding: encoding)
    }
}
