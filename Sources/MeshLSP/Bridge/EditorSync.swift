import MeshOT
import MeshProtocol

/// Keeps one editor buffer and the bridge's copy of the shared document in step, over the only
/// channel LSP offers: versioned `workspace/applyEdit` one way, `didChange` the other.
///
/// The bridge's text (`document`) is the truth: the session's text plus local edits not yet
/// acknowledged. The editor's text (`editor`, at `editorVersion`) lags behind by `pending`,
/// the remote changes it has not confirmed yet; `document == pending(editor)` always holds.
/// At most one `applyEdit` is in flight. It names the version it applies to, so an editor can
/// apply it only to exactly the text we know; its echo is then the first changes of the next
/// `didChange`, recognised by the text they produce (never by `applied: true`, which Neovim
/// also answers for edits it ignored). Edits that race with typing are transformed and resent.
public struct EditorSync: Sendable {
    /// An `applyEdit` the bridge should send.
    public struct Outgoing: Sendable, Equatable {
        public var id: Int
        public var version: Int
        public var edits: [LSPTextEdit]
    }

    public private(set) var document: TextBuffer
    public private(set) var editor: TextBuffer
    public private(set) var editorVersion: Int
    public let encoding: PositionEncoding
    private var inflight: Inflight?
    /// Remote changes not sent to the editor yet; they apply after the in-flight edit (or to
    /// `editor` when none is in flight).
    private var queued: TextOperation
    private var nextID = 1

    /// Remote changes the editor has not confirmed: `document == pending(editor)`.
    public var pending: TextOperation {
        guard let inflight else { return queued }
        return (try? inflight.operation.compose(queued)) ?? queued
    }

    private struct Inflight {
        var id: Int
        var version: Int
        /// The editor text the edit produces when applied to `editor`.
        var expected: TextBuffer
        /// The part of `pending` it carries.
        var operation: TextOperation
    }

    /// `editorText` is what the editor opened with; `documentText` the session's text. When
    /// they differ the session wins: the first `applyEdit` brings the editor to it.
    public init(editorText: String, version: Int, documentText: String, encoding: PositionEncoding) {
        editor = TextBuffer(editorText)
        document = TextBuffer(documentText)
        editorVersion = version
        self.encoding = encoding
        queued = editor.operation(replacingAllWith: documentText)
    }

    /// The first `applyEdit`, when the editor opened a text other than the session's.
    public mutating func initialEdit() -> Outgoing? { sendIfIdle() }

    /// True when the editor shows exactly the shared text.
    public var isInStep: Bool { inflight == nil && queued.isNoop }

    /// An edit that arrived from the session (already transformed against local edits).
    public mutating func applyRemote(_ operation: TextOperation) throws(OTError) -> Outgoing? {
        try operation.apply(to: &document)
        queued = try queued.compose(operation)
        return sendIfIdle()
    }

    /// The editor's `didChange`: content changes in order, each a range (nil: the whole text)
    /// and its new text, positions in the negotiated encoding. Returns the user's own edit as
    /// an operation on `document` (nil when the change was only our echo) and an `applyEdit`
    /// to send, if any.
    public mutating func didChange(version: Int, changes: [(range: LSPRange?, text: String)]) throws(OTError)
        -> (local: TextOperation?, send: Outgoing?)
    {
        var running = editor
        var echoEnd: Int?   // number of leading changes that were our in-flight edit
        var steps: [TextOperation] = []
        for (index, change) in changes.enumerated() {
            let step = running.operation(replacing: change.range, with: change.text, encoding: encoding)
            try step.apply(to: &running)
            steps.append(step)
            if echoEnd == nil, let inflight, running.count == inflight.expected.count, running == inflight.expected {
                echoEnd = index + 1
            }
        }
        // A full-text change that also carries typing cannot be split by position: take the
        // reading that explains it with the smaller edit.
        if echoEnd == nil, let inflight, changes.count == 1, changes[0].range == nil {
            let fromExpected = inflight.expected.operation(replacingAllWith: running.description)
            let fromEditor = editor.operation(replacingAllWith: running.description)
            if Self.size(fromExpected) < Self.size(fromEditor) {
                echoEnd = 0              // the user's part applies to the expected text
                steps = [fromExpected]
            }
        }
        var user = TextOperation.identity(length: editor.count)
        if let echoEnd, inflight != nil {
            // The editor applied our edit first; the changes after it are the user's.
            user = .identity(length: inflight!.expected.count)
            for step in steps.dropFirst(echoEnd) { user = try user.compose(step) }
            inflight = nil          // `queued` now applies to the editor's text
        } else {
            for step in steps { user = try user.compose(step) }
            if let stale = inflight {
                // The editor moved before our edit reached it: the edit will never apply
                // (versioned). Fold it back and resend it transformed.
                queued = try stale.operation.compose(queued)
                inflight = nil
            }
        }
        editor = running
        editorVersion = version
        guard !user.isNoop else { return (nil, sendIfIdle()) }
        // The user's edit and the remote changes the editor has not seen are concurrent.
        let (userOnDocument, queuedAfter) = try TextOperation.transform(user, queued)
        try userOnDocument.apply(to: &document)
        queued = queuedAfter
        return (userOnDocument, sendIfIdle())
    }

    /// The answer to an `applyEdit`. `applied: false` means the editor will never apply it;
    /// `applied: true` is not trusted (the next `didChange` confirms).
    public mutating func applyEditResponse(id: Int, applied: Bool) -> Outgoing? {
        guard !applied, let rejected = inflight, rejected.id == id else { return nil }
        queued = (try? rejected.operation.compose(queued)) ?? queued
        inflight = nil
        return sendIfIdle()
    }

    /// Replaces the shared text wholesale (a resync): the editor is brought to it.
    public mutating func resync(documentText: String) -> Outgoing? {
        document = TextBuffer(documentText)
        queued = editor.operation(replacingAllWith: documentText)
        inflight = nil
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

    private mutating func sendIfIdle() -> Outgoing? {
        guard inflight == nil, !queued.isNoop else { return nil }
        var expected = editor
        guard (try? queued.apply(to: &expected)) != nil else { return nil }
        if expected == editor {
            // The remote changes leave the editor's text as it is (say, an `a` deleted from
            // one end of a run of `a`s and inserted at the other). Sent, their echo could not
            // be told from typing; the editor already shows the shared text.
            queued = .identity(length: editor.count)
            return nil
        }
        let outgoing = Outgoing(id: nextID, version: editorVersion, edits: queued.textEdits(in: editor, encoding: encoding))
        inflight = Inflight(id: nextID, version: editorVersion, expected: expected, operation: queued)
        queued = .identity(length: expected.count)
        nextID += 1
        return outgoing
    }

    private static func size(_ operation: TextOperation) -> Int {
        operation.components.reduce(0) { sum, c in
            switch c {
            case .retain: sum
            case let .insert(s): sum + s.unicodeScalars.count
            case let .delete(n): sum + n
            }
        }
    }
}
