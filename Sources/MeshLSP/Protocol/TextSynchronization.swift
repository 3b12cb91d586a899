// The text document notifications `mesh lsp` follows: `textDocument/didOpen`, `didChange` and
// `didClose` (`didSave` is ignored: the session, not the disk, is the truth).

/// `textDocument/didOpen`; `textDocument` nil unless it has a `uri` and a `text`.
struct DidOpenTextDocumentParams: Codable, Sendable, LenientParams {
    var textDocument: TextDocumentItem?

    enum CodingKeys: String, CodingKey { case textDocument }
}

extension DidOpenTextDocumentParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        textDocument = container.lenient(TextDocumentItem.self, forKey: .textDocument)
    }
}

/// LSP `TextDocumentContentChangeEvent`: `range` replaced by `text`, or with no range (none,
/// or a malformed one) the whole text replaced.
struct TextDocumentContentChangeEvent: Codable, Sendable, Hashable {
    var range: LSPRange?
    var text: String

    enum CodingKeys: String, CodingKey { case range, text }
}

extension TextDocumentContentChangeEvent {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        range = container.lenient(LSPRange.self, forKey: .range)
        text = try container.decode(String.self, forKey: .text)
    }
}

/// `textDocument/didChange`: the changes in the order the editor made them (one without a
/// `text` is left out).
struct DidChangeTextDocumentParams: Codable, Sendable, LenientParams {
    var textDocument: VersionedTextDocumentIdentifier?
    var contentChanges: [TextDocumentContentChangeEvent]?

    enum CodingKeys: String, CodingKey { case textDocument, contentChanges }
}

extension DidChangeTextDocumentParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        textDocument = container.lenient(VersionedTextDocumentIdentifier.self, forKey: .textDocument)
        contentChanges = container.lenientElements(TextDocumentContentChangeEvent.self, forKey: .contentChanges)
    }
}

/// `textDocument/didClose`.
struct DidCloseTextDocumentParams: Codable, Sendable, LenientParams {
    var textDocument: TextDocumentIdentifier?

    enum CodingKeys: String, CodingKey { case textDocument }
}

extension DidCloseTextDocumentParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        textDocument = container.lenient(TextDocumentIdentifier.self, forKey: .textDocument)
    }
}
