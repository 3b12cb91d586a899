import Foundation
import MeshClient
import MeshProtocol

/// `workspace/executeCommand`, read by ``Commands`` and routed to the root it acts on, and there
/// to the part it concerns.
extension LanguageServer {
    func executeCommand(_ params: JSONValue) async throws -> JSONValue {
        let (id, params) = try commandRoot(params)
        guard let root = roots.root(id) else { throw ResponseError.requestFailed("that folder left the workspace") }
        let command = try Commands.parse(params, inSession: root.session.port.isJoined)
        switch command {
        case .share: return try await share(id)
        case let .join(invite): return try await join(invite, into: id)
        case let .invite(role): return try await Commands.invite(role, session: root.session.port, editor: editor)
        case let .undo(uri): return try undoOwnChange(id, redo: false, uri: uri)
        case let .redo(uri): return try undoOwnChange(id, redo: true, uri: uri)
        case let .follow(who):
            return try roots.update(id) { root -> JSONValue in try root.presence.follow(who, in: root.bridge) } ?? .null
        case .who: return root.presence.who()
        case .chat, .annotateSelection, .annotate, .reply, .resolve:
            if let message = try Commands.message(for: command, documents: root.bridge, presence: root.presence) {
                if case let .tooLarge(limit) = root.session.port.send(message) {
                    throw ResponseError.requestFailed("that is larger than the server takes in one message (\(limit) bytes)")
                }
            }
            return .null
        }
    }

    /// The root a command acts on, and its params without the routing argument: the root of the
    /// URI in its last argument `{"root": uri}` (``Commands/withoutRootArgument(_:)``), else of
    /// the document it is about (`mesh.undo`, `mesh.redo`, `mesh.annotate`), else the root of the
    /// annotation it replies to or resolves, else the only root. With several roots and none of
    /// these, the command fails and says how to name the folder.
    func commandRoot(_ params: JSONValue) throws -> (id: SharedRoot.ID, params: JSONValue) {
        let (params, hint) = Commands.withoutRootArgument(params)
        let several = roots.count > 1
        if let hint {
            guard let id = roots.route(hint, fallback: !several) else {
                throw ResponseError.requestFailed("\(hint) lies in none of the workspace's folders")
            }
            return (id, params)
        }
        let command = params["command"]?.string ?? ""
        let first = params["arguments"]?[0]?.string
        if several, Commands.onDocument.contains(command), let uri = first, let id = roots.route(uri, fallback: false) {
            return (id, params)
        }
        if several, command == "mesh.reply" || command == "mesh.resolve", let annotation = first,
           let root = roots.all.first(where: { $0.presence.annotation(annotation) != nil }) {
            return (root.id, params)
        }
        guard let only = roots.all.first else { throw ResponseError.requestFailed("the editor has no workspace folder") }
        guard !several else {
            throw ResponseError.requestFailed(
                "several workspace folders are open: name the one \(command) is for with a last argument {\"root\": \"<file URI>\"}")
        }
        return (only.id, params)
    }

    private func undoOwnChange(_ id: SharedRoot.ID, redo: Bool, uri: String?) throws -> JSONValue {
        try roots.update(id) { root -> JSONValue in
            let port = root.session.port, cursorPath = root.presence.localCursor?.path
            return try root.bridging { try $0.undoOwnChange(redo: redo, uri: uri, cursorPath: cursorPath, session: port) }
        } ?? .null
    }

    /// `mesh.share`: shares root `id`'s workspace folder and joins the new session.
    private func share(_ id: SharedRoot.ID) async throws -> JSONValue {
        try reserveForNewSession(id)
        defer { startingSession.remove(id) }
        guard let root = roots.root(id) else { throw ResponseError.requestFailed("that folder left the workspace") }
        guard let folder = root.folder else { throw ResponseError.requestFailed("the editor has no workspace folder to share") }
        let port = root.session.port
        let shared = try await Commands.share(folder, session: port)
        let update: Void? = roots.update(id) { root in
            root.bridging { bridge in
                bridge.moveWorkspace(to: folder)
                bridge.sharedFromDisk(shared.files)
            }
        }
        guard update != nil else {
            throw ResponseError.requestFailed("\(folder.path) left the workspace")
        }
        editor.show("Mesh: shared \(shared.files.count) file(s). Invite others with: mesh join \(shared.url)  (code \(shared.invite.code))")
        await connect(id, server: try port.apiClient().server, session: shared.session.id.uuidString)
        return ["session": .string(shared.session.id.uuidString), "code": .string(shared.invite.code), "url": .string(shared.url)]
    }

    /// `mesh.share` and `mesh.join` start a session in a folder that is in none: not while one is
    /// connected, nor while one it joined is being connected again (its documents and the new
    /// session's would mix). A session the folder names but never joined (its server refused
    /// every attempt) is given up, its pending reconnect dropped. Nor while another `mesh.share`
    /// or `mesh.join` is starting one there. Reserves the folder for the caller
    /// (`startingSession`, which the caller clears when it returns).
    private func reserveForNewSession(_ id: SharedRoot.ID) throws {
        guard let root = roots.root(id) else { throw ResponseError.requestFailed("that folder left the workspace") }
        guard root.session.link == nil else { throw ResponseError.requestFailed("already in a session") }
        guard !startingSession.contains(id) else {
            throw ResponseError.requestFailed("a session is being shared or joined in this folder already")
        }
        guard !root.session.wasJoined || root.session.sessionID == nil else {
            throw ResponseError.requestFailed("this folder is in a session already, and Mesh is reconnecting to it")
        }
        roots.update(id) { $0.session.abandon() }
        startingSession.insert(id)
    }

    /// `mesh.join`: joins a session into root `id`'s workspace folder.
    private func join(_ invite: String, into id: SharedRoot.ID) async throws -> JSONValue {
        try reserveForNewSession(id)
        defer { startingSession.remove(id) }
        guard let root = roots.root(id) else { throw ResponseError.requestFailed("that folder left the workspace") }
        guard let folder = root.folder else { throw ResponseError.requestFailed("the editor has no workspace folder to join into") }
        let (api, joined) = try await Commands.join(invite, into: folder, session: root.session.port)
        guard roots.update(id, { root in root.bridging { $0.moveWorkspace(to: folder) } }) != nil else {
            throw ResponseError.requestFailed("\(folder.path) left the workspace")
        }
        editor.show("Mesh: joined \(joined.session.name) as \(joined.session.role.rawValue)")
        await connect(id, server: api.server, session: joined.session.id.uuidString)
        return ["session": .string(joined.session.id.uuidString), "files": .array(joined.files.map { .string($0) })]
    }
}
