import MeshOT

extension TextBuffer {
    /// The operation equivalent to one LSP `TextDocumentContentChangeEvent` applied to this text:
    /// `range` replaced by `text`, or, with no range, the whole text replaced by `text` (reduced
    /// to the part that actually changed, so a full-sync editor still yields a small operation).
    public func operation(replacing range: LSPRange?, with text: String, encoding: PositionEncoding) -> TextOperation {
        guard let range else { return operation(replacingAllWith: text) }
        let start = offset(at: range.start, encoding: encoding)
        let end = max(start, offset(at: range.end, encoding: encoding))
        return trimmedOperation(replacing: start..<end, with: text)
    }

    /// The smallest single replacement turning this text into `text`.
    public func operation(replacingAllWith text: String) -> TextOperation {
        trimmedOperation(replacing: 0..<count, with: text)
    }

    /// `range` (scalar offsets) replaced by `text`, reduced to the part that actually changed.
    private func trimmedOperation(replacing range: Range<Int>, with text: String) -> TextOperation {
        // Editors report wider ranges than they changed (Neovim: joining two lines replaces
        // "\nline" with "line"). Only the part that differs is an edit: otherwise two users
        // making the same change at once would both re-insert the unchanged text.
        let old = Array(self.text(in: range).unicodeScalars)
        let new = Array(text.unicodeScalars)
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix,
              old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        guard prefix > 0 || suffix > 0 else { return .replacing(range, with: text, in: count) }
        var inserted = String.UnicodeScalarView()
        inserted.append(contentsOf: new[prefix..<(new.count - suffix)])
        return .replacing((range.lowerBound + prefix)..<(range.upperBound - suffix), with: String(inserted), in: count)
    }
}

/// One replacement of a range of a text (offsets in Unicode scalars) by new text. Made only
/// here in MeshLSP (its memberwise init), read by callers of ``TextOperation/replacements(in:)``.
public struct TextReplacement: Sendable, Hashable {
    public var start: Int
    public var end: Int
    public var text: String
}

extension TextOperation {
    /// The operation as non-overlapping LSP `TextEdit`s, every range relative to `base` (the
    /// text the operation applies to), in document order.
    ///
    /// LSP positions cannot point between `\r` and `\n`; an edit touching the middle of such a
    /// pair is widened to cover the pair, and the widened characters are put back in `newText`.
    public func textEdits(in base: TextBuffer, encoding: PositionEncoding) -> [LSPTextEdit] {
        replacements(in: base).map { $0.textEdit(in: base, encoding: encoding) }
    }

    /// The operation as non-overlapping replacements of `base` (the text it applies to), in
    /// document order, none starting or ending between the `\r` and `\n` of a line break and no
    /// two touching: applied one by one from the last, each range stays valid.
    public func replacements(in base: TextBuffer) -> [TextReplacement] {
        var replacements: [TextReplacement] = []
        var position = 0
        var pending: TextReplacement?
        func flush() {
            guard var edit = pending else { return }
            pending = nil
            if base.splitsLineBreak(at: edit.start) {
                edit.start -= 1
                edit.text = "\r" + edit.text
            }
            if base.splitsLineBreak(at: edit.end) {
                edit.end += 1
                edit.text += "\n"
            }
            // Widening can make an edit touch the previous one: merge them, so that no two
            // edits share a position and the order of edits never matters.
            if let last = replacements.last, last.end >= edit.start {
                replacements[replacements.count - 1] = TextReplacement(
                    start: last.start, end: edit.end, text: last.text + base.text(in: last.end..<edit.start) + edit.text)
            } else {
                replacements.append(edit)
            }
        }
        for component in components {
            switch component {
            case let .retain(n):
                flush()
                position += n
            case let .insert(s):
                pending = TextReplacement(start: position, end: position, text: (pending?.text ?? "") + s)
            case let .delete(n):
                pending = TextReplacement(start: pending?.start ?? position, end: position + n, text: pending?.text ?? "")
                position += n
            }
        }
        flush()
        if let last = replacements.last, let kept = last.keepingFinalLineBreak(of: base, after: replacements.dropLast().last?.end) {
            replacements[replacements.count - 1] = kept
        }
        return replacements
    }
}

extension TextReplacement {
    /// The same change, made before the text's final line break rather than across or after
    /// it, when there is one: a replacement reaching the end of a text that ends with a line
    /// break, whose new text is empty or ends with that line break too. Editors disagree about
    /// the position after the last line break: Neovim's `apply_text_edits` turns an edit there
    /// into whole lines (`nvim_buf_set_lines`) or clamps it and then deletes the buffer's last
    /// line, so a line appended at the end came out with an extra line, never matched the
    /// edit, and was sent again forever. The text the edit makes is the same either way.
    /// `previousEnd` is where the replacement before this one ends (they may not touch).
    func keepingFinalLineBreak(of base: TextBuffer, after previousEnd: Int?) -> TextReplacement? {
        let count = base.count
        guard end == count, count > 0 else { return nil }
        let breakLength = count >= 2 && base.text(in: (count - 2)..<count) == "\r\n" ? 2 : base.scalar(at: count - 1) == "\n" ? 1 : 0
        guard breakLength > 0 else { return nil }
        let lineBreak = Array(base.text(in: (count - breakLength)..<count).unicodeScalars)
        let newScalars = Array(text.unicodeScalars)
        guard newScalars.isEmpty || newScalars.suffix(breakLength).elementsEqual(lineBreak) else { return nil }
        let trimmed = String(String.UnicodeScalarView(newScalars.dropLast(newScalars.isEmpty ? 0 : breakLength)))
        if !newScalars.isEmpty, start <= count - breakLength {
            // Replaced lines, the last line break included: replace them without it.
            return TextReplacement(start: start, end: count - breakLength, text: trimmed)
        }
        // Inserted or deleted after a line break: do it before that line break instead.
        let earlier = start - breakLength
        guard earlier >= 0, previousEnd.map({ $0 < earlier }) ?? true, !base.splitsLineBreak(at: earlier),
              base.text(in: earlier..<start) == String(String.UnicodeScalarView(lineBreak)) else { return nil }
        return TextReplacement(start: earlier, end: count - breakLength,
                               text: newScalars.isEmpty ? "" : String(String.UnicodeScalarView(lineBreak)) + trimmed)
    }
}

extension TextReplacement {
    /// This replacement as an LSP `TextEdit` on `base`.
    public func textEdit(in base: TextBuffer, encoding: PositionEncoding) -> LSPTextEdit {
        LSPTextEdit(range: LSPRange(start: base.position(at: start, encoding: encoding),
                                    end: base.position(at: end, encoding: encoding)),
                    newText: text)
    }
}

extension TextBuffer {
    /// True when `offset` falls between the `\r` and `\n` of a CRLF line break.
    public func splitsLineBreak(at offset: Int) -> Bool {
        offset > 0 && offset < count && scalar(at: offset - 1) == "\r" && scalar(at: offset) == "\n"
    }
}
