import Foundation
import MeshProtocol

/// Sharing a folder as a session and joining a session into a folder: what `mesh share` /
/// `mesh join` and the language server's `mesh.share` / `mesh.join` commands do.
public enum WorkspaceSharing {
    /// What sharing did.
    public struct Shared: Sendable, Encodable {
        public var session: SessionInfo
        public var invite: InviteInfo
        /// The invite as a link that names the server: `<server>/join/<code>`.
        public var url: String
        public var files: [String]
        public var skipped: [Skipped]
    }

    /// A file left out, and why.
    public struct Skipped: Sendable, Encodable {
        public var path: String
        public var reason: String
    }

    /// What joining did.
    public struct Joined: Sendable, Encodable {
        public var session: SessionInfo
        public var directory: String
        public var files: [String]
    }

    /// Creates a session from the folder's text files, writes `.mesh/session.json` and makes an
    /// editor invite.
    public static func share(_ root: URL, name: String? = nil, maxFileSize: Int = 1 << 20,
                             api: MeshAPIClient) async throws -> Shared {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WorkspaceError("\(root.path) is not a folder")
        }
        let scanner = WorkspaceScanner(maxFileSize: maxFileSize)
        let scan = try scanner.scan(root)
        var skipped = scan.skipped.map { Skipped(path: $0.path, reason: $0.reason.description) }
        let session = try await api.createSession(name: name ?? root.lastPathComponent)
        var uploaded: [String] = []
        for path in scan.files {
            guard let text = try scanner.readText(path, in: root) else {
                skipped.append(Skipped(path: path, reason: "changed while sharing"))
                continue
            }
            do {
                _ = try await api.createDocument(session: session.id, path: path, text: text)
                uploaded.append(path)
                SyncedCopies(root: root).record(text, for: path)
            } catch let error as MeshAPIError where (400..<500).contains(error.status) && error.status != 401 {
                skipped.append(Skipped(path: path, reason: error.message))
            }
        }
        try SessionFile(server: api.server, session: session.id.uuidString, name: session.name).write(to: root)
        let invite = try await api.createInvite(session: session.id, role: .editor)
        return Shared(session: session, invite: invite, url: InviteLink(server: api.server, code: invite.code).url,
                      files: uploaded, skipped: skipped)
    }

    /// Joins with an invite code (of the server `api` talks to) and writes the session's documents into `root`. Refuses,
    /// before writing anything, to replace files that differ unless `force`.
    public static func join(invite code: String, into root: URL, force: Bool = false,
                            api: MeshAPIClient, warn: (String) -> Void = { _ in }) async throws -> Joined {
        let session = try await api.join(invite: code)
        var contents: [(path: String, data: Data)] = []
        for document in try await api.documents(of: session.id) {
            guard let path = safePath(document.path) else {
                warn("skipping \(String(reflecting: document.path)): not a safe workspace path")
                continue
            }
            let content = try await api.document(session: session.id, id: document.id)
            contents.append((path, Data(content.text.utf8)))
        }
        try checkConflicts(contents, in: root, force: force)
        for (path, data) in contents {
            try WorkspaceWriter.write(data, to: path, in: root)
            SyncedCopies(root: root).record(String(decoding: data, as: UTF8.self), for: path)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try SessionFile(server: api.server, session: session.id.uuidString, name: session.name).write(to: root)
        return Joined(session: session, directory: root.path, files: contents.map(\.path).sorted())
    }

    /// The path if it is valid and no segment aliases `.git` or `.mesh` on any file system
    /// (see ``WorkspaceWriter/aliasesProtectedName(_:)``), else nil.
    public static func safePath(_ path: String) -> String? {
        guard let valid = try? DocumentPath.validate(path),
              WorkspaceWriter.protectedSegment(in: valid) == nil
        else { return nil }
        return valid
    }

    static func checkConflicts(_ contents: [(path: String, data: Data)], in root: URL, force: Bool) throws {
        var differing: [String] = []
        for (path, data) in contents {
            let url = root.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue { throw WorkspaceError("\(url.path) is a folder; the session has a file there") }
            if (try? Data(contentsOf: url)) != data { differing.append(path) }
        }
        guard force || differing.isEmpty else {
            let list = differing.prefix(10).joined(separator: ", ") + (differing.count > 10 ? ", …" : "")
            throw WorkspaceError("\(differing.count) existing file(s) differ from the session's: \(list); nothing was written (use --force to overwrite)")
        }
    }
}

/// A workspace that cannot be shared or joined as asked.
public struct WorkspaceError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
