/// `mesh/cursor` params (Mesh's extension, sent by the editor plugins; docs/protocol.md): the
/// editor's exact selections in one document.
struct MeshCursorParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: TextDocumentIdentifier? = nil
    /// The selections, in the editor's order; one without a valid `anchor` and `head` is left out.
    @Lenient var selections: [Selection]? = nil

    /// One selection: `anchor` where it started, `head` where the cursor is.
    struct Selection: Codable, Sendable, Hashable, LenientlyDecodable {
        var anchor: LSPPosition
        var head: LSPPosition
    }
}
