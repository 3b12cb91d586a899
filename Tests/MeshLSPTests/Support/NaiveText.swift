import MeshLSP
import MeshOT

/// A deliberately simple reference for LSP positions over an array of scalars.
struct NaiveText {
    var scalars: [Unicode.Scalar]

    init(_ text: String) { scalars = text.scalars }

    /// Scalar offsets where each line starts.
    var lineStarts: [Int] {
        var starts = [0]
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\r" {
                if i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
                starts.append(i + 1)
            } else if scalars[i] == "\n" {
                starts.append(i + 1)
            }
            i += 1
        }
        return starts
    }

    func offset(_ position: LSPPosition, _ encoding: PositionEncoding) -> Int {
        let starts = lineStarts
        guard position.line < starts.count else { return scalars.count }
        var i = starts[position.line]
        var units = 0
        while i < scalars.count, scalars[i] != "\r", scalars[i] != "\n" {
            let width = encoding.width(of: scalars[i])
            if units + width > position.character { break }
            units += width
            i += 1
        }
        return i
    }

    func position(_ offset: Int, _ encoding: PositionEncoding) -> LSPPosition {
        var offset = offset
        if offset > 0, offset < scalars.count, scalars[offset - 1] == "\r", scalars[offset] == "\n" { offset -= 1 }
        let starts = lineStarts
        let line = starts.lastIndex(where: { $0 <= offset })!
        let character = scalars[starts[line]..<offset].reduce(0) { $0 + encoding.width(of: $1) }
        return LSPPosition(line: line, character: character)
    }

    /// Applies LSP edits whose ranges are all relative to this text.
    func applying(_ edits: [LSPTextEdit], _ encoding: PositionEncoding) -> String {
        var result = scalars
        for edit in edits.sorted(by: { $0.range.start > $1.range.start }) {
            let start = offset(edit.range.start, encoding)
            let end = offset(edit.range.end, encoding)
            result.replaceSubrange(start..<end, with: edit.newText.scalars)
        }
        return String(String.UnicodeScalarView(result))
    }
}
