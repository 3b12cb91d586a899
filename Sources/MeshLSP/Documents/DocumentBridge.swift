import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// The document bridge, one part of ``LanguageServer``: the files the editor has open and the
/// session's documents, kept in step both ways — one ``EditorSync`` per bridged buffer, a
/// ``SharedDocument`` (OT client, undo history) per document — and the shared folder on disk for
/// the documents no editor has open (`DocumentBridge+Disk`).
///
/// Its state is touched by its own files only. Editor reports and server messages reach it in the
/// order they arrived, each handled in one synchronous step on the server's actor: nothing here
/// awaits, so no edit can overtake another. After a step it has told presence how positions moved
/// (``DocumentChange``s, collected until ``takeChanges()``); the other parts read documents
/// through ``view(of:)`` and ``path(of:)``. Its tasks: the folder watcher, the delayed disk writes
/// and the deletions it asks the server for.
struct DocumentBridge {
    /// Largest file taken from disk into an existing document (the server's own limit may be lower).
    static let maxDiskDocumentBytes = 8 << 20

    let encoding: PositionEncoding
    let traits: EditorTraits
    let editor: EditorChannel
    let background: BackgroundWork
    /// The folder holding `.mesh/session.json` (or the editor's root until one is shared).
    private(set) var workspaceRoot: URL?
    /// Files the editor has open, by URI.
    var editorFiles: [String: EditorFile] = [:]
    /// The session's documents this bridge follows, by session path.
    var documents: [String: SharedDocument] = [:]
    /// Paths with an `open` sent and no snapshot yet.
    var opening: Set<String> = []
    /// The `open`s sent for each path and not answered yet: by a snapshot, a catch-up or an error
    /// that answers an open (``ErrorMessage/answersOpen``).
    var opensInFlight: [String: Int] = [:]
    /// The `open` last sent for each path.
    var openRequests: [String: ClientMessage.Open] = [:]
    /// Opens the server refused for a passing reason, to be sent again on the same connection
    /// (``retryOpen(_:session:)``).
    var refusedOpens: [String: RefusedOpen] = [:]
    /// Per path whose create was sent again after a `welcome`: the texts of the creates sent on
    /// connections that ended before an answer, the newest last (at most
    /// ``unansweredCreatesKept``). One may have landed after that `welcome`, and come back
    /// unedited as the answer to the create sent again (``received(_:session:)``).
    var unansweredCreates: [String: [String]] = [:]
    static let unansweredCreatesKept = 2

    /// Every document of the session, as far as the bridge heard.
    var sessionDocuments: Set<String> = []
    /// Makes this bridge's op ids unique (`<instance>-<n>`).
    let instanceID = String(UUID().uuidString.prefix(8)).lowercased()
    var clientCounter = 0
    /// Per document, our op the server last refused with `resync`: refused again after the
    /// reopen that followed, it is a real divergence (``serverError(_:session:)``).
    var resyncRefusedOps: [String: String] = [:]
    /// Files too large to create in the session, the user told once.
    var tooLargeToShare: Set<String> = []
    /// Editor syncs made so far: each numbers its edits in a range of its own (``newSync``).
    private var syncsMade = 0
    /// What the bridge knows of the shared folder on disk.
    var disk = DiskState()
    /// Told to presence after each step.
    private var changes: [DocumentChange] = []

    init(settings: EditorSettings, editor: EditorChannel, background: BackgroundWork) {
        encoding = settings.encoding
        traits = settings.client.editTraits
        self.editor = editor
        self.background = background
        workspaceRoot = settings.editorRoot
    }

    // MARK: What the other parts see

    /// What the last steps changed, in order (forgotten now).
    mutating func takeChanges() -> [DocumentChange] {
        defer { changes.removeAll() }
        return changes
    }

    /// Records a change for presence.
    mutating func note(_ change: DocumentChange) {
        changes.append(change)
    }

    /// The session path of a file the editor has open (nil: not open, or outside the folder).
    func path(of uri: String) -> String? {
        editorFiles[uri]?.path
    }

    /// Whether the bridge follows the document `path`.
    func follows(_ path: String) -> Bool {
        documents[path] != nil
    }

    /// A document as the other parts see it; nil when the bridge does not follow it.
    func view(of path: String) -> DocumentView? {
        guard let document = documents[path] else { return nil }
        if case let .open(uri, sync) = document.content {
            return DocumentView(path: path, uri: uri, sync: sync, length: sync.document.count, revision: document.client.revision)
        }
        return DocumentView(path: path, uri: nil, sync: nil, length: document.text.count, revision: document.client.revision)
    }

    // MARK: The shared folder

    /// The shared folder moved (a session found above the editor's root, or shared or joined
    /// there): the open files' session paths are computed again.
    mutating func moveWorkspace(to root: URL) {
        workspaceRoot = root
        for uri in Array(editorFiles.keys) {
            let path = sessionPath(uri)
            editorFiles[uri]?.path = path
        }
    }

    /// The session path of a `file:` URI inside the workspace, or nil.
    func sessionPath(_ uri: String) -> String? {
        guard let root = workspaceRoot, let url = EditorSettings.fileURL(uri) else { return nil }
        let rootPath = root.standardizedFileURL.path
        let filePath = url.path
        guard filePath.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/") else { return nil }
        let relative = String(filePath.dropFirst(rootPath.count)).drop { $0 == "/" }
        return WorkspaceSharing.safePath(String(relative))
    }

    // MARK: The editor's text document notifications

    mutating func didOpen(_ params: DidOpenTextDocumentParams, session: SessionPort) {
        guard let item = params.textDocument else { return }
        let uri = item.uri, text = item.text
        let version = item.version ?? 0
        let path = sessionPath(uri)
        editorFiles[uri] = EditorFile(uri: uri, path: path, version: version, draft: TextBuffer(text), opened: TextBuffer(text),
                                      typed: .identity(length: TextBuffer(text).count))
        guard let path, session.isJoined else { return }
        if var document = documents[path], case .closed(let shared) = document.content {
            // Followed already: bridge it now. The session's text wins over the disk's.
            var sync = newSync(editorText: text, version: version, documentText: shared.description)
            let outgoing = sync.initialEdit()
            document.content = .open(uri: uri, sync: sync)
            documents[path] = document
            setOnDisk(path, nil)   // the editor owns the file while it is open
            editorFiles[uri]?.draft = nil
            if let outgoing { sendApplyEdit(uri: uri, outgoing) }
            note(.redraw(path: path))
        } else if documents[path] == nil, !opening.contains(path) {
            if sessionDocuments.contains(path) {
                sendOpen(path, session: session)
            } else if session.canEdit {
                sendOpen(path, create: text, session: session)   // a new file joins the session
            }
        }
    }

    mutating func didChange(_ notification: DidChangeTextDocumentParams, session: SessionPort) {
        guard let uri = notification.textDocument?.uri, var file = editorFiles[uri],
              let contentChanges = notification.contentChanges
        else { return }
        let version = notification.textDocument?.version ?? file.version + 1
        var reported: [(range: LSPRange?, text: String)] = contentChanges.map { ($0.range, $0.text) }
        if !file.exact.isEmpty {
            // The plugin's exact changes up to this version replace the reported ones when
            // they make the same text (``exactChanges(_:)``).
            let due = file.exact.prefix { $0.tick < version }
            file.exact.removeFirst(due.count)
            var base = file.draft
            if base == nil, let path = file.path, case let .open(_, sync)? = documents[path]?.content { base = sync.reportedText }
            if !due.isEmpty, let base, let exact = Self.exactInstead(of: reported, exact: Array(due), on: base, encoding: encoding) {
                reported = exact
            }
        }
        file.version = version
        if var draft = file.draft {
            for change in reported {
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
            let reaction = try bridge.didChange(version: version, changes: reported)
            try react(reaction, path: path, uri: uri, document: &document, bridge: &bridge, before: before,
                      lastChange: reported.last, session: session)
        } catch {
            resync(path, because: "an editor change did not apply: \(error)", session: session)
        }
    }

    /// `mesh/exactChange`: changes of a buffer exactly as the editor made them (the
    /// editors/nvim plugin, from Neovim's `on_bytes`), sent ahead of the `didChange` that
    /// reports them. Neovim reports a change as the difference of the changed lines, from the
    /// first character that differs: an `a` typed before another `a` is reported as typed after
    /// it. The text is the same, but the user's edit (and so `mesh.undo`) would be the other
    /// `a`. Kept until that `didChange` (versions above the change's `tick`), which they then
    /// replace if they make exactly its text; a change already reported is dropped.
    mutating func exactChanges(_ params: ExactChangeParams) {
        guard let uri = params.textDocument?.uri, var file = editorFiles[uri], let changes = params.changes else { return }
        let reported = file.version
        file.exact += changes.filter { $0.tick >= reported }
        // Never answered by a didChange (an editor that stopped reporting): the oldest go.
        if file.exact.count > Self.maxExactChanges { file.exact.removeFirst(file.exact.count - Self.maxExactChanges) }
        editorFiles[uri] = file
    }

    /// The most exact changes kept per file awaiting their `didChange`.
    static let maxExactChanges = 1024
    static let maxExactTails = 16

    /// `exact` (UTF-8 positions) as changes in `encoding`, when applied to `base` they make the
    /// text `reported` makes; else nil (the reports are taken as they are). Changes already
    /// reported (Neovim calls `on_bytes` for an undo after its `on_lines`, so they can arrive
    /// after the `didChange` that reported them) lead the list: when the whole list does not make
    /// the text, its shorter tails are tried (the last ``maxExactTails`` only: each try applies
    /// them to a copy of the text).
    static func exactInstead(of reported: [(range: LSPRange?, text: String)], exact: [ExactChange], on base: TextBuffer,
                             encoding: PositionEncoding) -> [(range: LSPRange?, text: String)]? {
        func applied(_ changes: [(range: LSPRange?, text: String)]) -> TextBuffer? {
            var text = base
            for change in changes {
                guard (try? text.operation(replacing: change.range, with: change.text, encoding: encoding).apply(to: &text)) != nil
                else { return nil }
            }
            return text
        }
        guard let target = applied(reported) else { return nil }
        let tails = exact.indices.dropFirst().suffix(Self.maxExactTails).reversed()
        for start in [exact.startIndex] + tails {
            var text = base
            var converted: [(range: LSPRange?, text: String)] = []
            var valid = true
            for change in exact[start...] {
                let from = text.offset(at: change.range.start, encoding: .utf8)
                let to = max(from, text.offset(at: change.range.end, encoding: .utf8))
                let range = LSPRange(start: text.position(at: from, encoding: encoding), end: text.position(at: to, encoding: encoding))
                guard (try? text.operation(replacing: range, with: change.text, encoding: encoding).apply(to: &text)) != nil else {
                    valid = false
                    break
                }
                converted.append((range, change.text))
            }
            if valid, text.count == target.count, text == target { return converted }
        }
        return nil
    }

    /// The editor's answer to an `applyEdit` (an error answer is `applied: false`).
    mutating func applyEditAnswered(uri: String, syncID: Int, applied: Bool, session: SessionPort) {
        guard let path = editorFiles[uri]?.path, var document = documents[path], case let .open(_, sync) = document.content else { return }
        var bridge = sync
        let before = bridge.document
        do {
            let reaction = try bridge.applyEditResponse(id: syncID, applied: applied)
            try react(reaction, path: path, uri: uri, document: &document, bridge: &bridge, before: before, lastChange: nil,
                      session: session)
        } catch {
            resync(path, because: "an editor change did not apply: \(error)", session: session)
        }
    }

    /// Carries out what the bridge made of an editor report: the user's edit goes to the
    /// session (or is undone, for a viewer), an `applyEdit` to the editor.
    private mutating func react(_ reaction: EditorSync.Reaction, path: String, uri: String, document: inout SharedDocument,
                                bridge: inout EditorSync, before: TextBuffer, lastChange: (range: LSPRange?, text: String)?,
                                session: SessionPort) throws {
        var toEditor = reaction.send
        if let local = reaction.local {
            if session.canEdit {
                if let next = try document.client.applyLocal(local) { sendOp(path, next, session: session) }
                try document.history.recordLocal(local, before: before)
                note(.edited(path: path, operation: local, byPeer: false))
                if let end = lastChange.flatMap({ lastChangeEnd($0, in: bridge) }) { note(.typed(path: path, at: end)) }
            } else {
                // A viewer cannot edit: the edit is undone in the editor.
                let undo = try local.inverted(against: before)
                if let revert = try bridge.applyRemote(undo) { toEditor = revert }
                editor.show("Mesh: you are a viewer in this session; your edit was undone", type: 2)
            }
        }
        document.content = .open(uri: uri, sync: bridge)
        documents[path] = document
        if let toEditor { sendApplyEdit(uri: uri, toEditor) }
        note(.redraw(path: path))
    }

    /// Where the last change ended, in document offsets.
    private func lastChangeEnd(_ change: (range: LSPRange?, text: String), in sync: EditorSync) -> Int? {
        guard let range = change.range else { return nil }
        // Positions in `sync.editor` are after the change: its end is the start plus the text.
        let start = sync.editor.offset(at: range.start, encoding: encoding)
        let end = min(sync.editor.count, start + change.text.unicodeScalars.count)
        return sync.documentOffset(forEditorOffset: end)
    }

    mutating func didClose(_ params: DidCloseTextDocumentParams, session: SessionPort) {
        guard let uri = params.textDocument?.uri, let file = editorFiles.removeValue(forKey: uri) else { return }
        let deletedWhileOpen = file.path.map { disk.goneWhileOpen.remove($0) != nil } ?? false
        guard let path = file.path, var document = documents[path], case let .open(_, sync) = document.content else { return }
        // Typing reported while an edit of ours was unsettled is the user's, though the buffer
        // will never settle the edit now.
        var closing = sync
        document.content = .closed(sync.document)
        if session.canEdit, let typed = try? closing.close() {
            do {
                let next = try document.client.applyLocal(typed)
                document.content = .closed(closing.document)
                try? document.history.recordLocal(typed, before: sync.document)
                note(.edited(path: path, operation: typed, byPeer: false))
                if let next { sendOp(path, next, session: session) }
            } catch {
                editor.log("Mesh: typing in \(path) just before it was closed could not be taken: \(error)", type: 2)
            }
        }
        documents[path] = document
        if deletedWhileOpen, let root = workspaceRoot, let safe = WorkspaceSharing.safePath(path),
           !FileManager.default.fileExists(atPath: root.appendingPathComponent(safe).path) {
            // Deleted on disk while open (say, from the editor's file tree), and closed without
            // being saved again: a deletion, as of a file no editor has open.
            diskDeleted(path, session: session)
            editor.notify("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []])
            return
        }
        // What the editor last saved is unknown here: the next write sets what is on disk.
        setOnDisk(path, nil)
        disk.goneFromDisk.remove(path)
        scheduleDiskWrite(path)
        editor.notify("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []])
    }

    // MARK: Edits to the editor

    /// The sync of a buffer opened in the editor. Its `applyEdit`s are numbered apart from every
    /// other sync's (2³² each): an answer that arrives after its buffer was closed and opened
    /// again names an edit the new sync never sent, and is ignored.
    mutating func newSync(editorText: String, version: Int, documentText: String) -> EditorSync {
        syncsMade += 1
        return EditorSync(editorText: editorText, version: version, documentText: documentText, encoding: encoding,
                          traits: traits, firstEditID: syncsMade << 32 | 1)
    }

    /// Sends an edit to the editor as the client's capabilities allow (``EditorTraits/versionedEdits``).
    /// No `label`: Neovim prints it as a message line for every edit.
    func sendApplyEdit(uri: String, _ outgoing: EditorSync.Outgoing) {
        let edit = Self.workspaceEdit(uri: uri, outgoing, versioned: traits.versionedEdits)
        editor.request("workspace/applyEdit", JSONValue.encode(ApplyWorkspaceEditParams(edit: edit)),
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
}

/// What the document bridge tells presence after a step: how positions in a document moved, and
/// which documents to redraw.
enum DocumentChange: Sendable {
    /// `operation` changed the shared text of `path`: everything positioned there moves through
    /// it, our own cursor too when a peer made the change.
    case edited(path: String, operation: TextOperation, byPeer: Bool)
    /// The user's last edit of `path` ended at `at` (a document offset): our cursor is there.
    case typed(path: String, at: Int)
    /// A snapshot replaced the text of `path`: what was positioned in it is gone (the snapshot
    /// brings it again).
    case replaced(path: String)
    /// Only redraw `path`: its editor buffer changed.
    case redraw(path: String)
    /// `path` left the session.
    case removed(path: String)
}

/// A document as presence and the commands see it: its editor buffer when one is bridged, its
/// length and revision.
struct DocumentView {
    let path: String
    /// The editor's URI and the bridge to its buffer, when the editor has the document open.
    let uri: String?
    let sync: EditorSync?
    /// The shared text's length, in scalars.
    let length: Int
    let revision: Int
}
