import MeshOT
@testable import MeshLSP
import MeshTestSupport

/// A model of one editor's LSP client, as faithful as the editors' sources allow
/// (../shared/EDITORS.md): its buffer, its document versions, how it reports changes in
/// `didChange`, how it answers `workspace/applyEdit`, and in which order the two reach the
/// bridge. Only what the bridge can observe is modelled; everything is driven by one seeded
/// generator, so a failing scenario replays exactly.
struct EditorModel {
    enum Kind: String, CaseIterable, CustomStringConvertible, Sendable {
        /// Neovim 0.11, built-in `workspace/applyEdit` handler, `debounce_text_changes = 0`:
        /// every change leaves at once as its own `didChange`, before the handler answers.
        case neovimUndebounced
        /// The same with a debounce (the default 150 ms, or the plugin's 50): changes wait for
        /// the timer, except that one after a quiet spell leaves at once (Neovim's rate limit).
        case neovimDebounced
        /// Neovim with editors/nvim, whose handler checks every version and answers truthfully.
        case pluginUndebounced, pluginDebounced
        /// VS Code: version 1 at open, one version per change event, a stale edit answered
        /// `applied: false`, an applied edit reported as its changes or as one wider change,
        /// always before the answer.
        case vscode
        /// Helix: version 0 at open, a stale edit refused, a transaction's changes reported in
        /// document order, the answer and the `didChange` in either order.
        case helix
        /// Emacs eglot: version 0 at open, a stale edit refused with an error, an edit applied as
        /// a deletion and an insertion, changes sent after an idle time, merged.
        case emacs
        /// A client that does not advertise `workspaceEdit.documentChanges`, so the bridge
        /// sends `changes`: no version to check, every range resolved against the buffer as it
        /// is when the edit arrives (clamped) and applied from the last, reported at once like
        /// VS Code (one `didChange` with a change per edit, then `applied: true`).
        case unversioned

        var description: String { rawValue }
        var isNeovim: Bool { [.neovimUndebounced, .neovimDebounced, .pluginUndebounced, .pluginDebounced].contains(self) }
        var traits: EditorTraits {
            switch self {
            case .neovimUndebounced, .neovimDebounced: .neovim
            case .unversioned: .unversioned
            default: .strict
            }
        }
        var openVersion: Int { self == .vscode ? 1 : 0 }
        /// The kinds sent versioned edits (every one the three-editor test mixes).
        static var versioned: [Kind] { allCases.filter(\.traits.versionedEdits) }
    }

    struct Change: CustomStringConvertible {
        var range: LSPRange?
        var text: String
        var description: String { "\(range.map { "\($0)" } ?? "all") \(String(reflecting: text))" }
    }

    /// What the bridge reads from the editor, in order.
    enum Report {
        case didChange(version: Int, changes: [Change])
        case answer(id: Int, applied: Bool)
    }

    let kind: Kind
    let encoding: PositionEncoding
    private(set) var text: TextBuffer
    private(set) var version: Int
    /// Changes made and not reported yet (debounce, idle timer).
    private(set) var unsent: [Change] = []
    private(set) var outbox: [Report] = []
    /// `applyEdit` requests from the bridge, not handled yet.
    var inbox: [EditorSync.Outgoing] = []
    /// Where the user is typing a token a character at a time, and what is left of it.
    var typing: (cursor: Int, rest: Substring)?
    /// An unversioned edit was applied to a text other than the one it was made for (the
    /// buffer had moved on since the version the bridge last read), so it may show off its
    /// place until the bridge's correction arrives. Cleared by an edit applied at the version
    /// it was made for, or by ``caughtUp()``.
    private(set) var showsMisplacedEdit = false

    init(kind: Kind, text: String, encoding: PositionEncoding) {
        self.kind = kind
        self.text = TextBuffer(text)
        self.encoding = encoding
        version = kind.openVersion
    }

    var isQuiet: Bool { unsent.isEmpty && outbox.isEmpty && inbox.isEmpty }

    /// The bridge is in step with this editor again: nothing it shows is misplaced.
    mutating func caughtUp() { showsMisplacedEdit = false }

    mutating func nextReport() -> Report? { outbox.isEmpty ? nil : outbox.removeFirst() }

    // MARK: The user

    /// The user replaces `range` (offsets) with `newText`.
    mutating func userEdit(_ range: Range<Int>, _ newText: String, rng: inout SeededRandom) {
        let before = text
        replace(range, newText)
        bumpVersion(rng: &rng)
        report(reported(range, newText, before: before, rng: &rng), rng: &rng)
    }

    /// The user types the next key of the token they are typing (`typing`), at its cursor.
    mutating func typeNextKey(rng: inout SeededRandom) {
        guard let typing, var key = typing.rest.first.map(String.init) else { self.typing = nil; return }
        // The first key with the author's letter: typed alone, a `<` before another token's `<`
        // would be reported rotated by Neovim (a limit of its reports, docs/architecture.md).
        // Typing the very text of a remote edit is NeovimSealTests' subject.
        if key == "<", let letter = typing.rest.dropFirst().first { key.append(letter) }
        self.typing = nil
        userEdit(typing.cursor..<typing.cursor, key, rng: &rng)
        let rest = typing.rest.dropFirst(key.count)
        self.typing = rest.isEmpty ? nil : (typing.cursor + key.unicodeScalars.count, rest)
    }

    /// The debounce timer (Neovim) or idle timer (eglot) fires.
    mutating func flush() {
        guard !unsent.isEmpty else { return }
        outbox.append(.didChange(version: version, changes: unsent))
        unsent.removeAll()
    }

    // MARK: workspace/applyEdit

    /// Handles the oldest `applyEdit` request as this editor does.
    mutating func handleApplyEdit(rng: inout SeededRandom) {
        guard !inbox.isEmpty else { return }
        let request = inbox.removeFirst()
        let stale = kind.traits.versionedEdits && (kind.traits.checksEveryVersion ? request.version != version
                                                                                  : request.version > 0 && version > request.version)
        if stale {
            // Neovim: "Buffer … newer than edits." and still `applied: true`.
            outbox.append(.answer(id: request.id, applied: !kind.traits.answersTruthfully))
            return
        }
        // Ranges are resolved against the text the edit names, then applied from the last.
        let edits = request.edits.enumerated().map { (index: $0.offset, start: text.offset(at: $0.element.range.start, encoding: encoding),
                                                      end: text.offset(at: $0.element.range.end, encoding: encoding), text: $0.element.newText) }
        // As Neovim sorts them: from the last start, and at one start from the last in the list.
        let descending = edits.sorted { ($0.start, $0.index) > ($1.start, $1.index) }
        switch kind {
        case .neovimUndebounced, .neovimDebounced, .pluginUndebounced, .pluginDebounced:
            // One nvim_buf_set_text per edit, each a change of its own (an empty edit too).
            for edit in descending {
                let before = text
                replace(edit.start..<edit.end, edit.text)
                bumpVersion(rng: &rng)
                report(reported(edit.start..<edit.end, edit.text, before: before, rng: &rng), rng: &rng)
            }
            outbox.append(.answer(id: request.id, applied: true))
        case .vscode:
            let before = text
            for edit in descending { replace(edit.start..<edit.end, edit.text) }
            version += 1
            var changes: [Change]
            if edits.count > 1, Bool.random(using: &rng), let first = edits.map(\.start).min(), let last = edits.map(\.end).max() {
                // One wider change: the whole span, rewritten.
                let newEnd = last + text.count - before.count
                changes = [Change(range: range(first..<last, in: before), text: text.text(in: first..<newEnd))]
            } else {
                changes = descending.map { Change(range: range($0.start..<$0.end, in: before), text: $0.text) }
            }
            outbox.append(.didChange(version: version, changes: changes))
            outbox.append(.answer(id: request.id, applied: true))
        case .helix:
            // A transaction, reported in document order (each range after the earlier changes).
            var changes: [Change] = []
            var shift = 0
            for edit in edits.sorted(by: { $0.start < $1.start }) {
                let start = edit.start + shift, end = edit.end + shift
                changes.append(Change(range: range(start..<end, in: text), text: edit.text))
                replace(start..<end, edit.text)
                shift += edit.text.unicodeScalars.count - (edit.end - edit.start)
            }
            version += 1
            let answer = Report.answer(id: request.id, applied: true)
            let didChange = Report.didChange(version: version, changes: changes)
            outbox += Bool.random(using: &rng) ? [answer, didChange] : [didChange, answer]
        case .unversioned:
            // Whatever the buffer holds now: ranges resolved against it, applied from the last.
            showsMisplacedEdit = request.version != version
            let resolved = request.edits.map { edit in
                let start = text.offset(at: edit.range.start, encoding: encoding)
                return (start: start, end: max(start, text.offset(at: edit.range.end, encoding: encoding)), text: edit.newText)
            }
            var changes: [Change] = []
            for edit in resolved.reversed() where edit.end > edit.start || !edit.text.isEmpty {
                changes.append(Change(range: range(edit.start..<edit.end, in: text), text: edit.text))
                replace(edit.start..<edit.end, edit.text)
            }
            if !changes.isEmpty {
                version += 1
                outbox.append(.didChange(version: version, changes: changes))
            }
            outbox.append(.answer(id: request.id, applied: true))
        case .emacs:
            // Each edit as a deletion then an insertion, each a change; sent after idle time.
            outbox.append(.answer(id: request.id, applied: true))
            for edit in descending {
                var after = text
                after.replace(edit.start..<edit.end, with: "")
                if !edit.text.isEmpty, after.splitsLineBreak(at: edit.start) {
                    // The deletion alone would join a `\r` and a `\n`, leaving a position LSP
                    // cannot name: one change instead.
                    unsent.append(Change(range: range(edit.start..<edit.end, in: text), text: edit.text))
                    replace(edit.start..<edit.end, edit.text)
                    version += 1
                    continue
                }
                if edit.end > edit.start {
                    unsent.append(Change(range: range(edit.start..<edit.end, in: text), text: ""))
                    replace(edit.start..<edit.end, "")
                    version += 1
                }
                if !edit.text.isEmpty {
                    unsent.append(Change(range: range(edit.start..<edit.start, in: text), text: edit.text))
                    replace(edit.start..<edit.start, edit.text)
                    version += 1
                }
            }
        }
    }

    // MARK: Internals

    private mutating func replace(_ range: Range<Int>, _ newText: String) {
        text.replace(range, with: newText)
        guard var typing else { return }
        // The typing cursor moves with text inserted or deleted before it.
        let inserted = newText.unicodeScalars.count
        if range.lowerBound < typing.cursor {
            typing.cursor = max(range.lowerBound, typing.cursor - range.count) + (range.upperBound <= typing.cursor ? inserted : 0)
        }
        self.typing = typing
    }

    private mutating func bumpVersion(rng: inout SeededRandom) {
        // Neovim's versions are `b:changedtick`: they skip numbers.
        version += kind.isNeovim && Int.random(in: 0..<8, using: &rng) == 0 ? 2 : 1
    }

    /// How the editor reports `range` of `before` replaced by `newText`.
    private func reported(_ range: Range<Int>, _ newText: String, before: TextBuffer, rng: inout SeededRandom) -> Change {
        guard kind.isNeovim else { return Change(range: self.range(range, in: before), text: newText) }
        // Neovim (`sync.lua`): the smallest difference of the changed lines, so an insertion
        // into a run of equal text comes back shifted, its text rotated ("7><n1t").
        let old = Array(before.description.unicodeScalars), new = Array(text.description.unicodeScalars)
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix, old[old.count - 1 - suffix] == new[new.count - 1 - suffix] {
            suffix += 1
        }
        var start = prefix, end = old.count - suffix, newStart = prefix, newEnd = new.count - suffix
        // LSP positions cannot split a CRLF: widen over it (Neovim never splits one either).
        if before.splitsLineBreak(at: start) { start -= 1; newStart -= 1 }
        if before.splitsLineBreak(at: end) { end += 1; newEnd += 1 }
        var inserted = String.UnicodeScalarView()
        inserted.append(contentsOf: new[newStart..<max(newStart, newEnd)])
        return Change(range: self.range(start..<max(start, end), in: before), text: String(inserted))
    }

    private mutating func report(_ change: Change, rng: inout SeededRandom) {
        switch kind {
        case .neovimUndebounced, .pluginUndebounced, .vscode, .helix, .unversioned:
            outbox.append(.didChange(version: version, changes: [change]))
        case .neovimDebounced, .pluginDebounced:
            unsent.append(change)
            // After a quiet spell Neovim's rate limit sends at once, with what was waiting.
            if Int.random(in: 0..<4, using: &rng) == 0 { flush() }
        case .emacs:
            unsent.append(change)
        }
    }

    private func range(_ offsets: Range<Int>, in buffer: TextBuffer) -> LSPRange {
        LSPRange(start: buffer.position(at: offsets.lowerBound, encoding: encoding),
                 end: buffer.position(at: offsets.upperBound, encoding: encoding))
    }
}
