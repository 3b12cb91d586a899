/// `textDocument/inlayHint` params: the hints of the lines `range` spans (every line when the
/// range is missing or malformed).
struct InlayHintParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: TextDocumentIdentifier? = nil
    @Lenient var range: LSPRange? = nil
}
