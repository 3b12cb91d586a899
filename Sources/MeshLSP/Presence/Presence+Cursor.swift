import MeshOT
import MeshProtocol

/// Our own cursor: the exact selections from `mesh/cursor` (the editor plugins), else the
/// positions of hover, completion and code-action requests and the end of our last edit; sent to
/// the others at most once per burst of moves.
extension Presence {
    /// `mesh/cursor` from a plugin: the exact selections.
    mutating func meshCursor(_ cursor: MeshCursorParams, in documents: DocumentBridge) {
        guard let uri = cursor.textDocument?.uri, let path = documents.path(of: uri),
              let sync = documents.view(of: path)?.sync, let selections = cursor.selections
        else { return }
        let ranges: [SelectionRange] = selections.map { selection in
            SelectionRange(anchor: documentOffset(selection.anchor, sync), head: documentOffset(selection.head, sync))
        }
        guard !ranges.isEmpty else { return }
        localCursor = (path, ranges)
        scheduleCursorSend()
    }

    /// A position-bearing request (hover, completion, signature help…): the cursor is there.
    mutating func noteCursor(_ request: TextDocumentPositionParams, in documents: DocumentBridge) {
        noteCursor(request.textDocument, position: request.position, range: nil, in: documents)
    }

    /// A request's position (the cursor), else its range (a code action's: the selection), in
    /// the document named.
    mutating func noteCursor(_ textDocument: TextDocumentIdentifier?, position: LSPPosition?, range: LSPRange?,
                             in documents: DocumentBridge) {
        guard let uri = textDocument?.uri, let path = documents.path(of: uri), let sync = documents.view(of: path)?.sync
        else { return }
        if let position {
            localCursor = (path, [.cursor(documentOffset(position, sync))])
        } else if let range {
            localCursor = (path, [SelectionRange(anchor: documentOffset(range.start, sync), head: documentOffset(range.end, sync))])
        } else {
            return
        }
        scheduleCursorSend()
    }

    private func documentOffset(_ position: LSPPosition, _ sync: EditorSync) -> Int {
        sync.documentOffset(forEditorOffset: sync.editor.offset(at: position, encoding: encoding))
    }

    /// Sends our cursor soon (one presence message per burst of moves).
    mutating func scheduleCursorSend() {
        guard !cursorSendScheduled else { return }
        cursorSendScheduled = true
        background.deliver(.sendCursor, after: .milliseconds(20))
    }

    /// The coalesced send of our cursor.
    mutating func sendCursor(_ documents: DocumentBridge, session: SessionPort) {
        cursorSendScheduled = false
        guard let cursor = localCursor, let document = documents.view(of: cursor.path) else { return }
        if case let .tooLarge(limit) = session.send(.presence(.init(path: cursor.path, rev: document.revision, selections: cursor.selections))) {
            editor.log("Mesh: your cursors in \(cursor.path) are not shown to the others: \(cursor.selections.count) selections "
                       + "are larger than the server takes in one message (\(limit) bytes)", type: 2)
        }
    }
}
