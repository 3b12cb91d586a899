import MeshOT
import MeshProtocol

/// `mesh.undo` / `mesh.redo`: your own changes only (``UndoHistory``), sent to the session as
/// your edit and to the editor as an `applyEdit`.
extension DocumentBridge {
    /// Undoes (or redoes) your latest change in the document of `uri`, else in `cursorPath` (the
    /// file your cursor was last in). Answers `{"undone": true}` (`redone`), or `false` with
    /// nothing to do.
    mutating func undoOwnChange(redo: Bool, uri: String?, cursorPath: String?, session: SessionPort) throws -> JSONValue {
        let key = redo ? "redone" : "undone"
        let path = uri.flatMap { editorFiles[$0]?.path } ?? cursorPath
        guard let path, var document = documents[path], case let .open(uri, sync) = document.content else {
            throw ResponseError.requestFailed("\(redo ? "mesh.redo" : "mesh.undo") needs a shared file open in the editor")
        }
        guard session.canEdit else { throw ResponseError.requestFailed("viewers cannot edit") }
        var bridge = sync
        let change = redo ? try document.history.redo(current: bridge.document) : try document.history.undo(current: bridge.document)
        guard let change, !change.isNoop else { return [key: false] }
        let toEditor = try bridge.applyRemote(change)
        if let next = try document.client.applyLocal(change) { sendOp(path, next, session: session) }
        document.content = .open(uri: uri, sync: bridge)
        documents[path] = document
        if let toEditor { sendApplyEdit(uri: uri, toEditor) }
        note(.edited(path: path, operation: change, byPeer: false))
        return [key: true]
    }
}
