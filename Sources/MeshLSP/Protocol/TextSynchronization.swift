// The text document notifications `mesh lsp` follows: `textDocument/didOpen`, `didChange` and
// `didClose` (`didSave` is ignored: the session, not the disk, is the truth).

/// `textDocument/didOpen`; `textDocument` nil unless it has a `uri` and a `text`.
struct DidOpenTextDocumentParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: TextDocumentItem? = nil
}

/// LSP `TextDocumentContentChangeEvent`: `range` replaced by `text`, or with no range (none,
/// or a malformed one) the whole text replaced.
struct TextDocumentContentChangeEvent: Codable, Sendable, Hashable, LenientlyDecodable {
    @Lenient var range: LSPRange? = nil
    var text: String
}

/// `textDocument/didChange`: the changes in the order the editor made them (one without a
/// `text` is left out).
struct DidChangeTextDocumentParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: VersionedTextDocumentIdentifier? = nil
    @Lenient var contentChanges: [TextDocumentContentChangeEvent]? = nil
}

/// `textDocument/didClose`.
struct DidCloseTextDocumentParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: TextDocumentIdentifier? = nil
}
