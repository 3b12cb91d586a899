import Foundation
import MeshOT
import MeshProtocol

/// What the editor said it can do, as far as Mesh cares.
struct ClientFeatures: Sendable {
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

/// What `initialize` settled, fixed from then on: the position encoding, the client's features,
/// the initialization options and the editor's folders. ``LanguageServer`` makes a
/// ``SharedRoot`` with it for each folder (its `editorRoot` that root's folder).
struct EditorSettings: Sendable {
    var encoding = PositionEncoding.utf16
    var client = ClientFeatures()
    var options = InitializationOptions()
    /// The editor's root folder (the first workspace folder, else `rootUri`, else `rootPath`);
    /// in a ``SharedRoot``'s settings, that root's folder.
    var editorRoot: URL?
    /// Every folder of the editor's workspace, in its order (each workspace folder once; else
    /// `rootUri` or `rootPath`; empty when the editor named none): one ``SharedRoot`` each.
    var editorFolders: [URL] = []

    /// Before `initialize`: nothing negotiated.
    init() {}

    /// What the editor's `initialize` asks for.
    init(_ request: InitializeParams) {
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
        editorFolders = Self.folders(request)
    }

    /// The answer to `initialize`: the negotiated encoding and what `mesh lsp` provides.
    var initializeResult: JSONValue {
        [
            "capabilities": [
                "positionEncoding": .string(encoding.rawValue),
                "textDocumentSync": ["openClose": true, "change": 2, "save": ["includeText": false]],
                "completionProvider": ["triggerCharacters": [], "resolveProvider": false],
                "inlayHintProvider": true,
                "hoverProvider": true,
                "codeActionProvider": true,
                "executeCommandProvider": ["commands": .array(Commands.all.map { .string($0) })],
                // Several folders at once, each its own shared root; added and removed live.
                "workspace": ["workspaceFolders": ["supported": true, "changeNotifications": true]],
                // `mesh/exactChange` is taken (the editors/nvim plugin sends it only then).
                "experimental": ["mesh": ["exactChanges": true]],
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

    /// Every workspace folder (`file:` URIs, each once, in order), else the root folder alone.
    static func folders(_ params: InitializeParams) -> [URL] {
        var folders: [URL] = []
        for case let folder? in params.workspaceFolders ?? [] {
            if let url = fileURL(folder.uri), !folders.contains(url) { folders.append(url) }
        }
        if folders.isEmpty, let root = rootFolder(params) { folders.append(root) }
        return folders
    }

    /// A `file:` URI as a file URL (percent-decoded); nil for other schemes.
    static func fileURL(_ uri: String) -> URL? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        return URL(fileURLWithPath: url.path).standardizedFileURL
    }
}
