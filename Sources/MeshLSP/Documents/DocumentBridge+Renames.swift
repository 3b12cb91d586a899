import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// Renames: a file moved on disk becomes a document renamed on the server, and a rename
/// announced by the session moves the document, its history and its file here.
extension DocumentBridge {
    /// A file moved on disk from `from` to `to`: a rename of the document `from` when that is
    /// a document no editor has open (its buffer would still name the old file), `to` is no
    /// document, nothing is at `from` any more and a file is at `to`. So an editor's atomic save
    /// (a temporary file, no document, moved over the saved one) is a change of the saved file,
    /// a backup move (Vim moves the file away, then writes it anew) a change of the file and a new
    /// one, and a move over another document that document's change and a deletion. Asks the
    /// server (a job); the paths are taken when it answered (``diskRenamed(from:to:done:session:)``).
    mutating func startRename(from: String, to: String, session: SessionPort) -> Bool {
        guard let root = workspaceRoot, from != to,
              let safeFrom = WorkspaceSharing.safePath(from), safeFrom == from,
              let safeTo = WorkspaceSharing.safePath(to), safeTo == to,
              case .closed? = documents[from]?.content,
              documents[to] == nil, !sessionDocuments.contains(to), !opening.contains(to),
              !disk.isRenaming(from), !disk.isRenaming(to),
              session.canEdit, let id = session.sessionID.flatMap(UUID.init(uuidString:))
        else { return false }
        var isDirectory: ObjCBool = false
        guard !FileManager.default.fileExists(atPath: root.appendingPathComponent(from).path),
              FileManager.default.fileExists(atPath: root.appendingPathComponent(to).path, isDirectory: &isDirectory),
              !isDirectory.boolValue
        else { return false }
        disk.renames[from] = to
        let editor = self.editor
        background.start { inbox in
            var done = false
            do {
                let api = try session.apiClient()
                if let document = try await api.documents(of: id).first(where: { $0.path == from }) {
                    try await api.renameDocument(session: id, id: document.id, to: to)
                    done = true
                    editor.log("Mesh: \(from) was renamed to \(to) on disk, and in the session")
                }
            } catch {
                editor.show("Mesh: \(from) was renamed to \(to) on disk but could not be renamed in the session (\(error)); "
                            + "it is shared as a deletion and a new file", type: 2)
            }
            await inbox.send(.diskRenamed(from: from, to: to, done: done))
        }
        return true
    }

    /// The server's answer to a rename asked for by ``startRename(from:to:session:)``: done, the
    /// document moves here too (unless the session's `document` event moved it already) and
    /// the file is taken as it is now (changed while being moved, say); not done, the move is
    /// a deletion and a new file, as before Mesh knew renames.
    mutating func diskRenamed(from: String, to: String, done: Bool, session: SessionPort) {
        disk.renames.removeValue(forKey: from)
        if done { moveDocument(from: from, to: to, session: session) }
        var paths = disk.afterRename.filter { !disk.isRenaming($0) }
        disk.afterRename.subtract(paths)
        paths.insert(to)
        if !done { paths.insert(from) }
        diskChanged(paths, session: session)
    }

    /// The document `from` is now `to` (renamed by anyone): the bridge follows it under the new
    /// path, history and all, and subscribes to it again (the server ended the subscription
    /// under the old path); its file moves on disk unless it was changed there since Mesh wrote
    /// it (that copy stays) or something is at the new path. A buffer of the old file in the
    /// editor is no longer shared (it names the old file).
    mutating func moveDocument(from: String, to: String, session: SessionPort) {
        disk.goneWhileOpen.remove(from)
        sessionDocuments.remove(from)
        sessionDocuments.insert(to)
        opening.remove(from)
        guard documents[to] == nil else { return }
        guard var document = documents.removeValue(forKey: from) else {
            if !opening.contains(to) { sendOpen(to, session: session) }   // not followed yet: now it is
            return
        }
        note(.removed(path: from))
        if case let .open(uri, sync) = document.content {
            document.content = .closed(sync.document)
            editor.show("Mesh: \(from) was renamed to \(to); your buffer of \(from) is no longer shared (open \(to))", type: 2)
            editor.notify("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []])
        }
        documents[to] = SharedDocument(path: to, client: document.client, content: document.content, history: document.history, id: document.id)
        let known = knownOnDisk(from)
        setOnDisk(from, nil)
        let wasGone = disk.goneFromDisk.remove(from) != nil
        if disk.writes.remove(from) != nil { disk.writes.insert(to) }
        disk.lastExternalChange.removeValue(forKey: from)
        if let root = workspaceRoot, !wasGone, let safeFrom = WorkspaceSharing.safePath(from), let safeTo = WorkspaceSharing.safePath(to) {
            let source = root.appendingPathComponent(safeFrom), target = root.appendingPathComponent(safeTo)
            let manager = FileManager.default
            if manager.fileExists(atPath: target.path) {
                // Renamed here on disk (or the new path holds a file already): what is there is
                // compared with what Mesh knew of the document's file.
                if manager.fileExists(atPath: source.path) == false { setOnDisk(to, known) }
            } else if let data = try? Data(contentsOf: source), let known, data == Data(known.utf8) {
                do {
                    // Through WorkspaceWriter, as every write of a session's path: a rename sent
                    // by a peer must not reach a protected name or pass a symbolic link out of
                    // the folder (WorkspaceWriterTests.aPeerRenameIntoASymlinkedFolderIsRefused).
                    try WorkspaceWriter.move(data, from: safeFrom, to: safeTo, in: root)
                    setOnDisk(to, known)
                } catch {
                    editor.show("Mesh: \(from) was renamed to \(to) in the session but not moved on disk (\(error)); "
                                + "your file stays at \(from)", type: 2)
                }
            } else if manager.fileExists(atPath: source.path) {
                editor.show("Mesh: \(from) was renamed to \(to) in the session; your changed copy stays at \(from)", type: 2)
            }
        }
        scheduleDiskWrite(to)
        sendOpen(to, knownRev: document.client.revision, session: session)
        note(.replaced(path: to))
    }
}
