/// LSP `TextDocumentIdentifier`: the document a message is about.
struct TextDocumentIdentifier: Codable, Sendable, Hashable, LenientlyDecodable {
    var uri: String
}

/// LSP `VersionedTextDocumentIdentifier`: a document at one version of the editor's buffer
/// (`version` nil when missing or not a whole number).
struct VersionedTextDocumentIdentifier: Codable, Sendable, Hashable, LenientlyDecodable {
    var uri: String
    @Lenient var version: Int? = nil
}

/// LSP `TextDocumentItem`: a document the editor opened, with its text (`languageId` and
/// `version` nil when missing or malformed).
struct TextDocumentItem: Codable, Sendable, Hashable, LenientlyDecodable {
    var uri: String
    @Lenient var languageId: String? = nil
    @Lenient var version: Int? = nil
    var text: String
}
