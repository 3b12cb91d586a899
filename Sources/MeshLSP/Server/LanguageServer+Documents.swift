import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// The editor's text document notifications, bridged to session documents.
extension LanguageServer {
    /// The session path of a `file:` URI inside the workspace, or nil.
    func sessionPath(_ uri: String) -> String? {
        guard let root = workspaceRoot, let url = Self.fileURL(uri) else { return nil }
        let rootPath = root.standardizedFileURL.path
        let filePath = url.path
        guard filePath.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/") else { return nil }
        let relative = String(filePath.dropFirst(rootPath.count)).drop { $0 == "/" }
        return WorkspaceSharing.safePath(String(relative))
    }

    func didOpen(_ params: JSONValue) {
        guard let item = DidOpenTextDocumentParams.decoded(from: params).textDocument else { return }
        let uri = item.uri, text = item.text
        let version = item.version ?? 0
        let path = sessionPath(uri)
        editorFiles[uri] = EditorFile(uri: uri, path: path, version: version, draft: TextBuffer(text), opened: TextBuffer(text),
                                      typed: .identity(length: TextBuffer(text).count))
        guard let path, link != nil, me != nil else { return }
        if var document = documents[path], case .closed(let shared) = document.content {
            // Followed already: bridge it now. The session's text wins over the disk's.
            var sync = EditorSync(editorText: text, version: version, documentText: shared.description,
                                  encoding: encoding, traits: client.editTraits)
            let outgoing = sync.initialEdit()
            document.content = .open(uri: uri, sync: sync)
            documents[path] = document
            setOnDisk(path, nil)   // the editor owns the file while it is open
            editorFiles[uri]?.draft = nil
            if let outgoing { sendApplyEdit(uri: uri, outgoing) }
            markPresenceDirty(path)
        } else if documents[path] == nil, !opening.contains(path) {
            if sessionDocuments.contains(path) {
                sendOpen(path)
            } else if canEdit {
                sendOpen(path, create: text)   // a new file joins the session
            }
        }
    }

    func didChange(_ params: JSONValue) {
        let notification = DidChangeTextDocumentParams.decoded(from: params)
        guard let uri = notification.textDocument?.uri, var file = editorFiles[uri],
              let contentChanges = notification.contentChanges
        else { return }
        let version = notification.textDocument?.version ?? file.version + 1
        let changes: [(range: LSPRange?, text: String)] = contentChanges.map { ($0.range, $0.text) }
        file.version = version
        if var draft = file.draft {
            for change in changes {
                let operation = draft.operation(replacing: change.range, with: change.text, encoding: encoding)
                try? operation.apply(to: &draft)
                file.typed = try? file.typed?.compose(operation)
            }
            file.draft = draft
            editorFiles[uri] = file
            return
        }
        editorFiles[uri] = file
        guard let path = file.path, var document = documents[path], case let .open(_, sync) = document.content else { return }
        var bridge = sync
        let before = bridge.document
        do {
            let reaction = try bridge.didChange(version: version, changes: changes)
            try react(reaction, path: path, uri: uri, document: &document, bridge: &bridge, before: before,
                      lastChange: changes.last)
        } catch {
            resync(path, because: "an editor change did not apply: \(error)")
        }
    }

    /// Carries out what the bridge made of an editor report: the user's edit goes to the
    /// session (or is undone, for a viewer), an `applyEdit` to the editor.
    private func react(_ reaction: EditorSync.Reaction, path: String, uri: String, document: inout SharedDocument,
                       bridge: inout EditorSync, before: TextBuffer, lastChange: (range: LSPRange?, text: String)?) throws {
        var toEditor = reaction.send
        if let local = reaction.local {
            if canEdit {
                if let next = try document.client.applyLocal(local) { sendOp(path, next) }
                document.transformPositions(local)
                try document.history.recordLocal(local, before: before)
                if let end = lastChange.flatMap({ lastChangeEnd($0, in: bridge) }) {
                    localCursor = (path, [.cursor(end)])
                    scheduleCursorSend()
                }
            } else {
                // A viewer cannot edit: the edit is undone in the editor.
                let undo = try local.inverted(against: before)
                if let revert = try bridge.applyRemote(undo) { toEditor = revert }
                show("Mesh: you are a viewer in this session; your edit was undone", type: 2)
            }
        }
        document.content = .open(uri: uri, sync: bridge)
        documents[path] = document
        if let toEditor { sendApplyEdit(uri: uri, toEditor) }
        markPresenceDirty(path)
    }

    /// Where the last change ended, in document offsets.
    private func lastChangeEnd(_ change: (range: LSPRange?, text: String), in sync: EditorSync) -> Int? {
        guard let range = change.range else { return nil }
        // Positions in `sync.editor` are after the change: its end is the start plus the text.
        let start = sync.editor.offset(at: range.start, encoding: encoding)
        let end = min(sync.editor.count, start + change.text.unicodeScalars.count)
        return sync.documentOffset(forEditorOffset: end)
    }

    func didClose(_ params: JSONValue) {
        guard let uri = DidCloseTextDocumentParams.decoded(from: params).textDocument?.uri,
              let file = editorFiles.removeValue(forKey: uri)
        else { return }
        guard let path = file.path, var document = documents[path], case let .open(_, sync) = document.content else { return }
        document.content = .closed(sync.document)
        documents[path] = document
        // What the editor last saved is unknown here: the next write sets what is on disk.
        setOnDisk(path, nil)
        goneFromDisk.remove(path)
        scheduleDiskWrite(path)
        notifyEditor("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []])
    }

    /// Sends an edit to the editor as the client's capabilities allow (``EditorTraits/versionedEdits``).
    /// No `label`: Neovim prints it as a message line for every edit.
    func sendApplyEdit(uri: String, _ outgoing: EditorSync.Outgoing) {
        let edit = Self.workspaceEdit(uri: uri, outgoing, versioned: client.editTraits.versionedEdits)
        requestEditor("workspace/applyEdit", JSONValue.encode(ApplyWorkspaceEditParams(edit: edit)),
                      as: .applyEdit(uri: uri, syncID: outgoing.id))
    }

    /// The `WorkspaceEdit` for one outgoing edit: a versioned `TextDocumentEdit` in
    /// `documentChanges`, which the editor applies only to the buffer version it names (what
    /// makes the echo decidable), or, for a client that did not advertise
    /// `workspace.workspaceEdit.documentChanges`, `changes` (URI → edits), which it applies to
    /// whatever the buffer holds by then, typing included (the bridge then finds where the
    /// edit landed and corrects it: ``EditorSync``).
    static func workspaceEdit(uri: String, _ outgoing: EditorSync.Outgoing, versioned: Bool) -> WorkspaceEdit {
        guard versioned else { return WorkspaceEdit(changes: [uri: outgoing.edits]) }
        let document = VersionedTextDocumentIdentifier(uri: uri, version: outgoing.version)
        return WorkspaceEdit(documentChanges: [TextDocumentEdit(textDocument: document, edits: outgoing.edits)])
    }

    func applyEditAnswered(uri: String, syncID: Int, applied: Bool) {
        guard let path = editorFiles[uri]?.path, var document = documents[path], case let .open(_, sync) = document.content else { return }
        var bridge = sync
        let before = bridge.document
        do {
            let reaction = try bridge.applyEditResponse(id: syncID, applied: applied)
            try react(reaction, path: path, uri: uri, document: &document, bridge: &bridge, before: before, lastChange: nil)
        } catch {
            resync(path, because: "an editor change did not apply: \(error)")
        }
    }
}
