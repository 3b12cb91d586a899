import MeshOT
import MeshProtocol

/// One session document the bridge follows: its OT client and either the editor buffer it
/// is bridged to or, when no editor has it open, its text (kept current on disk).
struct SharedDocument {
    enum Content {
        case closed(TextBuffer)
        case open(uri: String, sync: EditorSync)
    }

    let path: String
    var client: OTClient
    var content: Content
    /// Other participants' selections, in document offsets, by user id.
    var presence: [String: RemoteSelections] = [:]
    /// Annotations by id, ranges in document offsets.
    var annotations: [String: ServerMessage.Annotation] = [:]
    /// This participant's own changes, for `mesh.undo` / `mesh.redo`.
    var history = UndoHistory()

    /// The shared text including local edits not yet acknowledged.
    var text: TextBuffer {
        switch content {
        case let .closed(text): text
        case let .open(_, sync): sync.document
        }
    }

    var uri: String? {
        if case let .open(uri, _) = content { return uri }
        return nil
    }

    /// Moves everything positioned in the document through an edit.
    mutating func transformPositions(_ operation: TextOperation) {
        for (user, remote) in presence {
            presence[user]?.selections = remote.selections.map {
                SelectionRange(anchor: operation.transform(offset: $0.anchor, stickiness: .before),
                               head: operation.transform(offset: $0.head, stickiness: .before))
            }
        }
        for (id, annotation) in annotations {
            var moved = annotation
            moved.from = operation.transform(offset: annotation.from, stickiness: .after)
            moved.to = max(moved.from, operation.transform(offset: annotation.to, stickiness: .before))
            annotations[id] = moved
        }
    }
}

/// A participant's selections in one document.
struct RemoteSelections {
    var user: String
    var name: String
    var selections: [SelectionRange]
}

/// A file the editor has open.
struct EditorFile {
    var uri: String
    /// Its session path, when it lies inside the workspace.
    var path: String?
    var version: Int
    /// The editor's text while the file is not bridged to a session document yet.
    var draft: TextBuffer?
    /// The text the editor opened the file with (until it is bridged).
    var opened: TextBuffer?
    /// What the user typed since the open, as one operation on `opened` (until it is bridged):
    /// merged into the session's text when that differs from `opened`, never dropped.
    var typed: TextOperation?
}
