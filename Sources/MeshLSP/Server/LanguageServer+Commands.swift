import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// `workspace/executeCommand` and the code actions that surface the same commands.
extension LanguageServer {
    func executeCommand(_ params: JSONValue) async throws -> JSONValue {
        let request = ExecuteCommandParams.decoded(from: params)
        guard let command = request.command else { throw ResponseError.invalidParams("executeCommand needs a command") }
        let arguments = request.arguments ?? []
        func text(_ index: Int, _ what: String) throws -> String {
            guard let value = arguments[safe: index]?.string, !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ResponseError.invalidParams("\(command) needs \(what) as argument \(index + 1)")
            }
            return value
        }
        switch command {
        case "mesh.share": return try await share()
        case "mesh.join": return try await join(invite: try text(0, "the invite link or code"))
        default: break
        }
        guard let link, me != nil else {
            throw ResponseError.requestFailed("not in a Mesh session: run mesh.share or mesh.join first")
        }
        switch command {
        case "mesh.undo", "mesh.redo":
            return try undoOwnChange(redo: command == "mesh.redo", uri: arguments[safe: 0]?.string)
        case "mesh.chat":
            let message = try text(0, "the message")
            link.send(.chat(.init(text: message)))
            return .null
        case "mesh.annotate" where arguments.count == 1:
            // Only the text: Helix's `:lsp-workspace-command mesh.annotate "text"` (25.07) cannot
            // type a URI and a range. Annotate where the editor's selection was last seen (the
            // range of its last code-action request, a hover, the end of its last edit).
            let body = try text(0, "the annotation text")
            guard let (path, selections) = localCursor, let selection = selections.first, let document = documents[path] else {
                throw ResponseError.requestFailed("mesh.annotate with only a text needs your selection: ask for code actions there first")
            }
            link.send(.annotate(.init(path: path, rev: document.client.revision, from: selection.lowerBound, to: selection.upperBound, body: body)))
            return .null
        case "mesh.annotate":
            let uri = try text(0, "the document URI")
            guard let range = arguments[safe: 1].flatMap({ try? $0.decode(LSPRange.self) }) else {
                throw ResponseError.invalidParams("mesh.annotate needs a range as argument 2")
            }
            let body = try text(2, "the annotation text")
            guard let path = editorFiles[uri]?.path, let document = documents[path], case let .open(_, sync) = document.content else {
                throw ResponseError.requestFailed("\(uri) is not a session document open in the editor")
            }
            let from = sync.documentOffset(forEditorOffset: sync.editor.offset(at: range.start, encoding: encoding))
            let to = sync.documentOffset(forEditorOffset: sync.editor.offset(at: range.end, encoding: encoding))
            link.send(.annotate(.init(path: path, rev: document.client.revision, from: min(from, to), to: max(from, to), body: body)))
            return .null
        case "mesh.reply":
            let id = try text(0, "the annotation id")
            let body = try text(1, "the reply")
            guard let (path, annotation) = annotation(id) else { throw ResponseError.requestFailed("no annotation \(id)") }
            let rev = documents[path]!.client.revision
            link.send(.annotate(.init(path: path, rev: rev, from: annotation.from, to: annotation.to, body: body, parent: id)))
            return .null
        case "mesh.resolve":
            let id = try text(0, "the annotation id")
            guard annotation(id) != nil else { throw ResponseError.requestFailed("no annotation \(id)") }
            link.send(.resolve(.init(id: id)))
            return .null
        case "mesh.follow":
            guard let who = arguments.first?.string, !who.isEmpty else {
                following = nil
                show("Mesh: stopped following")
                return .null
            }
            guard let participant = participants.values.first(where: { $0.user == who || $0.name.lowercased() == who.lowercased() }) else {
                throw ResponseError.requestFailed("no participant named \(who) is online")
            }
            following = participant.user
            lastFollowed = nil
            show("Mesh: following \(participant.name)")
            for (path, document) in documents {
                if let selection = document.presence[participant.user]?.selections.first { showFollowed(path, selection) }
            }
            return .null
        case "mesh.who":
            var people: [JSONValue] = []
            var lines: [String] = []
            for participant in participants.values.sorted(by: { $0.name < $1.name }) {
                let path = documents.first { $0.value.presence[participant.user] != nil }?.key
                people.append(["user": .string(participant.user), "name": .string(participant.name),
                               "role": .string(participant.role?.rawValue ?? ""), "path": path.map { .string($0) } ?? .null])
                lines.append("\(participant.name)\(participant.role.map { " (\($0.rawValue))" } ?? "")\(path.map { " in \($0)" } ?? "")")
            }
            show(lines.isEmpty ? "Mesh: nobody else is here" : "Mesh: " + lines.joined(separator: "; "))
            return .array(people)
        case "mesh.invite":
            let role = arguments.first?.string.flatMap(Role.init(rawValue:)) ?? .editor
            guard let session = sessionID.flatMap(UUID.init(uuidString:)) else { throw ResponseError.requestFailed("no session") }
            let api = try apiClient()
            let invite = try await api.createInvite(session: session, role: role)
            let url = InviteLink(server: api.server, code: invite.code).url
            show("Mesh: invite (\(role.rawValue)): mesh join \(url)  (code \(invite.code))")
            return ["code": .string(invite.code), "role": .string(role.rawValue), "url": .string(url)]
        default:
            throw ResponseError.invalidParams("unknown command \(command); Mesh offers \(Self.commands.joined(separator: ", "))")
        }
    }

    private func annotation(_ id: String) -> (String, ServerMessage.Annotation)? {
        for (path, document) in documents { if let found = document.annotations[id] { return (path, found) } }
        return nil
    }

    /// Shares the editor's workspace folder and joins the new session.
    private func share() async throws -> JSONValue {
        guard link == nil else { throw ResponseError.requestFailed("already in a session") }
        guard let root = editorRoot else { throw ResponseError.requestFailed("the editor has no workspace folder to share") }
        let shared = try await WorkspaceSharing.share(root, api: try apiClient())
        workspaceRoot = root
        rebindEditorFiles()
        show("Mesh: shared \(shared.files.count) file(s). Invite others with: mesh join \(shared.url)  (code \(shared.invite.code))")
        await connect(server: try apiClient().server, session: shared.session.id.uuidString)
        return ["session": .string(shared.session.id.uuidString), "code": .string(shared.invite.code), "url": .string(shared.url)]
    }

    /// Joins a session into the editor's workspace folder (refusing to overwrite differing files),
    /// with an invite link (on the server it names, with the stored login for that server) or a
    /// bare code (on the configured server).
    private func join(invite: String) async throws -> JSONValue {
        guard link == nil else { throw ResponseError.requestFailed("already in a session") }
        guard let root = editorRoot else { throw ResponseError.requestFailed("the editor has no workspace folder to join into") }
        let api: MeshAPIClient
        let code: String
        if InviteLink.looksLikeLink(invite) {
            let inviteLink: InviteLink
            do { inviteLink = try InviteLink(parsing: invite) } catch { throw ResponseError.invalidParams("\(error)") }
            api = try apiClient(server: inviteLink.server)
            guard await api.credentials?.isLoggedIn == true else {
                let server = inviteLink.server
                throw ResponseError.requestFailed(
                    "not logged in to \(server), the server of this invite: run `mesh join \(inviteLink.url)` in a terminal "
                        + "(it offers to log in or sign up), or `mesh login --server \(server)` / `mesh signup --server \(server)`")
            }
            code = inviteLink.code
        } else {
            api = try apiClient()
            code = invite
        }
        let joined = try await WorkspaceSharing.join(invite: code, into: root, api: api)
        workspaceRoot = root
        rebindEditorFiles()
        show("Mesh: joined \(joined.session.name) as \(joined.session.role.rawValue)")
        await connect(server: api.server, session: joined.session.id.uuidString)
        return ["session": .string(joined.session.id.uuidString), "files": .array(joined.files.map { .string($0) })]
    }

    /// Recomputes session paths after the workspace root changed.
    private func rebindEditorFiles() {
        for uri in editorFiles.keys { editorFiles[uri]?.path = sessionPath(uri) }
    }

    /// Code actions: the Mesh commands that make sense where the cursor is. Resolving an
    /// annotation is a `quickfix` tied to its diagnostic (VS Code shows quick fixes in the
    /// lightbulb and keeps `source.*` kinds out of it); the session-wide actions stay
    /// `source.mesh`, so VS Code does not light a bulb on every line for them (its "Source
    /// Action…" menu lists them). Neovim, Helix and eglot list every kind alike.
    func codeActions(_ params: JSONValue) -> JSONValue {
        let request = CodeActionParams.decoded(from: params)
        noteCursor(request.textDocument, position: nil, range: request.range)
        func action(_ title: String, _ command: String, _ arguments: [JSONValue] = [], fixing diagnostic: JSONValue? = nil) -> JSONValue {
            var object: [String: JSONValue] = [
                "title": .string(title), "kind": "source.mesh",
                "command": ["title": .string(title), "command": .string(command), "arguments": .array(arguments)],
            ]
            if let diagnostic {
                object["kind"] = "quickfix"
                object["diagnostics"] = [diagnostic]
            }
            return .object(object)
        }
        guard link != nil, me != nil else {
            return editorRoot == nil ? [] : [action("Mesh: share this workspace", "mesh.share")]
        }
        var actions: [JSONValue] = []
        // The diagnostics as the editor sent them: a quick fix carries its own back.
        for diagnostic in params["context"]?["diagnostics"]?.array ?? [] where diagnostic["source"]?.string == "mesh" {
            if let id = diagnostic["code"]?.string {
                actions.append(action("Mesh: resolve this annotation", "mesh.resolve", [.string(id)], fixing: diagnostic))
            }
        }
        for participant in participants.values.sorted(by: { $0.name < $1.name }) where participant.user != following {
            actions.append(action("Mesh: follow \(participant.name)", "mesh.follow", [.string(participant.user)]))
        }
        if following != nil { actions.append(action("Mesh: stop following", "mesh.follow")) }
        actions.append(action("Mesh: who is here", "mesh.who"))
        actions.append(action("Mesh: create an invite", "mesh.invite", ["editor"]))
        return .array(actions)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
