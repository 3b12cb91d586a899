import Foundation
import MeshOT
import MeshProtocol

/// Cursors, selections and annotations: the other participants' shown with standard LSP
/// features (inlay hints, diagnostics) and a `mesh/presence` notification for plugins; ours
/// taken from `mesh/cursor` or inferred from the requests the editor sends.
extension LanguageServer {
    /// A stable colour index (0–7) for a user, so every editor paints them alike.
    static func colorIndex(_ user: String) -> Int {
        Int(user.unicodeScalars.reduce(UInt32(2166136261)) { ($0 ^ $1.value) &* 16777619 } % 8)
    }

    func received(_ presence: ServerMessage.Presence) {
        guard presence.user != me?.user else { return }
        let known = participants[presence.user]
        participants[presence.user] = Peer(user: presence.user, name: presence.name, role: known?.role)
        if !presence.selections.isEmpty {
            // A participant is in one document at a time.
            for (path, document) in documents where path != presence.path && document.presence[presence.user] != nil {
                documents[path]?.presence.removeValue(forKey: presence.user)
                markPresenceDirty(path)
            }
        }
        guard documents[presence.path] != nil else { return }
        if presence.selections.isEmpty {
            documents[presence.path]?.presence.removeValue(forKey: presence.user)
        } else {
            let length = documents[presence.path]!.text.count
            let clamped = presence.selections.map { SelectionRange(anchor: min(max(0, $0.anchor), length), head: min(max(0, $0.head), length)) }
            documents[presence.path]?.presence[presence.user] = RemoteSelections(user: presence.user, name: presence.name, selections: clamped)
            if following == presence.user { showFollowed(presence.path, clamped[0]) }
        }
        markPresenceDirty(presence.path)
    }

    /// Redraws a document's presence soon (coalescing bursts of updates).
    func markPresenceDirty(_ path: String) {
        presenceDirty.insert(path)
        scheduleOnce(&presenceRenderScheduled, after: .milliseconds(15)) { await self.renderPresence() }
    }

    /// Runs `job` (a background job) after `delay`, once for a burst of calls: nothing more is
    /// scheduled while `scheduled` is set, and `job` clears it when it runs.
    func scheduleOnce(_ scheduled: inout Bool, after delay: Duration, _ job: @escaping @Sendable () async -> Void) {
        guard !scheduled else { return }
        scheduled = true
        background.start {
            try? await Task.sleep(for: delay)
            await job()
        }
    }

    private func renderPresence() {
        presenceRenderScheduled = false
        let paths = presenceDirty
        presenceDirty.removeAll()
        var anyHints = false
        for path in paths {
            guard let document = documents[path], case let .open(uri, sync) = document.content else { continue }
            notifyEditor("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": .array(diagnostics(document, sync))])
            let people: [JSONValue] = document.presence.values.sorted { $0.name < $1.name }.map { remote in
                [
                    "user": .string(remote.user), "name": .string(remote.name), "color": JSONValue(Self.colorIndex(remote.user)),
                    "selections": .array(remote.selections.map { selection in
                        ["anchor": positionJSON(selection.anchor, sync), "head": positionJSON(selection.head, sync)]
                    }),
                ]
            }
            notifyEditor("mesh/presence", ["uri": .string(uri), "participants": .array(people)])
            anyHints = true
        }
        if anyHints { refreshInlayHints() }
    }

    /// Asks the editor to fetch inlay hints again (the remote cursors moved): only an editor
    /// that advertised `workspace.inlayHint.refreshSupport` is asked, and the request has no
    /// parameters (`params` left out, as JSON-RPC asks, not `null`).
    func refreshInlayHints() {
        guard client.inlayHintRefresh else { return }
        requestEditor("workspace/inlayHint/refresh", Optional<JSONValue>.none)
    }

    /// Remote selections as hints, annotations as information.
    private func diagnostics(_ document: SharedDocument, _ sync: EditorSync) -> [JSONValue] {
        var result: [JSONValue] = []
        for remote in document.presence.values {
            for selection in remote.selections where !selection.isCursor {
                result.append([
                    "range": rangeJSON(selection.lowerBound, selection.upperBound, sync),
                    "severity": 4, "source": "mesh", "message": .string("\(remote.name)'s selection"),
                ])
            }
        }
        let replies = Dictionary(grouping: document.annotations.values.filter { $0.parent != nil }, by: { $0.parent! })
        for annotation in document.annotations.values where annotation.parent == nil && !annotation.resolved {
            var message = "\(annotation.name): \(annotation.body)"
            for reply in (replies[annotation.id] ?? []).sorted(by: { $0.id < $1.id }) {
                message += "\n↳ \(reply.name): \(reply.body)"
            }
            result.append([
                "range": rangeJSON(annotation.from, annotation.to, sync),
                "severity": 3, "source": "mesh", "code": .string(annotation.id), "message": .string(message),
            ])
        }
        return result
    }

    func positionJSON(_ documentOffset: Int, _ sync: EditorSync) -> JSONValue {
        JSONValue.encode(sync.editor.position(at: sync.editorOffset(forDocumentOffset: documentOffset), encoding: encoding))
    }

    func rangeJSON(_ from: Int, _ to: Int, _ sync: EditorSync) -> JSONValue {
        ["start": positionJSON(from, sync), "end": positionJSON(to, sync)]
    }

    /// `textDocument/inlayHint`: each remote cursor in the range, labelled with its owner.
    func inlayHints(_ params: JSONValue) -> JSONValue {
        let request = InlayHintParams.decoded(from: params)
        guard let uri = request.textDocument?.uri, let path = editorFiles[uri]?.path,
              let document = documents[path], case let .open(_, sync) = document.content
        else { return [] }
        let range = request.range
        var hints: [JSONValue] = []
        for remote in document.presence.values.sorted(by: { $0.name < $1.name }) {
            guard let head = remote.selections.first?.head else { continue }
            let position = sync.editor.position(at: sync.editorOffset(forDocumentOffset: head), encoding: encoding)
            if let range, position.line < range.start.line || position.line > range.end.line { continue }
            hints.append([
                "position": JSONValue.encode(position), "label": .string("‸\(remote.name)"),
                "paddingLeft": false, "paddingRight": true,
                "tooltip": .string("\(remote.name) is here"),
            ])
        }
        return .array(hints)
    }

    // MARK: The local cursor

    /// `mesh/cursor` from a plugin: the exact selections.
    func meshCursor(_ params: JSONValue) {
        let cursor = MeshCursorParams.decoded(from: params)
        guard let uri = cursor.textDocument?.uri, let path = editorFiles[uri]?.path,
              let document = documents[path], case let .open(_, sync) = document.content,
              let selections = cursor.selections
        else { return }
        let ranges: [SelectionRange] = selections.map { selection in
            SelectionRange(anchor: documentOffset(selection.anchor, sync), head: documentOffset(selection.head, sync))
        }
        guard !ranges.isEmpty else { return }
        localCursor = (path, ranges)
        scheduleCursorSend()
    }

    /// A position-bearing request (hover, completion, signature help…): the cursor is there.
    func noteCursor(_ request: TextDocumentPositionParams) {
        noteCursor(request.textDocument, position: request.position, range: nil)
    }

    /// A request's position (the cursor), else its range (a code action's: the selection), in
    /// the document named.
    func noteCursor(_ textDocument: TextDocumentIdentifier?, position: LSPPosition?, range: LSPRange?) {
        guard let uri = textDocument?.uri, let path = editorFiles[uri]?.path,
              let document = documents[path], case let .open(_, sync) = document.content
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
    func scheduleCursorSend() {
        scheduleOnce(&cursorSendScheduled, after: .milliseconds(20)) { await self.sendCursor() }
    }

    private func sendCursor() {
        cursorSendScheduled = false
        guard let cursor = localCursor, let document = documents[cursor.path] else { return }
        link?.send(.presence(.init(path: cursor.path, rev: document.client.revision, selections: cursor.selections)))
    }

    // MARK: Following

    /// Shows the followed participant's position (when it moved to another line or file).
    func showFollowed(_ path: String, _ selection: SelectionRange) {
        guard client.showDocument, let root = workspaceRoot, let document = documents[path] else { return }
        let uri = document.uri ?? root.appendingPathComponent(path).absoluteString
        var range: JSONValue = ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]]
        if case let .open(_, sync) = document.content {
            range = rangeJSON(selection.head, selection.head, sync)
            let line = range["start"]?["line"]?.int ?? 0
            if lastFollowed?.path == path, lastFollowed?.line == line { return }
            lastFollowed = (path, line)
        } else {
            lastFollowed = (path, -1)
        }
        requestEditor("window/showDocument", ["uri": .string(uri), "takeFocus": true, "selection": range])
    }
}
