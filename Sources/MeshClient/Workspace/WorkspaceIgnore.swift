import Foundation
import Synchronization

/// What `mesh share` leaves out, asked path by path of a live folder (for ``FolderWatcher``):
/// `.git` and `.mesh` (and names aliasing them) anywhere, and what the `.gitignore` files on
/// the path's way from the root say. Each folder's `.gitignore` is read once and remembered.
public final class WorkspaceIgnore: Sendable {
    private let root: URL
    /// Each folder's `.gitignore` once read (nil inside: the folder has none).
    private let files = Mutex<[String: GitIgnore?]>([:])

    public init(root: URL) {
        self.root = root
    }

    /// Whether `path` (relative, `/`-separated) is left out of the session.
    public func isIgnored(_ path: String, isDirectory: Bool) -> Bool {
        let names = path.split(separator: "/").map(String.init)
        if names.contains(where: { WorkspaceScanner.alwaysSkipped.contains($0) || WorkspaceWriter.aliasesProtectedName($0) }) {
            return true
        }
        var matcher = IgnoreMatcher()
        var folder = ""
        for name in names.dropLast() {
            if let file = gitIgnore(in: folder) { matcher.add(file) }
            folder = folder.isEmpty ? name : folder + "/" + name
        }
        if let file = gitIgnore(in: folder) { matcher.add(file) }
        return matcher.isIgnored(path, isDirectory: isDirectory)
    }

    private func gitIgnore(in folder: String) -> GitIgnore? {
        if let known = files.withLock({ $0[folder] }) { return known }
        let url = (folder.isEmpty ? root : root.appendingPathComponent(folder)).appendingPathComponent(".gitignore")
        let loaded = (try? Data(contentsOf: url)).map { GitIgnore(String(decoding: $0, as: UTF8.self), base: folder) }
        files.withLock { $0[folder] = .some(loaded) }
        return loaded
    }
}
