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

/// `mesh/exactChange` (Mesh's extension, sent by the editors/nvim plugin; docs/protocol.md):
/// changes of one buffer exactly as the editor made them, ahead of the `didChange` that reports
/// them as a difference of lines. Positions count UTF-8 bytes whatever encoding was negotiated.
struct ExactChangeParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: TextDocumentIdentifier? = nil
    /// In order; one without a valid `tick`, `range` or `text` is left out.
    @Lenient var changes: [ExactChange]? = nil
}

/// One change as the editor made it: `range` (UTF-8 bytes, in the text before it) replaced by
/// `text`. `tick` is the editor's change counter before the change (Neovim's `b:changedtick` in
/// `on_bytes`): the `didChange` that reports the change has a version above it.
struct ExactChange: Codable, Sendable, Hashable, LenientlyDecodable {
    var tick: Int
    var range: LSPRange
    var text: String
}
