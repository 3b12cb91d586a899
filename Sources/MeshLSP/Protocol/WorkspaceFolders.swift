/// `workspace/didChangeWorkspaceFolders` params: the folders the editor added to its workspace
/// and those it removed (a malformed folder, without `uri`, is nil in its place).
struct DidChangeWorkspaceFoldersParams: Codable, Sendable, LenientParams {
    @Lenient var event: WorkspaceFoldersChangeEvent? = nil
}

/// LSP `WorkspaceFoldersChangeEvent`.
struct WorkspaceFoldersChangeEvent: Codable, Sendable, Hashable, LenientlyDecodable {
    @Lenient var added: [WorkspaceFolder?]? = nil
    @Lenient var removed: [WorkspaceFolder?]? = nil
}
