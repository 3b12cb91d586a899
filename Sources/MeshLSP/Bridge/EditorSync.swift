import MeshOT
import MeshProtocol

/// Keeps one editor buffer and the bridge's copy of the shared document in step, over the only
/// channel LSP offers: versioned `workspace/applyEdit` one way, `didChange` the other.
///
/// The bridge's text (`document`) is the truth: the session's text plus local edits not yet
/// acknowledged. `editor` is the editor's text at `editorVersion` as far as the bridge has
/// interpreted its reports; it lags behind by `pending`, the remote changes the editor has not
/// confirmed yet, and `document == pending(editor)` always holds.
///
/// At most one `applyEdit` is in flight (an ``InflightEdit``). It names the version it
/// applies to, so an editor applies it only to exactly `editor`; the changes reported after it
/// are held until they prove whether they begin with its echo or are all typing (never
/// trusting `applied: true` from an editor that also says so for edits it skipped). The user's
/// typing is then transformed against the remote changes it raced with, and a refused edit is
/// sent again, transformed. Nothing is applied twice or lost: see docs/architecture.md.
///
/// An editor without versioned edits (``EditorTraits/versionedEdits`` false) is sent edits it
/// applies to whatever its buffer holds. When typing reached it first, the edit may land off
/// its place; the bridge recognises where it landed, undoes it there and sends it again,
/// transformed (``InflightEdit/Settlement/displaced(typedBefore:echoEnd:)``). The shared text
/// stays exact; the editor shows the misplaced edit until the correction arrives.
public struct EditorSync: Sendable {
    /// An `applyEdit` the bridge should send.
    public struct Outgoing: Sendable, Equatable {
        public var id: Int
        /// The editor version the edits apply to (not sent when ``EditorTraits/versionedEdits``
        /// is false).
        public var version: Int
        public var edits: [LSPTextEdit]
    }

    /// What an editor report leads to: the user's own edit as an operation on `document`
    /// (nil when there was none) and an `applyEdit` to send, if any.
    public typealias Reaction = (local: TextOperation?, send: Outgoing?)

    public private(set) var document: TextBuffer
    public private(set) var editor: TextBuffer
    public private(set) var editorVersion: Int
    public let encoding: PositionEncoding
    public let traits: EditorTraits
    private var inflight: InflightEdit?
    /// Remote changes not sent to the editor yet; they apply after the in-flight edit (or to
    /// `editor` when none is in flight).
    private var queued: TextOperation
    private var nextID = 1
    /// A probe went out since the editor last reported a change: no second one until it does
    /// (an editor that refused it would otherwise be probed forever).
    private var probedSinceLastChange = false
    /// Where the user types, for Neovim's built-in client (its reports rotate an insertion next
    /// to equal text away from it): in `reportedText`'s coordinates.
    private var cursor = TypingCursor()

    /// Remote changes the editor has not confirmed: `document == pending(editor)`.
    public var pending: TextOperation {
        guard let inflight else { return queued }
        return (try? inflight.operation.compose(queued)) ?? queued
    }

    /// `editorText` is what the editor opened with; `documentText` the session's text. When
    /// they differ the session wins: the first `applyEdit` brings the editor to it. The edits
    /// sent are numbered from `firstEditID` (the bridge gives every buffer's sync its own range,
    /// so that an answer to an edit of a buffer closed and opened again settles nothing new).
    public init(editorText: String, version: Int, documentText: String, encoding: PositionEncoding,
                traits: EditorTraits = .strict, firstEditID: Int = 1) {
        nextID = firstEditID
        editor = TextBuffer(editorText)
        document = TextBuffer(documentText)
        editorVersion = version
        self.encoding = encoding
        self.traits = traits
        queued = editor.operation(replacingAllWith: documentText)
    }

    /// The first `applyEdit`, when the editor opened a text other than the session's (or a
    /// probe, when the editor would not check the version it opened with).
    public mutating func initialEdit() -> Outgoing? { sendIfIdle() }

    /// The editor's text as its reports so far make it (ahead of `editor` while an edit is in
    /// flight): what the changes of its next `didChange` apply to.
    public var reportedText: TextBuffer { inflight?.running ?? editor }

    /// True when the editor shows exactly the shared text.
    public var isInStep: Bool { inflight == nil && queued.isNoop }

    /// An edit that arrived from the session (already transformed against local edits).
    public mutating func applyRemote(_ operation: TextOperation) throws(OTError) -> Outgoing? {
        try operation.apply(to: &document)
        queued = try queued.compose(operation)
        return sendIfIdle()
    }

    /// The editor's `didChange`: content changes in order, each a range (nil: the whole text)
    /// and its new text, positions in the negotiated encoding.
    public mutating func didChange(version: Int, changes: [(range: LSPRange?, text: String)]) throws(OTError) -> Reaction {
        probedSinceLastChange = false
        guard var held = inflight else {
            var user = TextOperation.identity(length: editor.count)
            for change in changes {
                let step = reported(change, on: editor)
                try step.apply(to: &editor)
                user = try user.compose(step)
            }
            editorVersion = version
            return try accept(user)
        }
        var running = held.running
        var steps: [TextOperation] = []
        for change in changes {
            let step = reported(change, on: running)
            try step.apply(to: &running)
            steps.append(step)
        }
        try held.record(steps, version: version)
        inflight = held
        return try settle()
    }

    /// One reported change as an operation on `text`; for Neovim's built-in client, an
    /// insertion next to equal text is put where the user was typing (``TypingCursor``).
    private mutating func reported(_ change: (range: LSPRange?, text: String), on text: TextBuffer) -> TextOperation {
        let step = text.operation(replacing: change.range, with: change.text, encoding: encoding)
        return traits.answersTruthfully ? step : cursor.place(step, on: text)
    }

    /// The answer to an `applyEdit` (an error answer is `applied: false`). Whether it can be
    /// believed depends on the editor's ``EditorTraits``; the text of the changes it reports
    /// confirms it either way.
    public mutating func applyEditResponse(id: Int, applied: Bool) throws(OTError) -> Reaction {
        guard var held = inflight, held.id == id else { return (nil, nil) }
        held.answered(applied)
        inflight = held
        return try settle()
    }

    /// Replaces the shared text wholesale (a resync): the editor is brought to it. An edit in
    /// flight may land or not: it settles as any does (its echo is never typing), and the
    /// change to the new text goes out after it, as remote changes do.
    public mutating func resync(documentText: String) -> Outgoing? {
        document = TextBuffer(documentText)
        if let held = inflight {
            queued = held.expected.operation(replacingAllWith: documentText)
            return nil
        }
        queued = editor.operation(replacingAllWith: documentText)
        return sendIfIdle()
    }

    /// Converts an offset in `document` to the editor's coordinates (through what it has not
    /// applied yet), for cursors and diagnostics.
    public func editorOffset(forDocumentOffset offset: Int) -> Int {
        guard !pending.isNoop, let back = try? pending.inverted(against: editor) else { return min(offset, editor.count) }
        return min(back.transform(offset: offset, stickiness: .before), editor.count)
    }

    /// The reverse: an editor offset in `document` coordinates.
    public func documentOffset(forEditorOffset offset: Int) -> Int {
        min(pending.transform(offset: offset, stickiness: .before), document.count)
    }

    // MARK: Settling the in-flight edit

    /// The buffer closed: no answer or report will come for the edit in flight, so the reports
    /// so far settle it (``InflightEdit/finalSettlement(traits:)``) and the typing held with it
    /// is returned as the user's edit on `document` (nil: none), not lost with the buffer.
    public mutating func close() throws(OTError) -> TextOperation? {
        guard let held = inflight else { return nil }
        return try settle(held.finalSettlement(traits: traits)).local
    }

    /// Takes the in-flight edit's outcome once the reports prove it (or as `decided`), and with
    /// it the held typing.
    private mutating func settle(_ decided: InflightEdit.Settlement? = nil) throws(OTError) -> Reaction {
        guard let held = inflight else { return (nil, nil) }
        let user: TextOperation
        // For a displaced edit: the operation taking the editor's text to the one without it.
        var undo: TextOperation?
        switch decided ?? held.settlement(traits: traits) {
        case .wait:
            return (nil, nil)
        case let .applied(echoLength):
            // `queued` applies to `expected`, and so does the typing after the echo.
            user = try Self.compose(held.steps.dropFirst(echoLength), on: held.expected)
        case .refused:
            // The editor never saw the edit: its changes are due again, after the typing.
            queued = try held.operation.compose(queued)
            user = try Self.compose(held.steps[...], on: held.base)
        case .unrecognised:
            user = held.expected.operation(replacingAllWith: held.running.description)
        case let .displaced(typedBefore, echoEnd):
            // Typing, the edit where it landed, typing. The user's edit is the typing without
            // the landed edit, on `base`, and the edit is due again after it, as if refused;
            // the editor's text also needs the landed edit taken back.
            let before = try Self.compose(held.steps[..<typedBefore], on: held.base)
            var typed = held.base
            try before.apply(to: &typed)
            let echo = try Self.compose(held.steps[typedBefore..<echoEnd], on: typed)
            var landed = typed
            try echo.apply(to: &landed)
            let after = try Self.compose(held.steps[echoEnd...], on: landed)
            let (afterWithoutEcho, takeBack) = try TextOperation.transform(after, try echo.inverted(against: typed))
            queued = try held.operation.compose(queued)
            user = try before.compose(afterWithoutEcho)
            undo = takeBack
        }
        inflight = nil
        editor = held.running
        editorVersion = held.latestVersion
        return try accept(user, undo: undo)
    }

    /// The user's edit on the editor's previous text: concurrent with the remote changes the
    /// editor has not seen (`queued`), so both are transformed. `undo`, when given, takes the
    /// editor's text to the one `user` makes (a displaced edit taken back): it goes first.
    private mutating func accept(_ user: TextOperation, undo: TextOperation? = nil) throws(OTError) -> Reaction {
        var local: TextOperation?
        if !user.isNoop {
            let (userOnDocument, queuedAfter) = try TextOperation.transform(user, queued)
            try userOnDocument.apply(to: &document)
            queued = queuedAfter
            local = userOnDocument
        }
        if let undo { queued = try undo.compose(queued) }
        return (local, sendIfIdle())
    }

    private static func compose(_ steps: ArraySlice<TextOperation>, on base: TextBuffer) throws(OTError) -> TextOperation {
        var user = TextOperation.identity(length: base.count)
        for step in steps { user = try user.compose(step) }
        return user
    }

    // MARK: Sending

    private mutating func sendIfIdle() -> Outgoing? {
        guard inflight == nil, !queued.isNoop else { return nil }
        if traits.needsProbe(atVersion: editorVersion) { return sendProbe() }
        var expected = editor
        guard (try? queued.apply(to: &expected)) != nil else { return nil }
        if expected == editor {
            // The remote changes leave the editor's text as it is (say, an `a` deleted from
            // one end of a run of `a`s and inserted at the other). Sent, their echo could not
            // be told from typing; the editor already shows the shared text.
            queued = .identity(length: editor.count)
            return nil
        }
        let replacements = queued.replacements(in: editor)
        var edits = replacements.map { $0.textEdit(in: editor, encoding: encoding) }
        var waypoints: [TextBuffer] = []
        if !traits.answersTruthfully {
            // Sealed (see ``seal``): Neovim applies the empty edit at the start, first in the
            // list, last of all, and reports it as a change that changes nothing.
            edits.insert(Self.seal, at: 0)
            waypoints = Self.waypoints(editor, replacements) + [expected]
        }
        let edit = InflightEdit(id: nextID, kind: .edit, base: editor, version: editorVersion, operation: queued,
                                expected: expected, waypoints: waypoints,
                                unversioned: traits.versionedEdits ? nil : .init(edits: edits, encoding: encoding))
        let outgoing = Outgoing(id: nextID, version: editorVersion, edits: edits)
        inflight = edit
        queued = .identity(length: expected.count)
        nextID += 1
        return outgoing
    }

    /// An empty edit at the start of the text, harmless whatever the buffer holds, so that the
    /// editor reports a change and with it a version it checks.
    private mutating func sendProbe() -> Outgoing? {
        guard !probedSinceLastChange else { return nil }
        probedSinceLastChange = true
        inflight = InflightEdit(id: nextID, kind: .probe, base: editor, version: editorVersion,
                                operation: .identity(length: editor.count), expected: editor, waypoints: [])
        defer { nextID += 1 }
        return Outgoing(id: nextID, version: editorVersion, edits: [Self.seal])
    }

    /// An empty edit at the start of the text. Ending every edit for Neovim's built-in handler
    /// (which answers `applied: true` also for an edit it skipped), it makes the echo end in a
    /// change that changes nothing, which typing does not make: without it, a user who typed
    /// the very text of the edit they were sent (two people pressing Enter at the end of one
    /// line, or typing the same `<n` at one place) had their keys taken for the skipped
    /// edit's echo, and lost.
    static let seal = LSPTextEdit(range: LSPRange(start: LSPPosition(line: 0, character: 0),
                                                  end: LSPPosition(line: 0, character: 0)), newText: "")

    /// The texts an editor passes through applying `replacements` one at a time from the last
    /// (as Neovim does), the last of them the edit's result.
    private static func waypoints(_ base: TextBuffer, _ replacements: [TextReplacement]) -> [TextBuffer] {
        var text = base
        return replacements.reversed().map { replacement in
            text.replace(replacement.start..<replacement.end, with: replacement.text)
            return text
        }
    }
}
