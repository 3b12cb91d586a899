import MeshOT
import MeshProtocol

/// Presence shown in the editor: remote cursors as inlay hints (`workspace/inlayHint/refresh`),
/// selections as hint diagnostics, annotations as information diagnostics, and `mesh/presence`
/// for plugins; redrawn at most once per burst of changes.
extension Presence {
    /// Redraws a document's presence soon (coalescing bursts of updates).
    mutating func markDirty(_ path: String) {
        dirty.insert(path)
        guard !renderScheduled else { return }
        renderScheduled = true
        background.deliver(.renderPresence, after: .milliseconds(15))
    }

    /// The coalesced redraw: diagnostics and `mesh/presence` for each changed document the editor
    /// has open, then one inlay-hint refresh.
    mutating func render(_ documents: DocumentBridge) {
        renderScheduled = false
        let paths = dirty
        dirty.removeAll()
        var anyHints = false
        for path in paths {
            guard let document = documents.view(of: path), let uri = document.uri, let sync = document.sync else { continue }
            editor.notify("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": .array(diagnostics(path, sync))])
            let people: [JSONValue] = (remote[path] ?? [:]).values.sorted { $0.name < $1.name }.map { other in
                [
                    "user": .string(other.user), "name": .string(other.name), "color": JSONValue(Self.colorIndex(other.user)),
                    "selections": .array(other.selections.map { selection in
                        ["anchor": positionJSON(selection.anchor, sync), "head": positionJSON(selection.head, sync)]
                    }),
                ]
            }
            editor.notify("mesh/presence", ["uri": .string(uri), "participants": .array(people)])
            anyHints = true
        }
        if anyHints { refreshInlayHints() }
    }

    /// Asks the editor to fetch inlay hints again (the remote cursors moved): only an editor
    /// that advertised `workspace.inlayHint.refreshSupport` is asked, and the request has no
    /// parameters (`params` left out, as JSON-RPC asks, not `null`).
    func refreshInlayHints() {
        guard inlayHintRefresh else { return }
        editor.request("workspace/inlayHint/refresh", Optional<JSONValue>.none)
    }

    /// Remote selections as hints, annotations as information.
    private func diagnostics(_ path: String, _ sync: EditorSync) -> [JSONValue] {
        var result: [JSONValue] = []
        for other in (remote[path] ?? [:]).values {
            for selection in other.selections where !selection.isCursor {
                result.append([
                    "range": rangeJSON(selection.lowerBound, selection.upperBound, sync),
                    "severity": 4, "source": "mesh", "message": .string("\(other.name)'s selection"),
                ])
            }
        }
        let notes = annotations[path] ?? [:]
        let replies = Dictionary(grouping: notes.values.filter { $0.parent != nil }, by: { $0.parent! })
        for annotation in notes.values where annotation.parent == nil && !annotation.resolved {
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
    func inlayHints(_ request: InlayHintParams, in documents: DocumentBridge) -> JSONValue {
        guard let uri = request.textDocument?.uri, let path = documents.path(of: uri), let sync = documents.view(of: path)?.sync
        else { return [] }
        let range = request.range
        var hints: [JSONValue] = []
        for other in (remote[path] ?? [:]).values.sorted(by: { $0.name < $1.name }) {
            guard let head = other.selections.first?.head else { continue }
            let position = sync.editor.position(at: sync.editorOffset(forDocumentOffset: head), encoding: encoding)
            if let range, position.line < range.start.line || position.line > range.end.line { continue }
            hints.append([
                "position": JSONValue.encode(position), "label": .string("‸\(other.name)"),
                "paddingLeft": false, "paddingRight": true,
                "tooltip": .string("\(other.name) is here"),
            ])
        }
        return .array(hints)
    }
}
