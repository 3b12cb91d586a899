// `initialize`: the parts of `InitializeParams` Mesh reads. Every field is optional and read
// leniently (``Lenient``): a client that leaves a capability out, or sends it malformed,
// simply does not have it.

/// `initialize` params.
struct InitializeParams: Codable, Sendable, LenientParams {
    @Lenient var rootUri: String? = nil
    @Lenient var rootPath: String? = nil
    /// The workspace folders, in order; a malformed one (no `uri`) is nil, not left out, so
    /// that the first folder stays the first.
    @Lenient var workspaceFolders: [WorkspaceFolder?]? = nil
    @Lenient var capabilities: ClientCapabilities? = nil
    @Lenient var clientInfo: ClientInfo? = nil
    @Lenient var initializationOptions: InitializationOptions? = nil
}

/// LSP `WorkspaceFolder` (its `name` is not read).
struct WorkspaceFolder: Codable, Sendable, Hashable, LenientlyDecodable {
    var uri: String
}

/// LSP `clientInfo` (its `version` is not read).
struct ClientInfo: Codable, Sendable, Hashable, LenientlyDecodable {
    var name: String
}

/// `initializationOptions` an editor may pass to override discovery.
struct InitializationOptions: Codable, Sendable, Hashable, LenientlyDecodable {
    @Lenient var server: String? = nil
    @Lenient var session: String? = nil
    @Lenient var token: String? = nil
}

/// LSP `ClientCapabilities`: the ones Mesh reads (``ClientFeatures``).
struct ClientCapabilities: Codable, Sendable, Hashable, LenientlyDecodable {
    @Lenient var general: General? = nil
    @Lenient var workspace: Workspace? = nil
    @Lenient var window: Window? = nil
    @Lenient var experimental: Experimental? = nil

    /// `general`: the position encodings the client offers (not strings left out).
    struct General: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var positionEncodings: [String]? = nil
    }

    /// `workspace`.
    struct Workspace: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var workspaceEdit: WorkspaceEditCapabilities? = nil
        @Lenient var inlayHint: InlayHintCapabilities? = nil
    }

    /// `workspace.workspaceEdit`: whether the client takes versioned `documentChanges`.
    struct WorkspaceEditCapabilities: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var documentChanges: Bool? = nil
    }

    /// `workspace.inlayHint`: whether the client takes `workspace/inlayHint/refresh`.
    struct InlayHintCapabilities: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var refreshSupport: Bool? = nil
    }

    /// `window`.
    struct Window: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var showDocument: ShowDocumentCapabilities? = nil
    }

    /// `window.showDocument`: whether the client takes `window/showDocument`.
    struct ShowDocumentCapabilities: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var support: Bool? = nil
    }

    /// `experimental`: Mesh's own, under `mesh`.
    struct Experimental: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var mesh: MeshCapabilities? = nil
    }

    /// `experimental.mesh`: `strictApplyEdit`, sent by the editors/nvim plugin, whose
    /// `workspace/applyEdit` handler answers truthfully (``EditorTraits``).
    struct MeshCapabilities: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var strictApplyEdit: Bool? = nil
    }
}
