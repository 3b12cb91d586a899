/// `textDocument/codeAction` params: the range the actions are for (the cursor, for Mesh) and
/// the diagnostics there.
struct CodeActionParams: Codable, Sendable, LenientParams {
    @Lenient var textDocument: TextDocumentIdentifier? = nil
    @Lenient var range: LSPRange? = nil
    @Lenient var context: CodeActionContext? = nil
}

/// LSP `CodeActionContext`: the diagnostics the editor shows in the range (elements that are
/// not objects left out).
struct CodeActionContext: Codable, Sendable, Hashable, LenientlyDecodable {
    @Lenient var diagnostics: [Diagnostic]? = nil

    /// The parts of an LSP `Diagnostic` Mesh reads: a `source` of `mesh` marks an annotation,
    /// whose id is the `code` (nil when it is a number, as other servers' codes may be).
    struct Diagnostic: Codable, Sendable, Hashable, LenientlyDecodable {
        @Lenient var source: String? = nil
        @Lenient var code: String? = nil
    }
}
