/// LSP `TextDocumentPositionParams`, as `textDocument/hover`, `textDocument/completion`,
/// `textDocument/signatureHelp` and `textDocument/documentHighlight` send them (completion's
/// `context` is not read): where the editor's cursor is.
struct TextDocumentPositionParams: Codable, Sendable, LenientParams {
    var textDocument: TextDocumentIdentifier?
    var position: LSPPosition?

    enum CodingKeys: String, CodingKey { case textDocument, position }
}

extension TextDocumentPositionParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        textDocument = container.lenient(TextDocumentIdentifier.self, forKey: .textDocument)
        position = container.lenient(LSPPosition.self, forKey: .position)
    }
}
