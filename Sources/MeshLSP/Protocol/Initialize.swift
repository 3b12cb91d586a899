// `initialize`: the parts of `InitializeParams` Mesh reads. Every field is optional and read
// leniently (``LenientParams``): a client that leaves a capability out, or sends it malformed,
// simply does not have it.

/// `initialize` params.
struct InitializeParams: Codable, Sendable, LenientParams {
    var rootUri: String?
    var rootPath: String?
    /// The workspace folders, in order; a malformed one (no `uri`) is nil, not left out, so
    /// that the first folder stays the first.
    var workspaceFolders: [WorkspaceFolder?]?
    var capabilities: ClientCapabilities?
    var clientInfo: ClientInfo?
    var initializationOptions: InitializationOptions?

    enum CodingKeys: String, CodingKey {
        case rootUri, rootPath, workspaceFolders, capabilities, clientInfo, initializationOptions
    }
}

extension InitializeParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rootUri = container.lenient(String.self, forKey: .rootUri)
        rootPath = container.lenient(String.self, forKey: .rootPath)
        workspaceFolders = container.lenient([Lenient<WorkspaceFolder>].self, forKey: .workspaceFolders)?.map(\.value)
        capabilities = container.lenient(ClientCapabilities.self, forKey: .capabilities)
        clientInfo = container.lenient(ClientInfo.self, forKey: .clientInfo)
        initializationOptions = container.lenient(InitializationOptions.self, forKey: .initializationOptions)
    }
}

/// LSP `WorkspaceFolder` (its `name` is not read).
struct WorkspaceFolder: Codable, Sendable, Hashable {
    var uri: String
}

/// LSP `clientInfo` (its `version` is not read).
struct ClientInfo: Codable, Sendable, Hashable {
    var name: String
}

/// `initializationOptions` an editor may pass to override discovery.
struct InitializationOptions: Codable, Sendable, Hashable {
    var server: String?
    var session: String?
    var token: String?

    enum CodingKeys: String, CodingKey { case server, session, token }
}

extension InitializationOptions {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        server = container.lenient(String.self, forKey: .server)
        session = container.lenient(String.self, forKey: .session)
        token = container.lenient(String.self, forKey: .token)
    }
}

/// LSP `ClientCapabilities`: the ones Mesh reads (``ClientFeatures``).
struct ClientCapabilities: Codable, Sendable, Hashable {
    var general: General?
    var workspace: Workspace?
    var window: Window?
    var experimental: Experimental?

    enum CodingKeys: String, CodingKey { case general, workspace, window, experimental }

    /// `general`: the position encodings the client offers (not strings left out).
    struct General: Codable, Sendable, Hashable {
        var positionEncodings: [String]?

        enum CodingKeys: String, CodingKey { case positionEncodings }
    }

    /// `workspace`.
    struct Workspace: Codable, Sendable, Hashable {
        var workspaceEdit: WorkspaceEditCapabilities?
        var inlayHint: InlayHintCapabilities?

        enum CodingKeys: String, CodingKey { case workspaceEdit, inlayHint }
    }

    /// `workspace.workspaceEdit`: whether the client takes versioned `documentChanges`.
    struct WorkspaceEditCapabilities: Codable, Sendable, Hashable {
        var documentChanges: Bool?

        enum CodingKeys: String, CodingKey { case documentChanges }
    }

    /// `workspace.inlayHint`: whether the client takes `workspace/inlayHint/refresh`.
    struct InlayHintCapabilities: Codable, Sendable, Hashable {
        var refreshSupport: Bool?

        enum CodingKeys: String, CodingKey { case refreshSupport }
    }

    /// `window`.
    struct Window: Codable, Sendable, Hashable {
        var showDocument: ShowDocumentCapabilities?

        enum CodingKeys: String, CodingKey { case showDocument }
    }

    /// `window.showDocument`: whether the client takes `window/showDocument`.
    struct ShowDocumentCapabilities: Codable, Sendable, Hashable {
        var support: Bool?

        enum CodingKeys: String, CodingKey { case support }
    }

    /// `experimental`: Mesh's own, under `mesh`.
    struct Experimental: Codable, Sendable, Hashable {
        var mesh: MeshCapabilities?

        enum CodingKeys: String, CodingKey { case mesh }
    }

    /// `experimental.mesh`: `strictApplyEdit`, sent by the editors/nvim plugin, whose
    /// `workspace/applyEdit` handler answers truthfully (``EditorTraits``).
    struct MeshCapabilities: Codable, Sendable, Hashable {
        var strictApplyEdit: Bool?

        enum CodingKeys: String, CodingKey { case strictApplyEdit }
    }
}

extension ClientCapabilities {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        general = container.lenient(General.self, forKey: .general)
        workspace = container.lenient(Workspace.self, forKey: .workspace)
        window = container.lenient(Window.self, forKey: .window)
        experimental = container.lenient(Experimental.self, forKey: .experimental)
    }
}

extension ClientCapabilities.General {
    init(from decoder: any Decoder) throws {
        positionEncodings = try decoder.container(keyedBy: CodingKeys.self)
            .lenientElements(String.self, forKey: .positionEncodings)
    }
}

extension ClientCapabilities.Workspace {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workspaceEdit = container.lenient(ClientCapabilities.WorkspaceEditCapabilities.self, forKey: .workspaceEdit)
        inlayHint = container.lenient(ClientCapabilities.InlayHintCapabilities.self, forKey: .inlayHint)
    }
}

extension ClientCapabilities.WorkspaceEditCapabilities {
    init(from decoder: any Decoder) throws {
        documentChanges = try decoder.container(keyedBy: CodingKeys.self).lenient(Bool.self, forKey: .documentChanges)
    }
}

extension ClientCapabilities.InlayHintCapabilities {
    init(from decoder: any Decoder) throws {
        refreshSupport = try decoder.container(keyedBy: CodingKeys.self).lenient(Bool.self, forKey: .refreshSupport)
    }
}

extension ClientCapabilities.Window {
    init(from decoder: any Decoder) throws {
        showDocument = try decoder.container(keyedBy: CodingKeys.self)
            .lenient(ClientCapabilities.ShowDocumentCapabilities.self, forKey: .showDocument)
    }
}

extension ClientCapabilities.ShowDocumentCapabilities {
    init(from decoder: any Decoder) throws {
        support = try decoder.container(keyedBy: CodingKeys.self).lenient(Bool.self, forKey: .support)
    }
}

extension ClientCapabilities.Experimental {
    init(from decoder: any Decoder) throws {
        mesh = try decoder.container(keyedBy: CodingKeys.self).lenient(ClientCapabilities.MeshCapabilities.self, forKey: .mesh)
    }
}

extension ClientCapabilities.MeshCapabilities {
    init(from decoder: any Decoder) throws {
        strictApplyEdit = try decoder.container(keyedBy: CodingKeys.self).lenient(Bool.self, forKey: .strictApplyEdit)
    }
}
