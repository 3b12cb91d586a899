import Foundation
import Logging
import MeshClient
import MeshProtocol

/// One shared root of the editor's workspace: a workspace folder (or the folder holding the
/// `.mesh/session.json` found above it) and the parts that serve it, each its own — the session
/// link (its own session, possibly on its own server), the document bridge and its folder on
/// disk, presence — and its own ``BackgroundWork``, whose jobs run in a task group of their own,
/// a child of the server's (``BackgroundWork/serve(_:)``), so that removing the root ends them
/// and no other root's. A single-root editor (Neovim, Helix, Emacs) has exactly one.
///
/// The server finds a document's root with ``Roots``, then hands the message to that root's parts
/// as it always did: in one synchronous step, in the order the messages arrived.
struct SharedRoot {
    typealias ID = Int

    let id: ID
    /// The workspace folder the editor named (nil: it named none).
    let folder: URL?
    let editor: EditorChannel
    /// This root's jobs (its session link's, its bridge's, its presence's).
    let background: BackgroundWork
    var session: SessionConnection
    var bridge: DocumentBridge
    var presence: Presence

    /// A root for `folder`: the parts made with `settings`, whose `editorRoot` becomes `folder`.
    init(id: ID, folder: URL?, settings: EditorSettings, environment: [String: String], logger: Logger,
         editor: EditorChannel) {
        var settings = settings
        settings.editorRoot = folder
        let background = BackgroundWork()
        self.id = id
        self.folder = folder
        self.editor = editor
        self.background = background
        session = SessionConnection(settings: settings, environment: environment, logger: logger, editor: editor, background: background)
        bridge = DocumentBridge(settings: settings, editor: editor, background: background)
        presence = Presence(settings: settings, editor: editor, background: background)
    }

    /// The folder this root's documents lie in: the shared folder once found, else the editor's.
    var sharedFolder: URL? { bridge.workspaceRoot }

    /// Runs one step of the document bridge, then moves presence through what the step changed,
    /// in order: nothing positioned in a document misses an edit of it.
    mutating func bridging<T>(_ step: (inout DocumentBridge) throws -> T) rethrows -> T {
        defer {
            for change in bridge.takeChanges() { presence.documentChanged(change) }
        }
        return try step(&bridge)
    }

    // MARK: The session's life

    /// The session to join: the initialization options', else the one in `.mesh/session.json`
    /// at or above the folder (``SessionConnection/discover(editorRoot:)``).
    func discover() -> (root: URL?, session: (server: String, id: String)?) {
        session.discover(editorRoot: folder)
    }

    /// Starts serving what ``discover()`` found: the shared folder becomes the bridge's, and the
    /// session is connected to in the background (``BackgroundWork/Event/connect(server:session:)``).
    /// With no session, stays quiet.
    mutating func start(_ found: (root: URL?, session: (server: String, id: String)?)) {
        if let root = found.root { bridging { $0.moveWorkspace(to: root) } }
        guard let target = found.session else {
            editor.log("Mesh: no session in this workspace; run the mesh.share or mesh.join command to start one")
            return
        }
        background.start { inbox in await inbox.send(.connect(server: target.server, session: target.id)) }
    }

    /// The root leaves (its folder was removed from the workspace): the folder is no longer
    /// watched, pending disk writes are made now, the editor's open files of it lose their
    /// presence, and no more jobs start. Returns the session's connection, for the caller to close.
    mutating func leave() -> SessionLink? {
        bridging { bridge in
            bridge.stopWatchingDisk()
            bridge.flushDiskWrites()
        }
        for uri in bridge.editorFiles.keys.sorted() {
            editor.notify("textDocument/publishDiagnostics", ["uri": .string(uri), "diagnostics": []])
            editor.notify("mesh/presence", ["uri": .string(uri), "participants": []])
        }
        presence.refreshInlayHints()
        let link = session.detach()
        background.finish()
        return link
    }
}
