/// LSP `TextDocumentIdentifier`: the document a message is about.
struct TextDocumentIdentifier: Codable, Sendable, Hashable {
    var uri: String
}

/// LSP `VersionedTextDocumentIdentifier`: a document at one version of the editor's buffer
/// (`version` nil when missing or not a whole number).
struct VersionedTextDocumentIdentifier: Codable, Sendable, Hashable {
    var uri: String
    var version: Int?

    enum CodingKeys: String, CodingKey { case uri, version }
}

extension VersionedTextDocumentIdentifier {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uri = try container.decode(String.self, forKey: .uri)
        version = container.lenientInt(forKey: .version)
    }
}

/// LSP `TextDocumentItem`: a document the editor opened, with its text (`languageId` and
/// `version` nil when missing or malformed).
struct TextDocumentItem: Codable, Sendable, Hashable {
    var uri: String
    var languageId: String?
    var version: Int?
    var text: String

    enum CodingKeys: String, CodingKey { case uri, languageId, version, text }
}

extension TextDocumentItem {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uri = try container.decode(String.self, forKey: .uri)
        languageId = container.lenient(String.self, forKey: .languageId)
        version = container.lenientInt(forKey: .version)
        text = try container.decode(String.self, forKey: .text)
    }
}
