/// LSP `TextDocumentPositionParams`, as `textDocument/hover`, `textDocument/completion`,
/// `textDocument/signatureHelp` and `textDocument/documentHighlight` send them (completion's
/// `context` is not read): where the editor's cursor is.
struct TextDocumentPositionParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: TextDocumentIdentifier? = nil
    @Lenient var position: LSPPosition? = nil
}
