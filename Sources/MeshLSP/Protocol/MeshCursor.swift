/// `mesh/cursor` params (Mesh's extension, sent by the editor plugins; docs/protocol.md): the
/// editor's exact selections in one document.
struct MeshCursorParams: Codable, Sendable, LenientParams {
    var textDocument: TextDocumentIdentifier?
    /// The selections, in the editor's order; one without a valid `anchor` and `head` is left out.
    var selections: [Selection]?

    enum CodingKeys: String, CodingKey { case textDocument, selections }

    /// One selection: `anchor` where it started, `head` where the cursor is.
    struct Selection: Codable, Sendable, Hashable {
        var anchor: LSPPosition
        var head: LSPPosition
    }
}

extension MeshCursorParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        textDocument = container.lenient(TextDocumentIdentifier.self, forKey: .textDocument)
        selections = container.lenientElements(Selection.self, forKey: .selections)
    }
}
