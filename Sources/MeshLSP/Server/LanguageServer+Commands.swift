import Foundation
import MeshClient
import MeshProtocol

/// `workspace/executeCommand`, read by ``Commands`` and routed to the part each command concerns.
extension LanguageServer {
    func executeCommand(_ params: JSONValue) async throws -> JSONValue {
        let command = try Commands.parse(params, inSession: session.port.isJoined)
        switch command {
        case .share: return try await share()
        case let .join(invite): return try await join(invite)
        case let .invite(role): return try await Commands.invite(role, session: session.port, editor: editor)
        case let .undo(uri): return try undoOwnChange(redo: false, uri: uri)
        case let .redo(uri): return try undoOwnChange(redo: true, uri: uri)
        case let .follow(who): return try presence.follow(who, in: bridge)
        case .who: return presence.who()
        case .chat, .annotateSelection, .annotate, .reply, .resolve:
            if let message = try Commands.message(for: command, documents: bridge, presence: presence) { session.port.send(message) }
            return .null
        }
    }

    private func undoOwnChange(redo: Bool, uri: String?) throws -> JSONValue {
        let port = session.port, cursorPath = presence.localCursor?.path
        return try bridging { try $0.undoOwnChange(redo: redo, uri: uri, cursorPath: cursorPath, session: port) }
    }

    /// `mesh.share`: shares the editor's workspace folder and joins the new session.
    private func share() async throws -> JSONValue {
        guard session.link == nil else { throw ResponseError.requestFailed("already in a session") }
        guard let root = settings.editorRoot else { throw ResponseError.requestFailed("the editor has no workspace folder to share") }
        let shared = try await Commands.share(root, session: session.port)
        bridging { $0.moveWorkspace(to: root) }
        editor.show("Mesh: shared \(shared.files.count) file(s). Invite others with: mesh join \(shared.url)  (code \(shared.invite.code))")
        await connect(server: try session.port.apiClient().server, session: shared.session.id.uuidString)
        return ["session": .string(shared.session.id.uuidString), "code": .string(shared.invite.code), "url": .string(shared.url)]
    }

    /// `mesh.join`: joins a session into the editor's workspace folder.
    private func join(_ invite: String) async throws -> JSONValue {
        guard session.link == nil else { throw ResponseError.requestFailed("already in a session") }
        guard let root = settings.editorRoot else { throw ResponseError.requestFailed("the editor has no workspace folder to join into") }
        let (api, joined) = try await Commands.join(invite, into: root, session: session.port)
        bridging { $0.moveWorkspace(to: root) }
        editor.show("Mesh: joined \(joined.session.name) as \(joined.session.role.rawValue)")
        await connect(server: api.server, session: joined.session.id.uuidString)
        return ["session": .string(joined.session.id.uuidString), "files": .array(joined.files.map { .string($0) })]
    }
}
