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

extension LanguageServer {
    /// The commands `workspace/executeCommand` accepts.
    static let commands = ["mesh.chat", "mesh.annotate", "mesh.reply", "mesh.resolve", "mesh.follow",
                           "mesh.who", "mesh.invite", "mesh.share", "mesh.join", "mesh.undo", "mesh.redo"]

    func initialize(_ params: JSONValue) throws -> JSONValue {
        guard phase == .waitingForInitialize else { throw ResponseError.invalidRequest("initialize was already received") }
        let request = InitializeParams.decoded(from: params)
        let capabilities = request.capabilities
        encoding = Self.negotiateEncoding(capabilities?.general?.positionEncodings ?? [])
        client.documentChanges = capabilities?.workspace?.workspaceEdit?.documentChanges ?? false
        client.inlayHintRefresh = capabilities?.workspace?.inlayHint?.refreshSupport ?? false
        client.showDocument = capabilities?.window?.showDocument?.support ?? false
        client.name = request.clientInfo?.name ?? "editor"
        let strictApplyEdit = capabilities?.experimental?.mesh?.strictApplyEdit ?? false
        client.editTraits = EditorTraits.client(named: client.name, documentChanges: client.documentChanges,
                                                strictApplyEdit: strictApplyEdit)
        options = request.initializationOptions ?? InitializationOptions()
        editorRoot = Self.rootFolder(request)
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
    static func rootFolder(_ params: InitializeParams) -> URL? {
        if let uri = params.workspaceFolders?.first??.uri, let url = fileURL(uri) { return url }
        if let uri = params.rootUri, let url = fileURL(uri) { return url }
        if let path = params.rootPath, !path.isEmpty { return URL(fileURLWithPath: path, isDirectory: true) }
        return nil
    }

    /// A `file:` URI as a file URL (percent-decoded); nil for other schemes.
    static func fileURL(_ uri: String) -> URL? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        return URL(fileURLWithPath: url.path).standardizedFileURL
    }
}
