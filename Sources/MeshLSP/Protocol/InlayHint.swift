/// `textDocument/inlayHint` params: the hints of the lines `range` spans (every line when the
/// range is missing or malformed).
struct InlayHintParams: Codable, Sendable, LenientParams {
    var textDocument: TextDocumentIdentifier?
    var range: LSPRange?

    enum CodingKeys: String, CodingKey { case textDocument, range }
}

extension InlayHintParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        textDocument = container.lenient(TextDocumentIdentifier.self, forKey: .textDocument)
        range = container.lenient(LSPRange.self, forKey: .range)
    }
}
