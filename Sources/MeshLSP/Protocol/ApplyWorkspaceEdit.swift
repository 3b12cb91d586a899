/// `workspace/applyEdit`, which the bridge sends the editor for every remote change.
///
/// No `label`: Neovim prints it as a message line for every edit.
struct ApplyWorkspaceEditParams: Codable, Sendable, Hashable {
    var edit: WorkspaceEdit
}

/// LSP `WorkspaceEdit`, in one of its two forms: `documentChanges`, versioned edits the editor
/// applies only to the buffer version they name, or `changes`, URI → edits with no version.
struct WorkspaceEdit: Codable, Sendable, Hashable {
    var changes: [String: [LSPTextEdit]]? = nil
    var documentChanges: [TextDocumentEdit]? = nil
}

/// LSP `TextDocumentEdit`: edits of one document at one version.
struct TextDocumentEdit: Codable, Sendable, Hashable {
    var textDocument: VersionedTextDocumentIdentifier
    var edits: [LSPTextEdit]
}

/// The editor's answer to `workspace/applyEdit`; an answer without a boolean `applied` does
/// not decode, and counts as not applied.
struct ApplyWorkspaceEditResult: Codable, Sendable, Hashable {
    var applied: Bool
}
