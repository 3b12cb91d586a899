/// `textDocument/codeAction` params: the range the actions are for (the cursor, for Mesh) and
/// the diagnostics there.
struct CodeActionParams: Codable, Sendable, LenientParams {
    var textDocument: TextDocumentIdentifier?
    var range: LSPRange?
    var context: CodeActionContext?

    enum CodingKeys: String, CodingKey { case textDocument, range, context }
}

extension CodeActionParams {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        textDocument = container.lenient(TextDocumentIdentifier.self, forKey: .textDocument)
        range = container.lenient(LSPRange.self, forKey: .range)
        context = container.lenient(CodeActionContext.self, forKey: .context)
    }
}

/// LSP `CodeActionContext`: the diagnostics the editor shows in the range (elements that are
/// not objects left out).
struct CodeActionContext: Codable, Sendable, Hashable {
    var diagnostics: [Diagnostic]?

    enum CodingKeys: String, CodingKey { case diagnostics }

    /// The parts of an LSP `Diagnostic` Mesh reads: a `source` of `mesh` marks an annotation,
    /// whose id is the `code` (nil when it is a number, as other servers' codes may be).
    struct Diagnostic: Codable, Sendable, Hashable {
        var source: String?
        var code: String?

        enum CodingKeys: String, CodingKey { case source, code }
    }
}

extension CodeActionContext {
    init(from decoder: any Decoder) throws {
        diagnostics = try decoder.container(keyedBy: CodingKeys.self).lenientElements(Diagnostic.self, forKey: .diagnostics)
    }
}

extension CodeActionContext.Diagnostic {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = container.lenient(String.self, forKey: .source)
        code = container.lenient(String.self, forKey: .code)
    }
}
