import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// The shared folder on disk, both ways. Session documents no editor has open are written to
/// disk as they change; a change made on disk by anything else (a formatter, a code generator,
/// `git checkout`) is taken back into the session: the difference from the text Mesh last
/// knew on disk, transformed through the edits that arrived since, sent as this participant's
/// edit — merged, never overwritten. A new file becomes a new session document. What cannot be
/// merged (a viewer's change, a binary or oversized file, a file that differed before Mesh
/// knew it) is kept in `.mesh/conflicts/` and reported. A file open in an editor follows the
/// editor: its buffer, not the disk, is the truth.
extension LanguageServer {
    /// Largest file taken from disk into an existing document (the server's own limit may be lower).
    static let maxDiskDocumentBytes = 8 << 20

    /// Starts watching the shared folder, once per connection to it.
    func watchDisk() {
        guard diskWatcher == nil, let root = workspaceRoot else { return }
        let rules = WorkspaceIgnore(root: root)
        do {
            let watcher = try FolderWatcher(root: root) { path, isDirectory in rules.isIgnored(path, isDirectory: isDirectory) }
            diskWatcher = watcher
            background.start {
                for await batch in watcher.changes { await self.diskChanged(batch) }
            }
        } catch {
            log("Mesh: not watching \(root.path) for changes made outside the editor: \(error)", type: 2)
        }
    }

    func stopWatchingDisk() {
        diskWatcher?.stop()
        diskWatcher = nil
    }

    /// The text last known on disk for `path`: remembered, else what `.mesh/synced/` recorded
    /// (a change made while no `mesh lsp` ran is then still told from the session's).
    func knownOnDisk(_ path: String) -> String? {
        if let known = onDisk[path] { return known }
        guard let root = workspaceRoot, let recorded = SyncedCopies(root: root).text(of: path) else { return nil }
        onDisk[path] = recorded
        return recorded
    }

    /// Remembers (and records in `.mesh/synced/`) what the file of `path` now holds; nil forgets it.
    func setOnDisk(_ path: String, _ text: String?) {
        onDisk[path] = text
        guard let root = workspaceRoot else { return }
        if let text { SyncedCopies(root: root).record(text, for: path) } else { SyncedCopies(root: root).forget(path) }
    }

    /// Paths the watcher saw change. While the session is not connected they wait for the
    /// next welcome (``takeDiskChangesMadeWhileAway()``).
    func diskChanged(_ paths: Set<String>) {
        guard workspaceRoot != nil else { return }
        guard link != nil, me != nil else {
            changedWhileAway.formUnion(paths)
            return
        }
        for path in paths.sorted() {
            if path.hasSuffix("/") {
                // A folder deleted or moved away: the documents below it.
                for document in documents.keys where document.hasPrefix(path) { takeDiskChange(document) }
            } else if let safe = WorkspaceSharing.safePath(path) {
                takeDiskChange(safe)
            }
        }
    }

    /// After a (re)connection: what changed on disk meanwhile, now that the session is there.
    func takeDiskChangesMadeWhileAway() {
        let paths = changedWhileAway
        changedWhileAway.removeAll()
        if !paths.isEmpty { diskChanged(paths) }
    }

    /// Reads `path` from disk and takes what changed there into the session.
    func takeDiskChange(_ path: String) {
        guard let root = workspaceRoot else { return }
        let data = try? Data(contentsOf: root.appendingPathComponent(path))
        guard let document = documents[path] else {
            if let data, !sessionDocuments.contains(path), !opening.contains(path) { diskCreated(path, data) }
            return
        }
        guard case let .closed(text) = document.content else { return }   // the editor's buffer is the truth
        guard let data else {
            diskDeleted(path)
            return
        }
        goneFromDisk.remove(path)
        // Unknown (just opened, or just closed in the editor): the session's text is written,
        // which sets it, as before Mesh watched the disk.
        guard let base = knownOnDisk(path) else {
            scheduleDiskWrite(path)
            return
        }
        guard let disk = WorkspaceScanner.text(of: data), data.count <= Self.maxDiskDocumentBytes else {
            if WorkspaceScanner.text(of: data) != base { keepLocalCopy(path, data, because: "it is binary or over \(Self.maxDiskDocumentBytes >> 20) MiB") }
            // The session's text goes back; what was there is the copy just kept.
            do {
                try WorkspaceWriter.write(Data(text.description.utf8), to: path, in: root)
                setOnDisk(path, text.description)
            } catch {
                log("Mesh: could not write \(path): \(error)", type: 2)
            }
            return
        }
        guard disk != base else { return }   // Mesh's own write, or nothing new
        lastExternalChange[path] = .now
        guard canEdit else {
            keepLocalCopy(path, data, because: "viewers' changes are not shared")
            setOnDisk(path, disk)
            scheduleDiskWrite(path)
            return
        }
        // base → disk is the tool's change; base → text is what the session did meanwhile
        // (edits received and not yet written). The tool's change, transformed through those,
        // applies to the session's text.
        let current = text.description
        do {
            let fromDisk = TextOperation.difference(from: base, to: disk)
            let meanwhile = TextOperation.difference(from: base, to: current)
            let (onSession, _) = try TextOperation.transform(fromDisk, meanwhile)
            setOnDisk(path, disk)
            guard !onSession.isNoop else { return }
            var updated = document
            var buffer = text
            try onSession.apply(to: &buffer)
            updated.content = .closed(buffer)
            updated.transformPositions(onSession)
            try updated.history.recordOther(onSession)
            let outgoing = try updated.client.applyLocal(onSession)
            documents[path] = updated
            if let outgoing { sendOp(path, outgoing) }
            // The merge holds the session's other edits too: the disk gets them.
            if buffer.description != disk { scheduleDiskWrite(path) }
            markPresenceDirty(path)
        } catch {
            keepLocalCopy(path, data, because: "it could not be merged (\(error))")
            resync(path, because: "a change on disk could not be merged")
        }
    }

    /// A file that is no session document appeared (or was written) on disk.
    private func diskCreated(_ path: String, _ data: Data) {
        guard let text = WorkspaceScanner.text(of: data), data.count <= WorkspaceScanner().maxFileSize else {
            log("Mesh: \(path) is not shared (binary, or over \(WorkspaceScanner().maxFileSize >> 20) MiB)")
            return
        }
        guard canEdit else {
            show("Mesh: \(path) was created on disk; viewers' files are not shared", type: 2)
            return
        }
        setOnDisk(path, text)
        sendOpen(path, create: text)
    }

    /// A session document's file was deleted (or moved away) on disk: an editor's deletion
    /// deletes the document for everyone; a viewer's is not shared (Mesh stops writing the file).
    private func diskDeleted(_ path: String) {
        guard !goneFromDisk.contains(path) else { return }
        goneFromDisk.insert(path)
        setOnDisk(path, nil)
        guard canEdit, let session = sessionID.flatMap(UUID.init(uuidString:)) else {
            show("Mesh: \(path) was deleted on disk; viewers' deletions are not shared, and Mesh no longer writes it here", type: 2)
            return
        }
        background.start {
            do {
                let api = try await self.apiClient()
                guard let document = try await api.documents(of: session).first(where: { $0.path == path }) else { return }
                try await api.deleteDocument(session: session, id: document.id)
                await self.log("Mesh: \(path) was deleted on disk, and from the session")
            } catch {
                await self.show("Mesh: \(path) was deleted on disk but could not be deleted from the session (\(error)); it stays there", type: 2)
            }
        }
    }

    /// A document of the session was created or deleted (by anyone): a new one is followed (and
    /// so written to disk); a deleted one is no longer, and its file goes unless it was changed
    /// here since Mesh wrote it.
    func documentEvent(_ event: ServerMessage.DocumentEvent) {
        let path = event.path
        switch event.change {
        case .created:
            sessionDocuments.insert(path)
            if documents[path] == nil, !opening.contains(path) { sendOpen(path) }
        case .deleted:
            sessionDocuments.remove(path)
            opening.remove(path)
            guard let document = documents.removeValue(forKey: path) else { return }
            defer {
                setOnDisk(path, nil)
                goneFromDisk.remove(path)
            }
            if let uri = document.uri {
                show("Mesh: \(path) was deleted from the session; your buffer is no longer shared", type: 2)
                notifyEditor("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []])
                return
            }
            guard let root = workspaceRoot, !goneFromDisk.contains(path), let safe = WorkspaceSharing.safePath(path) else { return }
            let url = root.appendingPathComponent(safe)
            guard let data = try? Data(contentsOf: url) else { return }
            if let known = knownOnDisk(path), data == Data(known.utf8) {
                try? FileManager.default.removeItem(at: url)
            } else {
                show("Mesh: \(path) was deleted from the session; your changed copy on disk is kept", type: 2)
            }
        }
    }

    /// Keeps what was on disk at `.mesh/conflicts/<path>.<time>` before Mesh writes the
    /// session's text there, and says so.
    func keepLocalCopy(_ path: String, _ data: Data, because reason: String) {
        guard let root = workspaceRoot else { return }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let copy = root.appendingPathComponent(".mesh/conflicts").appendingPathComponent(path + "." + stamp)
        do {
            try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: copy, options: .withoutOverwriting)
            show("Mesh: your version of \(path) is kept in .mesh/conflicts/\(path).\(stamp): \(reason)", type: 2)
        } catch {
            show("Mesh: \(path) changed on disk and \(reason); could not keep a copy (\(error)); Mesh will not write it", type: 1)
            goneFromDisk.insert(path)
        }
    }
}
