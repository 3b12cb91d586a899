import Foundation
import Hummingbird
import MeshOT
import MeshProtocol
import MeshStore

/// A session's documents: `/v1/sessions/:session/documents/*`.
struct DocumentController {
    let store: Store
    let hub: CollaborationHub
    let limits: ServerConfiguration.Limits
    var access: SessionAccess { SessionAccess(store: store) }

    func addRoutes(to group: RouterGroup<MeshRequestContext>) {
        group.group("sessions/:session/documents")
            .get(use: list)
            .post(use: create)
            .get(":document", use: show)
            .patch(":document", use: rename)
            .delete(":document", use: delete)
    }

    @Sendable func list(_ request: Request, context: MeshRequestContext) async throws -> [DocumentInfo] {
        let (_, session, _) = try await access.member(context)
        return try await store.documents.list(sessionID: session.id).map(DocumentInfo.init)
    }

    @Sendable func create(_ request: Request, context: MeshRequestContext) async throws -> EditedResponse<DocumentInfo> {
        let (_, session, _) = try await access.require(.editor, context)
        let body = try await request.decode(as: CreateDocumentRequest.self, context: context, upTo: Request.documentBodyLimit(maxDocumentBytes: limits.maxDocumentBytes))
        let path = try DocumentPath.validate(body.path)
        let text = body.text ?? ""
        let record = DocumentRecord(sessionID: session.id, path: path, size: text.utf8.count)
        // Its `too_large` refusals are answered 413 (ErrorMiddleware: an ErrorMessage has its code's status).
        try await hub.createDocument(record, text: text)
        return .init(status: .created, response: DocumentInfo(record))
    }

    /// The current text: from the live document when loaded, else rebuilt from the store.
    @Sendable func show(_ request: Request, context: MeshRequestContext) async throws -> DocumentContent {
        let record = try await document(context)
        let live = try await hub.document(record)
        await live.flushed()
        return DocumentContent(id: record.id, path: await live.path, revision: await live.revision, text: await live.text)
    }

    @Sendable func rename(_ request: Request, context: MeshRequestContext) async throws -> DocumentInfo {
        let record = try await document(context, role: .editor)
        let body = try await request.decodeSmall(as: RenameDocumentRequest.self, context: context)
        let path = try DocumentPath.validate(body.path)
        try await store.documents.rename(id: record.id, to: path)
        // The subscribers' eviction first (a `resync` error "renamed to <path>" for the old path),
        // then the session is told: a client that follows the document opens it again under the
        // new path, and that subscription is not evicted.
        await hub.documentChanged(record.id, newPath: path)
        if path != record.path {
            await hub.announce(.init(path: record.path, change: .deleted, renamedTo: path), in: record.sessionID)
            await hub.announce(.init(path: path, change: .created, renamedFrom: record.path), in: record.sessionID)
        }
        var renamed = record
        renamed.path = path
        return DocumentInfo(renamed)
    }

    @Sendable func delete(_ request: Request, context: MeshRequestContext) async throws -> HTTPResponse.Status {
        let record = try await document(context, role: .editor)
        try await hub.deleteDocument(record)
        return .noContent
    }

    private func document(_ context: MeshRequestContext, role: Role = .viewer) async throws -> DocumentRecord {
        let (_, session, _) = try await access.require(role, context)
        guard let record = try await store.documents.find(id: try context.parameters.uuid("document")),
              record.sessionID == session.id
        else { throw ApiError.notFound("no such document") }
        return record
    }
}
