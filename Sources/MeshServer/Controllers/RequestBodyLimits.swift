import Hummingbird

/// Every JSON body is read against a limit of its own route, so that nobody makes the server
/// read (and hold) megabytes that route never needs: a few KiB for accounts, names, roles and
/// invites, 64 KiB for a run's arguments, and a document's size (JSON-escaped) for documents.
extension Request {
    /// Account requests (`/v1/auth/*`, `/v1/me*`), session names, roles, invites, renames.
    static let accountBodyLimit = 16 << 10
    /// `POST /v1/sessions/{id}/run`: a package path and arguments.
    static let runBodyLimit = 64 << 10

    /// The most a document-creating body may hold: the document's limit, escaped (a control
    /// character takes six bytes in JSON), plus room for the path; never above the server's 64 MiB.
    static func documentBodyLimit(maxDocumentBytes: Int) -> Int {
        min(64 << 20, maxDocumentBytes.multipliedReportingOverflow(by: 6).partialValue + (64 << 10))
    }

    /// Decodes a small JSON body; a larger one is refused with 413 before it is read whole.
    func decodeSmall<T: Decodable>(as type: T.Type, context: MeshRequestContext) async throws -> T {
        try await decode(as: type, context: context, upTo: Self.accountBodyLimit)
    }

    /// Decodes a JSON body of at most `limit` bytes; a larger one is refused with 413 before it
    /// is read whole.
    func decode<T: Decodable>(as type: T.Type, context: MeshRequestContext, upTo limit: Int) async throws -> T {
        var request = self
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch {
            throw ApiError(.contentTooLarge, .tooLarge, "this request's body may have at most \(limit) bytes")
        }
        return try await request.decode(as: type, context: context)
    }
}
