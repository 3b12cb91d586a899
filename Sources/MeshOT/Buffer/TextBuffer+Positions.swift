/// Conversions between scalar offsets and line / character positions (`character` in the code
/// units of a ``PositionEncoding``). Each is a few O(log n) descents plus leaf scans.
extension TextBuffer {
    /// The position of scalar `offset` (clamped to `0...count`).
    ///
    /// An offset between the `\r` and `\n` of a `\r\n` (where no position can point) maps to
    /// the end of that line, the position just before the `\r`.
    public func textPosition(at offset: Int, encoding: PositionEncoding) -> TextPosition {
        let offset = min(max(offset, 0), count)
        let prefix = root.prefixSummary(offset, snapOutOfLineBreak: true)
        let line = prefix.lines
        let lineStart = line == 0 ? 0 : root.lineBreak(line).end.units(encoding)
        return TextPosition(line: line, character: prefix.units(encoding) - lineStart)
    }

    /// The scalar offset of a position.
    ///
    /// - A `character` past the end of its line clamps to the line end (before the break).
    /// - A `line` past the last line clamps to the end of the text (`count`).
    /// - A `character` inside a multi-unit scalar (the middle of a surrogate pair or of a UTF-8
    ///   sequence) rounds down to the start of that scalar.
    /// - A negative `line` clamps to the start of the text; a negative `character` to the start
    ///   of its line.
    public func offset(at position: TextPosition, encoding: PositionEncoding) -> Int {
        if position.line < 0 { return 0 }
        let line = position.line
        if line >= lineCount { return count }
        let start = line == 0 ? RopeSummary.zero : root.lineBreak(line).end
        let character = max(0, position.character)
        if character == 0 { return start.scalars }
        let end = line + 1 < lineCount ? root.lineBreak(line + 1).start : root.summary
        if character >= end.units(encoding) - start.units(encoding) { return end.scalars }
        return min(root.scalarOffset(forUnits: start.units(encoding) + character, encoding), end.scalars)
    }

    /// The scalar offset where `line` starts; a line past the last clamps to `count`, a
    /// negative one to 0.
    public func lineStartOffset(_ line: Int) -> Int {
        if line <= 0 { return 0 }
        if line >= lineCount { return count }
        return root.lineBreak(line).end.scalars
    }

    /// The scalar offset where `line` ends: just before its line break, or the end of the text
    /// for the last line. A line past the last clamps to `count`, a negative one to line 0.
    public func lineEndOffset(_ line: Int) -> Int {
        let line = max(line, 0)
        if line >= lineCount - 1 { return count }
        return root.lineBreak(line + 1).start.scalars
    }
}
