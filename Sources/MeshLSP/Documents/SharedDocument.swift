import MeshOT
import MeshProtocol

/// One session document the bridge follows: its OT client, its undo history, and either the
/// editor buffer it is bridged to or, when no editor has it open, its text (kept current on
/// disk). Who is where in it is presence's (``Presence``).
struct SharedDocument {
    enum Content {
        case closed(TextBuffer)
        case open(uri: String, sync: EditorSync)
    }

    let path: String
    var client: OTClient
    var content: Content
    /// This participant's own changes, for `mesh.undo` / `mesh.redo`.
    var history = UndoHistory()
    /// The document's id on the server (a snapshot's or catch-up's; nil from a server that
    /// does not say): a reopen from our revision names it, so that a document deleted and
    /// created again under the path is never caught up as if it were this one.
    var id: String?

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
}
