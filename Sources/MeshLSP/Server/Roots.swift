import Foundation

/// The editor's shared roots, in the order the editor named their folders, and the router that
/// finds the root a message is about: a document belongs to the root that has it open, else to
/// the root whose folder holds it most closely (the longest prefix, so a folder nested in
/// another is its own root), else to the first root — so a single-root editor sends every file to
/// its one root, as before there were several.
///
/// Roots are changed in place (``update(_:_:)``), never copied out and written back, so a step
/// of a root's parts costs what it cost when the parts were the server's own properties.
struct Roots {
    private(set) var all: [SharedRoot] = []
    private var lastID: SharedRoot.ID = 0

    var isEmpty: Bool { all.isEmpty }
    var count: Int { all.count }
    var ids: [SharedRoot.ID] { all.map(\.id) }

    /// An id for a new root.
    mutating func newID() -> SharedRoot.ID {
        lastID += 1
        return lastID
    }

    mutating func append(_ root: SharedRoot) {
        all.append(root)
    }

    /// Takes root `id` out (nil when there is none).
    mutating func remove(_ id: SharedRoot.ID) -> SharedRoot? {
        guard let index = all.firstIndex(where: { $0.id == id }) else { return nil }
        return all.remove(at: index)
    }

    /// Runs `body` on root `id` in place; nil when there is no such root (`id` nil, or the root
    /// was removed meanwhile).
    @discardableResult
    mutating func update<T>(_ id: SharedRoot.ID?, _ body: (inout SharedRoot) throws -> T) rethrows -> T? {
        guard let id, let index = all.firstIndex(where: { $0.id == id }) else { return nil }
        return try body(&all[index])
    }

    /// Root `id`, to read.
    func root(_ id: SharedRoot.ID?) -> SharedRoot? {
        guard let id else { return nil }
        return all.first { $0.id == id }
    }

    // MARK: Routing

    /// The root a document (or folder) URI belongs to: the root that has it open, else the one
    /// whose folder holds it most closely; else, when `fallback`, the first root.
    func route(_ uri: String?, fallback: Bool = true) -> SharedRoot.ID? {
        if let uri {
            if let open = all.first(where: { $0.bridge.editorFiles[uri] != nil }) { return open.id }
            if let url = EditorSettings.fileURL(uri) {
                var best: (id: SharedRoot.ID, length: Int)?
                for root in all {
                    guard let length = Self.depth(of: url, in: root.sharedFolder ?? root.folder) else { continue }
                    if length > best?.length ?? -1 { best = (root.id, length) }
                }
                if let best { return best.id }
            }
        }
        return fallback ? all.first?.id : nil
    }

    /// The root made for the workspace folder `folder`.
    func root(forFolder folder: URL) -> SharedRoot.ID? {
        let path = folder.standardizedFileURL.path
        return all.first { $0.folder?.standardizedFileURL.path == path }?.id
    }

    /// Another root than `id` whose shared folder is `folder`.
    func other(than id: SharedRoot.ID, sharing folder: URL) -> SharedRoot.ID? {
        let path = folder.standardizedFileURL.path
        return all.first { $0.id != id && $0.sharedFolder?.standardizedFileURL.path == path }?.id
    }

    /// How closely `folder` holds `url` (the length of its path), nil when it does not (`url` is
    /// neither `folder` nor below it).
    static func depth(of url: URL, in folder: URL?) -> Int? {
        guard let folder else { return nil }
        let folderPath = folder.standardizedFileURL.path, path = url.standardizedFileURL.path
        guard path == folderPath || path.hasPrefix(folderPath.hasSuffix("/") ? folderPath : folderPath + "/") else { return nil }
        return folderPath.count
    }
}
