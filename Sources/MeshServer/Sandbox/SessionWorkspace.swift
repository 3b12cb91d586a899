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
        try writeGoWorkspace(written)
        return written
    }

    /// Go builds a package only inside its module: when the session has modules in subfolders
    /// and no `go.work` of its own, a generated one makes every module buildable from
    /// `/workspace` (where Delve builds).
    private func writeGoWorkspace(_ paths: [String]) throws {
        let url = root.appendingPathComponent("go.work")
        guard !paths.contains("go.work") else { return }
        let modules = paths.filter { $0 == "go.mod" || $0.hasSuffix("/go.mod") }
            .map { $0 == "go.mod" ? "." : "./" + $0.dropLast("/go.mod".count) }
            .sorted()
        guard !modules.isEmpty, modules != ["."] else { try? FileManager.default.removeItem(at: url); return }
        let text = "go 1.18\n\nuse (\n" + modules.map { "\t\($0)\n" }.joined() + ")\n"
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
