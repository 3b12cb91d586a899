import Foundation

// A session's documents: `/v1/sessions/{session}/documents/*` (`Document`, `DocumentContent`
// and the request schemas in openapi.yaml). Property order is the order the server writes the keys.

/// A document's metadata (`Document`).
public struct DocumentInfo: Sendable, Hashable, Codable {
    public var id: UUID
    /// Workspace-relative.
    public var path: String
    public var revision: Int
    /// UTF-8 bytes.
    public var size: Int
    public var updatedAt: Date

    public init(id: UUID, path: String, revision: Int, size: Int, updatedAt: Date) {
        self.id = id; self.path = path; self.revision = revision; self.size = size; self.updatedAt = updatedAt
    }
}

/// A document's current text at a revision (`DocumentContent`).
public struct DocumentContent: Sendable, Hashable, Codable {
    public var id: UUID
    public var path: String
    public var revision: Int
    public var text: String

    public init(id: UUID, path: String, revision: Int, text: String) {
        self.id = id; self.path = path; self.revision = revision; self.text = text
    }
}

/// `POST /v1/sessions/{session}/documents` (`CreateDocumentRequest`).
public struct CreateDocumentRequest: Sendable, Hashable, Codable {
    public var path: String
    /// Empty when nil.
    public var text: String?

    public init(path: String, text: String? = nil) { self.path = path; self.text = text }
}

/// `PATCH /v1/sessions/{session}/documents/{document}` (`RenameDocumentRequest`).
public struct RenameDocumentRequest: Sendable, Hashable, Codable {
    public var path: String

    public init(path: String) { self.path = path }
}
