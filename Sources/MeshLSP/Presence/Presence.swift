import Foundation
import MeshOT
import MeshProtocol

/// Presence, one part of ``LanguageServer``: the other participants — who is online, their
/// cursors and selections, the annotations — shown in the editor with standard LSP features
/// (inlay hints, diagnostics; `Presence+Render`) and `mesh/presence` for plugins; our own cursor,
/// sent to the others (`Presence+Cursor`); following a participant.
///
/// Its state is touched by its own files only. Positions are document offsets, moved through
/// every edit by the document bridge's ``DocumentChange``s (``documentChanged(_:)``); documents
/// are read through the bridge's ``DocumentView``s. Its tasks: the coalesced redraw and cursor
/// send (``BackgroundWork/Event/renderPresence`` and ``BackgroundWork/Event/sendCursor``).
struct Presence {
    let encoding: PositionEncoding
    /// The editor takes `workspace/inlayHint/refresh`.
    let inlayHintRefresh: Bool
    /// The editor takes `window/showDocument` (following).
    let showDocument: Bool
    let editor: EditorChannel
    let background: BackgroundWork
    /// Everyone else online, by user id.
    var participants: [String: Peer] = [:]
    /// Their selections, by document path, then user id.
    var remote: [String: [String: RemoteSelections]] = [:]
    /// Annotations by document path, then id.
    var annotations: [String: [String: ServerMessage.Annotation]] = [:]
    /// The user id we follow.
    var following: String?
    var lastFollowed: (path: String, line: Int)?
    /// Our own cursor: from `mesh/cursor`, the editor's requests or our last edit.
    var localCursor: (path: String, selections: [SelectionRange])?
    /// Documents to redraw, and whether the redraw is scheduled.
    var dirty: Set<String> = []
    var renderScheduled = false
    var cursorSendScheduled = false

    init(settings: EditorSettings, editor: EditorChannel, background: BackgroundWork) {
        encoding = settings.encoding
        inlayHintRefresh = settings.client.inlayHintRefresh
        showDocument = settings.client.showDocument
        self.editor = editor
        self.background = background
    }

    /// A stable colour index (0–7) for a user, so every editor paints them alike.
    static func colorIndex(_ user: String) -> Int {
        Int(user.unicodeScalars.reduce(UInt32(2166136261)) { ($0 ^ $1.value) &* 16777619 } % 8)
    }

    // MARK: From the session

    /// `welcome`: who is online.
    mutating func welcomed(_ welcome: ServerMessage.Welcome) {
        participants = Dictionary(welcome.online.map { ($0.user, Peer($0)) }, uniquingKeysWith: { $1 })
    }

    mutating func received(_ presence: ServerMessage.Presence, in documents: DocumentBridge, session: SessionPort) {
        guard presence.user != session.me?.user else { return }
        let known = participants[presence.user]
        participants[presence.user] = Peer(user: presence.user, name: presence.name, role: known?.role)
        if !presence.selections.isEmpty {
            // A participant is in one document at a time.
            for (path, people) in remote where path != presence.path && people[presence.user] != nil {
                remote[path]?.removeValue(forKey: presence.user)
                markDirty(path)
            }
        }
        guard let document = documents.view(of: presence.path) else { return }
        if presence.selections.isEmpty {
            remote[presence.path]?.removeValue(forKey: presence.user)
        } else {
            let length = document.length
            let clamped = presence.selections.map { SelectionRange(anchor: min(max(0, $0.anchor), length), head: min(max(0, $0.head), length)) }
            remote[presence.path, default: [:]][presence.user] = RemoteSelections(user: presence.user, name: presence.name, selections: clamped)
            if following == presence.user { showFollowed(presence.path, clamped[0], in: documents) }
        }
        markDirty(presence.path)
    }

    mutating func received(_ annotation: ServerMessage.Annotation, in documents: DocumentBridge) {
        guard documents.follows(annotation.path) else { return }
        if annotation.deleted {
            annotations[annotation.path]?.removeValue(forKey: annotation.id)
        } else {
            annotations[annotation.path, default: [:]][annotation.id] = annotation
        }
        markDirty(annotation.path)
    }

    /// The presence and annotations a snapshot or catch-up of `path` brings (after the bridge
    /// took its text).
    mutating func arrived(_ presences: [ServerMessage.Presence], _ annotations: [ServerMessage.Annotation], in path: String,
                          documents: DocumentBridge, session: SessionPort) {
        for presence in presences { received(presence, in: documents, session: session) }
        for annotation in annotations { self.annotations[path, default: [:]][annotation.id] = annotation }
        markDirty(path)
    }

    /// Chat from the others is shown.
    func received(_ chat: ServerMessage.Chat, session: SessionPort) {
        if chat.user != session.me?.user { editor.show("\(chat.name): \(chat.text)") }
    }

    // MARK: From the document bridge

    /// What a step of the document bridge changed.
    mutating func documentChanged(_ change: DocumentChange) {
        switch change {
        case let .edited(path, operation, byPeer):
            move(path, through: operation)
            if byPeer, let cursor = localCursor, cursor.path == path {
                localCursor?.selections = Self.moved(cursor.selections, through: operation)
            }
            markDirty(path)
        case let .typed(path, offset):
            localCursor = (path, [.cursor(offset)])
            scheduleCursorSend()
        case let .replaced(path):
            remote[path] = nil
            annotations[path] = nil
            markDirty(path)
        case let .redraw(path):
            markDirty(path)
        case let .removed(path):
            remote[path] = nil
            annotations[path] = nil
        }
    }

    /// Moves everything positioned in `path` through an edit, by MeshOT's rule
    /// (``Selection/transformed(by:)``), the server's for the presence and annotations it keeps:
    /// a caret goes after text inserted at it (so a peer's caret follows their own typing before
    /// their next presence message), a range's ends keep out text inserted at them.
    static func moved(_ selections: [SelectionRange], through operation: TextOperation) -> [SelectionRange] {
        Selection(selections).transformed(by: operation).ranges
    }

    /// An annotation's range (`from` <= `to`, as the server sends it) moved through an edit, by
    /// the same rule as a selection's.
    static func moved(_ annotation: ServerMessage.Annotation, through operation: TextOperation) -> ServerMessage.Annotation {
        var moved = annotation
        (moved.from, moved.to) = Selection.annotatedRange(from: annotation.from, to: annotation.to, through: operation)
        return moved
    }

    /// Moves everything positioned in `path` through an edit.
    private mutating func move(_ path: String, through operation: TextOperation) {
        for (user, selections) in remote[path] ?? [:] {
            remote[path]?[user]?.selections = Self.moved(selections.selections, through: operation)
        }
        for (id, annotation) in annotations[path] ?? [:] {
            annotations[path]?[id] = Self.moved(annotation, through: operation)
        }
    }

    // MARK: For the commands

    /// The annotation `id` and its document.
    func annotation(_ id: String) -> (path: String, annotation: ServerMessage.Annotation)? {
        for (path, byID) in annotations {
            if let found = byID[id] { return (path, found) }
        }
        return nil
    }

    /// `mesh.follow`: follows the participant named (by user id or name), or stops with none.
    mutating func follow(_ who: String?, in documents: DocumentBridge) throws -> JSONValue {
        guard let who, !who.isEmpty else {
            following = nil
            editor.show("Mesh: stopped following")
            return .null
        }
        guard let participant = participants.values.first(where: { $0.user == who || $0.name.lowercased() == who.lowercased() }) else {
            throw ResponseError.requestFailed("no participant named \(who) is online")
        }
        following = participant.user
        lastFollowed = nil
        editor.show("Mesh: following \(participant.name)")
        for (path, people) in remote {
            if let selection = people[participant.user]?.selections.first { showFollowed(path, selection, in: documents) }
        }
        return .null
    }

    /// `mesh.who`: who is here, and in which document.
    func who() -> JSONValue {
        var people: [JSONValue] = []
        var lines: [String] = []
        for participant in participants.values.sorted(by: { $0.name < $1.name }) {
            let path = remote.first { $0.value[participant.user] != nil }?.key
            people.append(["user": .string(participant.user), "name": .string(participant.name),
                           "role": .string(participant.role?.rawValue ?? ""), "path": path.map { .string($0) } ?? .null])
            lines.append("\(participant.name)\(participant.role.map { " (\($0.rawValue))" } ?? "")\(path.map { " in \($0)" } ?? "")")
        }
        editor.show(lines.isEmpty ? "Mesh: nobody else is here" : "Mesh: " + lines.joined(separator: "; "))
        return .array(people)
    }

    /// Shows the followed participant's position (when it moved to another line or file).
    mutating func showFollowed(_ path: String, _ selection: SelectionRange, in documents: DocumentBridge) {
        guard showDocument, let root = documents.workspaceRoot, let document = documents.view(of: path) else { return }
        let uri = document.uri ?? root.appendingPathComponent(path).absoluteString
        var range: JSONValue = ["start": ["line": 0, "character": 0], "end": ["line": 0, "character": 0]]
        if let sync = document.sync {
            range = rangeJSON(selection.head, selection.head, sync)
            let line = range["start"]?["line"]?.int ?? 0
            if lastFollowed?.path == path, lastFollowed?.line == line { return }
            lastFollowed = (path, line)
        } else {
            lastFollowed = (path, -1)
        }
        editor.request("window/showDocument", ["uri": .string(uri), "takeFocus": true, "selection": range])
    }
}

/// A participant's selections in one document.
struct RemoteSelections {
    var user: String
    var name: String
    var selections: [SelectionRange]
}
