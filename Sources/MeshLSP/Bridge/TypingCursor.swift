import MeshOT

/// Where the user is typing, as far as an editor's reports tell: the end of the last change it
/// reported. For Neovim's built-in client, which reports each change as the smallest difference
/// of the changed lines, so an insertion next to equal text comes at the rightmost place the
/// same text could have been inserted at: `t` typed before the `t` of `fmt` is reported as
/// inserted after it. The text is the same either way, but a peer's concurrent insertion after
/// that `t` then lands inside the word being typed (`fm<n0t<n3t17>6>t`). Placed back where the
/// user was typing, it lands after the word.
struct TypingCursor: Sendable {
    /// The offset after the last reported change, in the text after it.
    private(set) var offset: Int?
    /// How far to the left a reported insertion is looked at again (a typed key, a paste).
    static let reach = 256

    /// `step`, a change reported on `text`, made where the user was typing instead when it is an
    /// insertion right of the cursor that makes the same text there; the cursor follows it.
    mutating func place(_ step: TextOperation, on text: TextBuffer) -> TextOperation {
        let replacements = step.replacements(in: text)
        guard replacements.count == 1, let change = replacements.first else { return step }
        let length = change.text.unicodeScalars.count
        if change.end == change.start, let cursor = offset, cursor < change.start, change.start - cursor <= Self.reach,
           let moved = Self.insertion(of: change.text, at: change.start, movedTo: cursor, in: text) {
            offset = cursor + length
            return moved
        }
        offset = change.start + length
        return step
    }

    /// Inserting `inserted` at `start` of `text` as an insertion at `cursor` (< `start`) that
    /// makes the same text: `text[cursor..<start] + inserted` must end with `text[cursor..<start]`,
    /// and its beginning is what is inserted at `cursor`. Nil when no such insertion exists.
    static func insertion(of inserted: String, at start: Int, movedTo cursor: Int, in text: TextBuffer) -> TextOperation? {
        let between = Array(text.text(in: cursor..<start).unicodeScalars)
        let typed = Array(inserted.unicodeScalars)
        let joined = between + typed
        guard joined.suffix(between.count).elementsEqual(between) else { return nil }
        return .replacing(cursor..<cursor, with: String(String.UnicodeScalarView(joined.prefix(typed.count))), in: text.count)
    }
}
