import Foundation
import MeshClient
import MeshOT
import MeshProtocol

/// What the editor said it can do, as far as Mesh cares.
struct ClientFeatures {
    /// `workspace.workspaceEdit.documentChanges`: the editor takes versioned edits.
    var documentChanges = false
    var inlayHintRefresh = false
    var showDocument = false
    var name = "editor"
    /// How the bridge sends `workspace/applyEdit` (versioned `documentChanges` or `changes`)
    /// and how the editor answers it: see ``EditorTraits/client(named:documentChanges:strictApplyEdit:)``.
    /// Neovim's own handler is lax unless the editors/nvim plugin replaced it (it says so with
    /// `experimental.mesh.strictApplyEdit`).
    var editTraits = EditorTraits.unversioned
}

/// `initializationOptions` an editor may pass to override discovery.
struct InitializationOptions {
    var server: String?
    var session: String?
    var token: String?
}

extension LanguageServer {
    /// The commands `workspace/executeCommand` accepts.
    static let commands = ["mesh.chat", "mesh.annotate", "mesh.reply", "mesh.resolve", "mesh.follow",
                           "mesh.who", "mesh.invite", "mesh.share", "mesh.join"]

    func initialize(_ params: JSONValue) throws -> JSONValue {
        guard phase == .waitingForInitialize else { throw ResponseError.invalidRequest("initialize was already received") }
        let capabilities = params["capabilities"] ?? .null
        encoding = Self.negotiateEncoding(capabilities["general"]?["positionEncodings"]?.array?.compactMap(\.string) ?? [])
        client.documentChanges = capabilities["workspace"]?["workspaceEdit"]?["documentChanges"]?.bool ?? false
        client.inlayHintRefresh = capabilities["workspace"]?["inlayHint"]?["refreshSupport"]?.bool ?? false
        client.showDocument = capabilities["window"]?["showDocument"]?["support"]?.bool ?? false
        client.name = params["clientInfo"]?["name"]?.string ?? "editor"
        let strictApplyEdit = capabilities["experimental"]?["mesh"]?["strictApplyEdit"]?.bool ?? false
        client.editTraits = EditorTraits.client(named: client.name, documentChanges: client.documentChanges,
                                                strictApplyEdit: strictApplyEdit)
        let initOptions = params["initializationOptions"] ?? .null
        options = InitializationOptions(server: initOptions["server"]?.string, session: initOptions["session"]?.string,
                                        token: initOptions["token"]?.string)
        editorRoot = Self.rootFolder(params)
        workspaceRoot = editorRoot
        phase = .running
        return [
            "capabilities": [
                "positionEncoding": .string(encoding.rawValue),
                "textDocumentSync": ["openClose": true, "change": 2, "save": ["includeText": false]],
                "completionProvider": ["triggerCharacters": [], "resolveProvider": false],
                "inlayHintProvider": true,
                "hoverProvider": true,
                "codeActionProvider": true,
                "executeCommandProvider": ["commands": .array(Self.commands.map { .string($0) })],
            ],
            "serverInfo": ["name": "mesh", "version": "1"],
        ]
    }

    /// utf-32 when offered (no conversion at all), then utf-8, else the mandatory utf-16.
    static func negotiateEncoding(_ offered: [String]) -> PositionEncoding {
        for preferred in [PositionEncoding.utf32, .utf8] where offered.contains(preferred.rawValue) { return preferred }
        return .utf16
    }

    /// The editor's root folder: the first workspace folder, else `rootUri`, else `rootPath`.
    static func rootFolder(_ params: JSONValue) -> URL? {
        if let uri = params["workspaceFolders"]?[0]?["uri"]?.string, let url = fileURL(uri) { return url }
        if let uri = params["rootUri"]?.string, let url = fileURL(uri) { return url }
        if let path = params["rootPath"]?.string, !path.isEmpty { return URL(fileURLWithPath: path, isDirectory: true) }
        return nil
    }

    /// A `file:` URI as a file URL (percent-decoded); nil for other schemes.
    static func fileURL(_ uri: String) -> URL? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        return URL(fileURLWithPath: url.path).standardizedFileURL
    }
}
