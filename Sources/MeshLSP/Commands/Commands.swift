import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// A `workspace/executeCommand` Mesh offers, its arguments read and checked.
enum MeshCommand: Sendable {
    case share
    case join(invite: String)
    case undo(uri: String?)
    case redo(uri: String?)
    case chat(String)
    /// `mesh.annotate` with only its text: on our last known selection.
    case annotateSelection(body: String)
    case annotate(uri: String, range: LSPRange, body: String)
    case reply(to: String, body: String)
    case resolve(String)
    /// nil or empty: stop following.
    case follow(String?)
    case who
    case invite(Role)
}

/// The commands, one part of ``LanguageServer``: `workspace/executeCommand` read into a
/// ``MeshCommand`` (``parse(_:inSession:)``), the messages the session-wide ones send, the
/// network parts of `mesh.share`, `mesh.join` and `mesh.invite` (`Commands+Network`), and the
/// code actions that offer them.
///
/// It keeps no state: a command acts through the part it concerns — `mesh.undo` through the
/// document bridge, `mesh.follow` and `mesh.who` through presence, `mesh.share` and `mesh.join`
/// through the session link — or sends the session a message. Its tasks: the commands that wait
/// on the network (``network``), each answered in a job of the server's task group, so that they
/// never hold up a `didChange` typed meanwhile.
enum Commands {
    /// The commands `workspace/executeCommand` accepts.
    static let all = ["mesh.chat", "mesh.annotate", "mesh.reply", "mesh.resolve", "mesh.follow",
                      "mesh.who", "mesh.invite", "mesh.share", "mesh.join", "mesh.undo", "mesh.redo"]

    /// Commands that wait on the network: answered in the background.
    static let network: Set<String> = ["mesh.share", "mesh.join", "mesh.invite"]

    /// Commands whose first argument, a document URI, names the root they act on.
    static let onDocument: Set<String> = ["mesh.undo", "mesh.redo", "mesh.annotate"]

    /// `params` without a last argument `{"root": "<file URI>"}` (the folder, or a document in
    /// it, whose shared root a command acts on when the editor has several: added by the code
    /// actions then, and by the VS Code extension), and that URI.
    static func withoutRootArgument(_ params: JSONValue) -> (params: JSONValue, root: String?) {
        guard var arguments = params["arguments"]?.array, let last = arguments.last?.object,
              last.count == 1, let root = last["root"]?.string, var object = params.object
        else { return (params, nil) }
        arguments.removeLast()
        object["arguments"] = .array(arguments)
        return (.object(object), root)
    }

    /// Reads an `executeCommand`. A missing command, a missing or malformed argument and an
    /// unknown command are `invalidParams`; a command that needs the session while there is none
    /// (every one but `mesh.share` and `mesh.join`) fails before its arguments are read.
    static func parse(_ params: JSONValue, inSession: Bool) throws -> MeshCommand {
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
        case "mesh.share": return .share
        case "mesh.join": return .join(invite: try text(0, "the invite link or code"))
        default: break
        }
        guard inSession else {
            throw ResponseError.requestFailed("not in a Mesh session: run mesh.share or mesh.join first")
        }
        switch command {
        case "mesh.undo": return .undo(uri: arguments[safe: 0]?.string)
        case "mesh.redo": return .redo(uri: arguments[safe: 0]?.string)
        case "mesh.chat": return .chat(try text(0, "the message"))
        case "mesh.annotate" where arguments.count == 1:
            // Only the text: Helix's `:lsp-workspace-command mesh.annotate "text"` (25.07) cannot
            // type a URI and a range.
            return .annotateSelection(body: try text(0, "the annotation text"))
        case "mesh.annotate":
            let uri = try text(0, "the document URI")
            guard let range = arguments[safe: 1].flatMap({ try? $0.decode(LSPRange.self) }) else {
                throw ResponseError.invalidParams("mesh.annotate needs a range as argument 2")
            }
            return .annotate(uri: uri, range: range, body: try text(2, "the annotation text"))
        case "mesh.reply":
            let id = try text(0, "the annotation id")
            return .reply(to: id, body: try text(1, "the reply"))
        case "mesh.resolve": return .resolve(try text(0, "the annotation id"))
        case "mesh.follow": return .follow(arguments.first?.string)
        case "mesh.who": return .who
        case "mesh.invite":
            // An unknown role (or none) is editor, as before; owner is never granted (Role.isGrantable).
            let role = arguments.first?.string.flatMap(Role.init(rawValue:)) ?? .editor
            guard role.isGrantable else {
                throw ResponseError.invalidParams("mesh.invite grants editor or viewer, not \(role.rawValue): a session has exactly one owner")
            }
            return .invite(role)
        default:
            throw ResponseError.invalidParams("unknown command \(command); Mesh offers \(all.joined(separator: ", "))")
        }
    }

    /// The message a command sends the session: chat, an annotation, a reply or a resolution
    /// (nil for the other commands).
    static func message(for command: MeshCommand, documents: DocumentBridge, presence: Presence) throws -> ClientMessage? {
        switch command {
        case let .chat(text):
            return .chat(.init(text: text))
        case let .annotateSelection(body):
            // Annotate where the editor's selection was last seen (the range of its last
            // code-action request, a hover, the end of its last edit).
            guard let (path, selections) = presence.localCursor, let selection = selections.first,
                  let document = documents.view(of: path)
            else {
                throw ResponseError.requestFailed("mesh.annotate with only a text needs your selection: ask for code actions there first")
            }
            return .annotate(.init(path: path, rev: document.revision, from: selection.lowerBound, to: selection.upperBound, body: body))
        case let .annotate(uri, range, body):
            guard let path = documents.path(of: uri), let document = documents.view(of: path), let sync = document.sync else {
                throw ResponseError.requestFailed("\(uri) is not a session document open in the editor")
            }
            let from = sync.documentOffset(forEditorOffset: sync.editor.offset(at: range.start, encoding: documents.encoding))
            let to = sync.documentOffset(forEditorOffset: sync.editor.offset(at: range.end, encoding: documents.encoding))
            return .annotate(.init(path: path, rev: document.revision, from: min(from, to), to: max(from, to), body: body))
        case let .reply(id, body):
            guard let (path, annotation) = presence.annotation(id), let document = documents.view(of: path) else {
                throw ResponseError.requestFailed("no annotation \(id)")
            }
            return .annotate(.init(path: path, rev: document.revision, from: annotation.from, to: annotation.to, body: body, parent: id))
        case let .resolve(id):
            guard presence.annotation(id) != nil else { throw ResponseError.requestFailed("no annotation \(id)") }
            return .resolve(.init(id: id))
        case .share, .join, .undo, .redo, .follow, .who, .invite:
            return nil
        }
    }

    /// Code actions: the Mesh commands that make sense where the cursor is. Resolving an
    /// annotation is a `quickfix` tied to its diagnostic (VS Code shows quick fixes in the
    /// lightbulb and keeps `source.*` kinds out of it); the session-wide actions stay
    /// `source.mesh`, so VS Code does not light a bulb on every line for them (its "Source
    /// Action…" menu lists them). Neovim, Helix and eglot list every kind alike. With `target`
    /// (the document's URI, when the editor has several roots) each command carries it as its
    /// last argument, `{"root": target}`, so that it acts on the document's root.
    static func codeActions(_ params: JSONValue, inSession: Bool, editorRoot: URL?, presence: Presence,
                            target: String? = nil) -> JSONValue {
        func action(_ title: String, _ command: String, _ arguments: [JSONValue] = [], fixing diagnostic: JSONValue? = nil) -> JSONValue {
            var routed = arguments
            if let target { routed.append(["root": .string(target)]) }
            var object: [String: JSONValue] = [
                "title": .string(title), "kind": "source.mesh",
                "command": ["title": .string(title), "command": .string(command), "arguments": .array(routed)],
            ]
            if let diagnostic {
                object["kind"] = "quickfix"
                object["diagnostics"] = [diagnostic]
            }
            return .object(object)
        }
        guard inSession else {
            return editorRoot == nil ? [] : [action("Mesh: share this workspace", "mesh.share")]
        }
        var actions: [JSONValue] = []
        // The diagnostics as the editor sent them: a quick fix carries its own back.
        for diagnostic in params["context"]?["diagnostics"]?.array ?? [] where diagnostic["source"]?.string == "mesh" {
            if let id = diagnostic["code"]?.string {
                actions.append(action("Mesh: resolve this annotation", "mesh.resolve", [.string(id)], fixing: diagnostic))
            }
        }
        for participant in presence.participants.values.sorted(by: { $0.name < $1.name }) where participant.user != presence.following {
            actions.append(action("Mesh: follow \(participant.name)", "mesh.follow", [.string(participant.user)]))
        }
        if presence.following != nil { actions.append(action("Mesh: stop following", "mesh.follow")) }
        actions.append(action("Mesh: who is here", "mesh.who"))
        actions.append(action("Mesh: create an invite", "mesh.invite", ["editor"]))
        return .array(actions)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
