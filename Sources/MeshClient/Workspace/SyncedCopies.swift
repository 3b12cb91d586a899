import Foundation

/// What Mesh last wrote into, or took from, each shared file, kept beside the session file in
/// `.mesh/synced/<path>`: the base against which a change made on disk is told from the
/// session's own, even when the change was made while no `mesh lsp` ran (after `mesh join`,
/// before the editor started). Written by `mesh share`, `mesh join` and `mesh lsp`.
public struct SyncedCopies: Sendable {
    public let folder: URL

    public init(root: URL) {
        folder = root.appendingPathComponent(".mesh/synced")
    }

    /// Where `path`'s copy is; nil for a path that is not a safe session path (`..`, an absolute
    /// path, an alias of `.git` or `.mesh`): a document path comes from the server, and no
    /// peer's name for it may reach outside `.mesh/synced/`.
    func url(_ path: String) -> URL? {
        WorkspaceSharing.safePath(path).map { folder.appendingPathComponent($0) }
    }

    /// The text last synced for `path`, or nil.
    public func text(of path: String) -> String? {
        guard let url = url(path) else { return nil }
        return (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Records `text` as what the file at `path` now holds.
    public func record(_ text: String, for path: String) {
        guard let url = url(path) else { return }
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(text.utf8).write(to: url, options: .atomic)
    }

    /// Forgets `path` (its file is the editor's, or gone).
    public func forget(_ path: String) {
        guard let url = url(path) else { return }
        try? FileManager.default.removeItem(at: url)
    }
}
