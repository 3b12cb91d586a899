import Foundation
import MeshClient
import Testing

/// The shared folder watched for changes made outside the editor: writes, atomic renames (how
/// editors and formatters save), new folders (watched from then on), deletions; ignored paths
/// never reported.
@Suite struct FolderWatcherTests {
    /// Collects batches until `done` holds for their union, or 10 s pass.
    func collect(_ watcher: FolderWatcher, until done: @escaping @Sendable (Set<String>) -> Bool) async -> Set<String> {
        await withTaskGroup(of: Set<String>?.self) { group in
            group.addTask {
                var seen: Set<String> = []
                for await batch in watcher.changes {
                    seen.formUnion(batch)
                    if done(seen) { return seen }
                }
                return seen
            }
            group.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            watcher.stop()
            return first ?? []
        }
    }

    func folder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mesh-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("src"), withIntermediateDirectories: true)
        try Data("package main\n".utf8).write(to: root.appendingPathComponent("src/main.go"))
        try Data("old\n".utf8).write(to: root.appendingPathComponent("gone.txt"))
        return root
    }

    @Test func writesRenamesNewFoldersAndDeletionsAreReported() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let watcher = try FolderWatcher(root: root) { path, _ in path == ".git" || path.hasPrefix(".git/") }
        let expected: Set<String> = ["src/main.go", "go.mod", "gen/deep/types.go", "gone.txt"]
        async let seen = collect(watcher) { $0.isSuperset(of: expected) }
        try await Task.sleep(for: .milliseconds(100))
        // A plain write, an atomic save (written beside, renamed over), a new folder tree with a
        // file, a deletion, and a write under .git.
        try Data("package main\n\nfunc main() {}\n".utf8).write(to: root.appendingPathComponent("src/main.go"))
        try Data("module x\n".utf8).write(to: root.appendingPathComponent("go.mod"), options: .atomic)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("gen/deep"), withIntermediateDirectories: true)
        try Data("package deep\n".utf8).write(to: root.appendingPathComponent("gen/deep/types.go"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("gone.txt"))
        try Data("ref\n".utf8).write(to: root.appendingPathComponent(".git/HEAD"))
        let result = await seen
        #expect(result.isSuperset(of: expected), "\(result.sorted())")
        #expect(!result.contains { $0.hasPrefix(".git") }, "\(result.sorted())")
    }

    @Test func aFolderCreatedAfterTheStartIsWatched() async throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let watcher = try FolderWatcher(root: root) { _, _ in false }
        async let seen = collect(watcher) { $0.contains("later/b.txt") }
        try await Task.sleep(for: .milliseconds(100))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("later"), withIntermediateDirectories: true)
        try await Task.sleep(for: .milliseconds(200))
        // Written after the folder's watch was added: reported from that watch.
        try Data("b\n".utf8).write(to: root.appendingPathComponent("later/b.txt"))
        let result = await seen
        #expect(result.contains("later/b.txt"), "\(result.sorted())")
    }
}
