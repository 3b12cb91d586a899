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
        guard let change = Self.change(in: step) else { return step }
        if change.deleted == 0, let cursor = offset, cursor < change.start, change.start - cursor <= Self.reach,
           let moved = Self.insertion(of: change.inserted, at: change.start, movedTo: cursor, in: text) {
            offset = cursor + change.inserted.unicodeScalars.count
            return moved
        }
        offset = change.start + change.inserted.unicodeScalars.count
        return step
    }

    /// The one replacement `operation` makes (its start, how much it deletes, what it inserts),
    /// nil for the identity or several replacements.
    static func change(in operation: TextOperation) -> (start: Int, deleted: Int, inserted: String)? {
        var start = 0, deleted = 0, inserted = "", changed = false, after = false
        for component in operation.components {
            switch component {
            case let .retain(n):
                if changed { after = true } else { start += n }
            case let .insert(s):
                guard !after else { return nil }
                changed = true
                inserted += s
            case let .delete(n):
                guard !after else { return nil }
                changed = true
                deleted += n
            }
        }
        return changed ? (start, deleted, inserted) : nil
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
