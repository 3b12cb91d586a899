import Foundation
import MeshProtocol
import MeshStore

/// Writes a session's *current* document texts (the live ones, with every committed edit;
/// never anyone's disk) into a folder that a sandbox container sees at `/workspace`.
struct SessionWorkspace {
    let store: Store
    let hub: CollaborationHub
    let root: URL

    /// A new, empty folder under the server's data directory.
    static func create(in dataDirectory: String) throws -> URL {
        let url = URL(fileURLWithPath: dataDirectory).appendingPathComponent("sandboxes/\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // The container runs as a non-root user: it must be able to read (not write) this.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    /// (Re)writes every document of the session; returns the paths written.
    @discardableResult
    func write(session: UUID) async throws -> [String] {
        var written: [String] = []
        for record in try await store.documents.list(sessionID: session) {
            guard let path = try? DocumentPath.validate(record.path), !path.split(separator: "/").contains("..") else { continue }
            let live = try await hub.document(record)
            let text = await live.text
            let url = root.appendingPathComponent(path)
            let folder = url.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            try Data(text.utf8).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
            written.append(path)
        }
        return written
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
