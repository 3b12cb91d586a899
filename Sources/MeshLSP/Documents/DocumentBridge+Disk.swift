import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// What the document bridge knows of the shared folder on disk.
struct DiskState {
    /// Closed documents to write soon, and whether that write is scheduled.
    var writes: Set<String> = []
    var writeScheduled = false
    /// Per closed document, the text Mesh last wrote to disk or took from it (none: unknown,
    /// the next write sets it); a change on disk is the difference from it.
    var onDisk: [String: String] = [:]
    /// Documents whose file was deleted on disk: no longer written there.
    var goneFromDisk: Set<String> = []
    /// Documents open in the editor whose file was deleted on disk meanwhile: deleted when the
    /// editor closes them with the file still gone (``DocumentBridge/didClose(_:session:)``).
    var goneWhileOpen: Set<String> = []
    /// Changes to the shared folder made outside the editor.
    var watcher: FolderWatcher?
    /// Paths changed on disk while the session was not connected.
    var changedWhileAway: Set<String> = []
    /// When a tool last changed each file: Mesh does not write a file within a second of that
    /// (a tool may write it in several steps).
    var lastExternalChange: [String: ContinuousClock.Instant] = [:]
    /// Files renamed on disk whose documents the server is asked to rename (old path → new).
    var renames: [String: String] = [:]
    /// Paths changed on disk while one of those renames was under way: taken after it.
    var afterRename: Set<String> = []

    /// Whether `path` is either end of a rename under way.
    func isRenaming(_ path: String) -> Bool {
        renames[path] != nil || renames.values.contains(path)
    }
}

/// The shared folder on disk, both ways. Session documents no editor has open are written to
/// disk as they change; a change made on disk by anything else (a formatter, a code generator,
/// `git checkout`) is taken back into the session: the difference from the text Mesh last
/// knew on disk, transformed through the edits that arrived since, sent as this participant's
/// edit — merged, never overwritten. A new file becomes a new session document. What cannot be
/// merged (a viewer's change, a binary or oversized file, a file that differed before Mesh
/// knew it) is kept in `.mesh/conflicts/` and reported. A file open in an editor follows the
/// editor: its buffer, not the disk, is the truth.
extension DocumentBridge {
    /// Starts watching the shared folder, once per connection to it; the watcher's reports come
    /// back as ``BackgroundWork/Event/diskChanged(_:)``.
    mutating func watchDisk() {
        guard disk.watcher == nil, let root = workspaceRoot else { return }
        let rules = WorkspaceIgnore(root: root)
        do {
            let watcher = try FolderWatcher(root: root) { path, isDirectory in rules.isIgnored(path, isDirectory: isDirectory) }
            disk.watcher = watcher
            editor.log("Mesh: watching \(root.path) for changes made outside the editor")
            background.start { inbox in
                for await batch in watcher.changes { await inbox.send(.diskChanged(batch.paths, moves: batch.moves)) }
            }
        } catch {
            editor.log("Mesh: not watching \(root.path) for changes made outside the editor: \(error)", type: 2)
        }
    }

    mutating func stopWatchingDisk() {
        disk.watcher?.stop()
        disk.watcher = nil
    }

    /// The text last known on disk for `path`: remembered, else what `.mesh/synced/` recorded
    /// (a change made while no `mesh lsp` ran is then still told from the session's).
    mutating func knownOnDisk(_ path: String) -> String? {
        if let known = disk.onDisk[path] { return known }
        guard let root = workspaceRoot, let recorded = SyncedCopies(root: root).text(of: path) else { return nil }
        disk.onDisk[path] = recorded
        return recorded
    }

    /// Remembers (and records in `.mesh/synced/`) what the file of `path` now holds; nil forgets it.
    mutating func setOnDisk(_ path: String, _ text: String?) {
        disk.onDisk[path] = text
        guard let root = workspaceRoot else { return }
        if let text { SyncedCopies(root: root).record(text, for: path) } else { SyncedCopies(root: root).forget(path) }
    }

    /// Paths the watcher saw change, and the moves among them. A move that is a rename of a
    /// document's file (``startRename(from:to:session:)``) renames the document; its paths are
    /// taken once the server did. While the session is not connected they wait for the next
    /// welcome (``takeDiskChangesMadeWhileAway(session:)``; a move is then a deletion and a
    /// new file).
    mutating func diskChanged(_ paths: Set<String>, moves: [FolderWatcher.Move] = [], session: SessionPort) {
        guard workspaceRoot != nil else { return }
        guard session.isJoined else {
            disk.changedWhileAway.formUnion(paths)
            return
        }
        var paths = paths
        for move in moves {
            if move.from.hasSuffix("/"), move.to.hasSuffix("/") {
                // A folder moved: each document below it whose file arrived below the new one.
                for document in documents.keys.sorted() where document.hasPrefix(move.from) {
                    let to = move.to + document.dropFirst(move.from.count)
                    if startRename(from: document, to: to, session: session) { paths.remove(to) }
                }
            } else if startRename(from: move.from, to: move.to, session: session) {
                paths.remove(move.from)
                paths.remove(move.to)
            }
        }
        for path in paths.sorted() {
            if path.hasSuffix("/") {
                // A folder deleted or moved away: the documents below it.
                for document in documents.keys where document.hasPrefix(path) { takeDiskChange(document, session: session) }
            } else if let safe = WorkspaceSharing.safePath(path) {
                takeDiskChange(safe, session: session)
            }
        }
    }

    /// After a (re)connection: what changed on disk meanwhile, now that the session is there.
    mutating func takeDiskChangesMadeWhileAway(session: SessionPort) {
        let paths = disk.changedWhileAway
        disk.changedWhileAway.removeAll()
        if !paths.isEmpty { diskChanged(paths, session: session) }
    }

    /// Reads `path` from disk and takes what changed there into the session.
    mutating func takeDiskChange(_ path: String, session: SessionPort) {
        guard let root = workspaceRoot else { return }
        if disk.isRenaming(path) {
            disk.afterRename.insert(path)   // the document's path is about to change
            return
        }
        let data = try? Data(contentsOf: root.appendingPathComponent(path))
        guard let document = documents[path] else {
            // A file the editor has open is created from the editor's text (its open, or that
            // open's retry after a refusal), not from a save of it: the save holds typing the
            // editor's create merges in too.
            let inEditor = editorFiles.first { $0.value.path == path && $0.value.draft != nil }
            if data == nil, !sessionDocuments.contains(path) {
                // Gone, and no document: what Mesh knew of the file (a create of it that was
                // lost) must not make a later document at this path look deleted on disk.
                setOnDisk(path, nil)
            }
            if let data, inEditor == nil, !sessionDocuments.contains(path), !opening.contains(path), refusedOpens[path] == nil {
                diskCreated(path, data, session: session)
            } else if let (uri, file) = inEditor, let draft = file.draft, tooLargeToShare.remove(path) != nil,
                      session.canEdit, !sessionDocuments.contains(path), !opening.contains(path) {
                // Saved again after it was too large to share: offered again, from the editor's
                // text (said again if it still does not fit).
                sendOpen(path, create: draft.description, session: session)
                startFrom(draft, uri: uri)
            }
            return
        }
        guard case let .closed(text) = document.content else {
            // The editor's buffer is the truth while it is open; a deletion counts when it closes.
            if data != nil {
                disk.goneWhileOpen.remove(path)
            } else if disk.goneWhileOpen.insert(path).inserted {
                editor.log("Mesh: \(path) was deleted on disk while open in the editor: closed unsaved, it is deleted from the session")
            }
            return
        }
        guard let data else {
            diskDeleted(path, session: session)
            return
        }
        disk.goneFromDisk.remove(path)
        // Unknown (just opened, or just closed in the editor): the session's text is written,
        // which sets it, as before Mesh watched the disk.
        guard let base = knownOnDisk(path) else {
            scheduleDiskWrite(path)
            return
        }
        guard let onDisk = WorkspaceScanner.text(of: data), data.count <= Self.maxDiskDocumentBytes else {
            if WorkspaceScanner.text(of: data) != base {
                keepLocalCopy(path, data, because: "it is binary or over \(Self.maxDiskDocumentBytes >> 20) MiB")
            }
            // The session's text goes back; what was there is the copy just kept.
            do {
                try WorkspaceWriter.write(Data(text.description.utf8), to: path, in: root)
                setOnDisk(path, text.description)
            } catch {
                editor.log("Mesh: could not write \(path): \(error)", type: 2)
            }
            return
        }
        guard onDisk != base else { return }   // Mesh's own write, or nothing new
        disk.lastExternalChange[path] = .now
        guard session.canEdit else {
            keepLocalCopy(path, data, because: "viewers' changes are not shared")
            setOnDisk(path, onDisk)
            scheduleDiskWrite(path)
            return
        }
        // base → disk is the tool's change; base → text is what the session did meanwhile
        // (edits received and not yet written). The tool's change, transformed through those,
        // applies to the session's text.
        let current = text.description
        do {
            let fromDisk = TextOperation.difference(from: base, to: onDisk)
            let meanwhile = TextOperation.difference(from: base, to: current)
            let (onSession, _) = try TextOperation.transform(fromDisk, meanwhile)
            setOnDisk(path, onDisk)
            guard !onSession.isNoop else { return }
            var updated = document
            var buffer = text
            try onSession.apply(to: &buffer)
            updated.content = .closed(buffer)
            try updated.history.recordOther(onSession)
            let outgoing = try updated.client.applyLocal(onSession)
            documents[path] = updated
            note(.edited(path: path, operation: onSession, byPeer: false))
            if let outgoing { sendOp(path, outgoing, session: session) }
            // The merge holds the session's other edits too: the disk gets them.
            if buffer.description != onDisk { scheduleDiskWrite(path) }
        } catch {
            keepLocalCopy(path, data, because: "it could not be merged (\(error))")
            resync(path, because: "a change on disk could not be merged", session: session)
        }
    }

    /// A file that is no session document appeared (or was written) on disk.
    mutating func diskCreated(_ path: String, _ data: Data, session: SessionPort) {
        guard let text = WorkspaceScanner.text(of: data), data.count <= WorkspaceScanner().maxFileSize else {
            editor.log("Mesh: \(path) is not shared (binary, or over \(WorkspaceScanner().maxFileSize >> 20) MiB)")
            return
        }
        guard session.canEdit else {
            editor.show("Mesh: \(path) was created on disk; viewers' files are not shared", type: 2)
            return
        }
        setOnDisk(path, text)
        editor.log("Mesh: \(path) was created on disk: it is offered to the session")
        sendOpen(path, create: text, session: session)
    }

    /// A session document's file was deleted (or moved away) on disk: an editor's deletion
    /// deletes the document for everyone (a job asks the server); a viewer's is not shared (Mesh
    /// stops writing the file).
    mutating func diskDeleted(_ path: String, session: SessionPort) {
        guard !disk.goneFromDisk.contains(path) else { return }
        disk.goneFromDisk.insert(path)
        setOnDisk(path, nil)
        guard session.canEdit, let id = session.sessionID.flatMap(UUID.init(uuidString:)) else {
            editor.show("Mesh: \(path) was deleted on disk; viewers' deletions are not shared, and Mesh no longer writes it here", type: 2)
            return
        }
        let editor = self.editor
        background.start { _ in
            do {
                let api = try session.apiClient()
                guard let document = try await api.documents(of: id).first(where: { $0.path == path }) else { return }
                try await api.deleteDocument(session: id, id: document.id)
                editor.log("Mesh: \(path) was deleted on disk, and from the session")
            } catch {
                editor.show("Mesh: \(path) was deleted on disk but could not be deleted from the session (\(error)); it stays there", type: 2)
            }
        }
    }

    /// Keeps the user's version of `path` (what was on disk before Mesh writes the session's text
    /// there, or edits the server never confirmed) at `.mesh/conflicts/<path>.<time>`, a name no
    /// other copy has, and says so. When no copy can be written and `beforeWrite` (a disk
    /// write would replace it), Mesh stops writing the file instead.
    mutating func keepLocalCopy(_ path: String, _ data: Data, because reason: String, beforeWrite: Bool = true) {
        // The path comes from the session: a copy goes below `.mesh/conflicts` or nowhere.
        guard let root = workspaceRoot, let path = WorkspaceSharing.safePath(path) else { return }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let stamp = formatter.string(from: Date()).replacingOccurrences(of: ":", with: "")
        let folder = root.appendingPathComponent(".mesh/conflicts")
        do {
            var name = path + "." + stamp
            var copies = 1
            while FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                copies += 1
                name = path + "." + stamp + "-\(copies)"
            }
            let copy = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: copy, options: .withoutOverwriting)
            editor.show("Mesh: your version of \(path) is kept in .mesh/conflicts/\(name): \(reason)", type: 2)
        } catch {
            guard beforeWrite else {
                editor.show("Mesh: \(reason), and your version of \(path) could not be kept (\(error))", type: 1)
                return
            }
            editor.show("Mesh: \(path) changed on disk and \(reason); could not keep a copy (\(error)); Mesh will not write it", type: 1)
            disk.goneFromDisk.insert(path)
        }
    }

    // MARK: Writing

    /// Session documents no editor has open are written to disk shortly after they change.
    mutating func scheduleDiskWrite(_ path: String) {
        disk.writes.insert(path)
        guard !disk.writeScheduled else { return }
        disk.writeScheduled = true
        background.deliver(.flushDiskWrites, after: .milliseconds(150))
    }

    /// The coalesced write of the documents changed since the last.
    mutating func flushDiskWrites() {
        disk.writeScheduled = false
        let paths = disk.writes
        disk.writes.removeAll()
        guard let root = workspaceRoot else { return }
        var later: Set<String> = []
        for path in paths where !disk.goneFromDisk.contains(path) {
            guard let document = documents[path], case let .closed(text) = document.content,
                  let safe = WorkspaceSharing.safePath(path)
            else { continue }
            let url = root.appendingPathComponent(safe)
            let data = Data(text.description.utf8)
            let existing = try? Data(contentsOf: url)
            if existing == data {
                setOnDisk(path, text.description)
                continue
            }
            if let changed = disk.lastExternalChange[path], ContinuousClock.now - changed < .seconds(1) {
                later.insert(path)   // a tool wrote it a moment ago, and may not be done
                continue
            }
            if let known = knownOnDisk(path), existing != Data(known.utf8) {
                // Changed (or deleted) on disk since Mesh last wrote or read it, and not taken
                // yet: the watcher reports it once the writer has closed the file (it may be half
                // written now); taken then, and the merge written after. Looked at again in a
                // second in case no report comes.
                later.insert(path)
                background.deliver(.takeFromDisk(path), after: .seconds(1))
                continue
            }
            if knownOnDisk(path) == nil, let existing, existing != data {
                // Never synced here (no record of what Mesh last wrote): what is on disk cannot be
                // told from the session's text, so it is kept before Mesh writes the session's.
                keepLocalCopy(path, existing, because: "it differed from the session's text when Mesh first wrote it")
            }
            do {
                try WorkspaceWriter.write(data, to: safe, in: root)
                setOnDisk(path, text.description)
            } catch {
                editor.log("Mesh: could not write \(url.path): \(error)", type: 2)
            }
        }
        if !later.isEmpty { background.deliver(.writeToDisk(later), after: .seconds(1)) }
    }
}
